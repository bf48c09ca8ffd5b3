"""Colours from data (scene/api.py, draw/colormap.py, renderer/colormaps.py): per-particle radii (sprites and
splat), per-particle and per-vertex colours, scalars through a named colormap with a fixed range or one the
GPU finds, and the arguments refused. Under the validation layer; colours checked exactly where they are
data, with a scene light that leaves a surface's colour as it is (ambient 1, no light colour)."""

import math
from pathlib import Path

import numpy as np
import pytest
import taichi as ti

from renderer import Camera, HeadlessRenderer, Light, Scene, SceneError, colormaps, testing
from renderer.device.memory import read_device_buffer
from renderer.draw import point_splat
from scenes.particles import spiral
from tests import matplotlib_colormaps

REFERENCES = Path(__file__).parent / "references"
FLAT = Light(direction=(0.0, 0.0, 1.0), color=(0.0, 0.0, 0.0), ambient=1.0)  # colour = the base colour
ORTHO = Camera(
    eye=(0.0, 0.0, 2.5), orthographic=True
)  # 2 world units tall: a frame of H px has H / 2 px/unit


@ti.kernel
def decorate(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    radii: ti.types.ndarray(dtype=ti.f32, ndim=1),
    scalars: ti.types.ndarray(dtype=ti.f32, ndim=1),
    t: ti.f32,
):
    for i in pos:
        radii[i] = 0.0008 + 0.0016 * ti.cast(i % 4, ti.f32)  # 0.0008..0.0056: splatted and sprites
        scalars[i] = pos[i].z * 10.0 + ti.sin(0.37 * ti.cast(i, ti.f32) + t) * 2.0 + t


def table_bytes(name: str) -> np.ndarray:
    return np.round(colormaps.table(name) * 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------ the colormaps


@pytest.mark.parametrize(
    "ours, theirs",
    [
        ("viridis", "viridis"),
        ("magma", "magma"),
        ("turbo", "turbo"),
        ("coolwarm", "coolwarm"),
        ("grey", "gray"),
    ],
)
def test_colormaps_are_matplotlibs(ours, theirs):
    table = colormaps.table(ours)
    expected = np.array(matplotlib_colormaps.SAMPLES[theirs])
    assert np.abs(table[matplotlib_colormaps.INDICES] - expected).max() <= 0.5 / 255 + 1e-6
    # between entries: linear between the neighbouring entries (matplotlib itself takes the nearest)
    t = (np.arange(255) + 0.5) / 255
    assert np.abs(colormaps.sample(ours, t, 0.0, 1.0) - (table[:-1] + table[1:]) / 2).max() < 1e-6


def test_colorbar():
    bar = colormaps.colorbar("viridis", 64, 8)
    assert bar.shape == (8, 64, 4) and bar.dtype == np.uint8 and (bar[..., 3] == 255).all()
    assert (bar == bar[:1]).all()  # every row alike
    low, high = table_bytes("viridis")[[0, 255]]
    assert np.abs(bar[0, 0, :3].astype(int) - low).max() <= 3
    assert np.abs(bar[0, -1, :3].astype(int) - high).max() <= 3
    vertical = colormaps.colorbar("magma", 4, 32, vertical=True)
    assert vertical.shape == (32, 4, 4)
    assert vertical[-1, 0, :3].sum() < vertical[0, 0, :3].sum()  # low values at the bottom: dark
    with pytest.raises(Exception, match="viridis, magma, coolwarm, turbo, grey"):
        colormaps.colorbar("jet")


# ------------------------------------------------------------------------------------------ scenes


class Row(Scene):
    """Particles along the x axis, each with its radius, colour and scalar (host data)."""

    name = "row"
    camera = ORTHO
    light = FLAT

    def __init__(self, radii=None, colors=None, scalars=None, splat=False, **kwargs):
        super().__init__()
        self.data = {"radii": radii, "colors": colors, "scalars": scalars}
        self.splat, self.kwargs = splat, kwargs

    def setup(self, gpu):
        n = len(next(v for v in self.data.values() if v is not None))
        pos = np.zeros((n, 3), np.float32)
        pos[:, 0] = np.linspace(-0.8, 0.8, n) if n > 1 else 0.0
        pos[:, :2] += 0.005  # half a pixel at 200 px tall: centres on a pixel's centre, not on its corner
        self.positions = gpu.array("positions", element_shape=(3,), data=pos)
        arrays = {}
        for key, value in self.data.items():
            if value is not None:
                shape = (3,) if key == "colors" else ()
                arrays[key] = gpu.array(key, element_shape=shape, data=np.asarray(value, np.float32))
        self.arrays = arrays
        self.draw = gpu.particles(self.positions, radius=0.05, splat=self.splat, **arrays, **self.kwargs)

    def update(self, frame, dt, input):
        pass


def render(scene, size=(400, 200), frames=2):
    with HeadlessRenderer(scene, *size, validate=True) as r:
        pixels = r.render(frames)
        extra = {}
        if scene.draw.colormap is not None:
            extra["colors"] = read_device_buffer(r.context, scene.draw.colormap.colors, np.float32)
            extra["range"] = scene.draw.colormap.range_now()
        return pixels[..., :3].copy(), r.context, extra


def centres(n: int, width: int) -> list[int]:
    """Pixel columns of the Row particles' centres (at x = -0.8..0.8, 2 world units tall frames)."""
    return [int(round((x * 0.5 * 200 / width * 2 + 1) * 0.5 * width)) for x in np.linspace(-0.8, 0.8, n)]


def widths(pixels, n: int) -> list[int]:
    """The lit pixels of the middle row around each particle."""
    row = pixels.shape[0] // 2
    lit = pixels[row - 1 : row + 1].max(axis=(0, 2)) > 20
    cols = np.round(
        (np.linspace(-0.8, 0.8, n) * pixels.shape[0] / pixels.shape[1] + 1) * 0.5 * pixels.shape[1]
    )
    half = (cols[1] - cols[0]) / 2 if n > 1 else pixels.shape[1] / 2
    return [int(lit[int(c - half) : int(c + half)].sum()) for c in cols]


# ------------------------------------------------------------------------------------------ particles


@pytest.mark.parametrize("splat", [False, True], ids=["sprites", "splat"])
def test_per_particle_radius_sets_the_size_in_pixels(splat):
    """An orthographic frame 200 px tall: a sphere of radius r is 200 r px wide (diameters 1..24 px)."""
    radii = np.float32([0.005, 0.01, 0.02, 0.04, 0.08, 0.12])
    scene = Row(radii=radii, colors=np.tile(np.float32([1.0, 0.5, 0.25]), (6, 1)), splat=splat)
    with HeadlessRenderer(scene, 400, 200, validate=True) as r:
        pixels = r.render(2)[..., :3]
        assert (scene.draw.splat is not None and scene.draw.splatting) == splat  # small ones splatted
    measured = widths(pixels, len(radii))
    assert [abs(m - 200 * r) <= 1 for m, r in zip(measured, radii, strict=True)] == [True] * 6, measured


def test_per_particle_colours_are_the_particles():
    colors = np.float32([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0.2, 0.4, 0.6]])
    pixels, _, _ = render(Row(colors=colors, radii=np.full(5, 0.05, np.float32)))
    mid = pixels.shape[0] // 2
    cols = centres(5, pixels.shape[1])
    assert np.array_equal(pixels[mid, cols], np.round(colors * 255).astype(np.uint8))


# ------------------------------------------------------------------------------------------ colormaps


@pytest.mark.parametrize("name", ["viridis", "magma", "coolwarm", "turbo", "grey"])
def test_fixed_range_colours_particles_with_the_table(name):
    """Scalars at lo + k / 255 (hi - lo) take entry k exactly; below lo entry 0, above hi entry 255."""
    lo, hi = -2.0, 6.0
    k = np.array([0, 37, 128, 200, 255])
    scalars = np.float32(np.concatenate([lo + k / 255 * (hi - lo), [lo - 5, hi + 5]]))
    scene = Row(scalars=scalars, radii=np.full(7, 0.04, np.float32), colormap=name, range=(lo, hi))
    pixels, _, extra = render(scene)
    expected = table_bytes(name)[np.concatenate([k, [0, 255]])]
    mid = pixels.shape[0] // 2
    assert np.array_equal(pixels[mid, centres(7, pixels.shape[1])], expected)
    colours = extra["colors"].reshape(-1, 3)
    assert np.abs(colours - colormaps.sample(name, scalars, lo, hi)).max() < 1e-5
    assert extra["range"] == (lo, hi)


class Colored(Scene):
    """A mesh of flat-coloured quads and line segments, each with its scalar or colour (host data)."""

    name = "colored"
    camera = ORTHO
    light = FLAT

    def __init__(self, scalars, **kwargs):
        super().__init__()
        self.scalars, self.kwargs = np.float32(scalars), kwargs

    def setup(self, gpu):
        n = len(self.scalars)
        x0 = np.linspace(-0.9, 0.9, n + 1)[:-1]
        w = 1.8 / n
        quads = [[[x, 0.1, 0], [x + w, 0.1, 0], [x + w, 0.8, 0], [x, 0.8, 0]] for x in x0]
        positions = np.float32(quads).reshape(-1, 3)
        indices = np.uint32([[4 * q, 4 * q + 1, 4 * q + 2, 4 * q, 4 * q + 2, 4 * q + 3] for q in range(n)])
        array = gpu.array
        self.mesh_scalars = array("mesh scalars", data=np.repeat(self.scalars, 4))
        self.mesh = gpu.mesh(
            array("mesh positions", element_shape=(3,), data=positions),
            array("normals", element_shape=(3,), data=np.tile(np.float32([0, 0, 1]), (4 * n, 1))),
            array("indices", dtype=np.uint32, usage=("index",), data=indices.ravel()),
            scalars=self.mesh_scalars,
            **self.kwargs,
        )
        segments = np.float32([[[x + 0.1 * w, y, 0], [x + 0.9 * w, y, 0]] for x in x0 for y in (-0.3, -0.5)])
        self.line_scalars = array("line scalars", data=np.repeat(self.scalars, 4))
        self.lines = gpu.lines(
            array("line positions", element_shape=(3,), data=segments.reshape(-1, 3)),
            scalars=self.line_scalars,
            **self.kwargs,
        )
        self.draw = self.mesh

    def update(self, frame, dt, input):
        pass


def test_fixed_range_colours_meshes_and_lines_with_the_table():
    k = np.array([0, 64, 100, 191, 255])
    lo, hi = 10.0, 20.0
    scene = Colored(lo + k / 255 * (hi - lo), colormap="turbo", range=(lo, hi))
    with HeadlessRenderer(scene, 400, 200, validate=True) as r:
        pixels = r.render(2)[..., :3]
    expected = table_bytes("turbo")[k]
    cols = [int(((x + 0.18) / 2 + 1) * 200) for x in np.linspace(-0.9, 0.9, 6)[:-1]]
    assert np.array_equal(pixels[60, cols], expected)  # the quads (y = 0.45)
    line_row = int(round((1 - (-0.3 + 1) / 2) * 200))  # y = -0.3
    line = pixels[line_row - 1 : line_row + 2, cols]
    hit = line.max(axis=2).argmax(axis=0)  # the line's row at each column
    assert np.array_equal(line[hit, np.arange(5)], expected)


def test_per_vertex_line_colours():
    class Lines(Scene):
        name = "lines"
        camera = ORTHO
        background = (0.0, 0.0, 0.0)

        def setup(self, gpu):
            pos = np.float32([[-0.9, 0.5, 0], [0.9, 0.5, 0], [-0.9, -0.5, 0], [0.9, -0.5, 0]])
            col = np.float32([[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
            self.colors = gpu.array("colors", element_shape=(3,), data=col)
            gpu.lines(gpu.array("positions", element_shape=(3,), data=pos), colors=self.colors)

        def update(self, frame, dt, input):
            pass

    with HeadlessRenderer(Lines(), 200, 200, validate=True) as r:
        pixels = r.render(2)[..., :3].astype(int)
    top = pixels[45:56].max(axis=0)  # y = 0.5: the rows around 50
    assert (top[20:180] == [255, 0, 0]).all()
    bottom = pixels[145:156].max(axis=0)
    left, middle, right = bottom[12], bottom[100], bottom[187]
    assert left[2] > 240 and left[1] < 15 and right[1] > 240 and right[2] < 15  # blue to green
    assert abs(middle[1] - 128) <= 3 and abs(middle[2] - 128) <= 3 and middle[0] == 0


class Galaxy(Scene):
    """The benchmark spiral with per-particle radii and scalars that a kernel writes every frame."""

    name = "galaxy"
    kernels = (spiral, decorate)
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def __init__(self, count=20_000, splat=True, colormap="magma", range="auto"):
        super().__init__()
        self.count, self.splat, self.colormap, self.range = count, splat, colormap, range

    def setup(self, gpu):
        n = (self.count,)
        self.positions = gpu.array("positions", n, element_shape=(3,))
        self.radii = gpu.array("radii", n)
        self.scalars = gpu.array("scalars", n, usage=("storage",))
        self.draw = gpu.particles(
            self.positions,
            radii=self.radii,
            scalars=self.scalars,
            colormap=self.colormap,
            range=self.range,
            splat=self.splat,
        )
        self.step = gpu.kernel("spiral").bind(self.positions, 0.0)
        self.paint = gpu.kernel("decorate").bind(self.positions, self.radii, self.scalars, 0.0)

    def update(self, frame, dt, input):
        self.step.set("t", frame * dt)
        self.step()
        self.paint.set("t", frame * dt)
        self.paint()


def test_auto_range_is_the_datas_min_and_max_found_on_the_gpu():
    scene = Galaxy(count=5000, splat=False)
    with HeadlessRenderer(scene, 160, 90, validate=True) as r:
        for frames in (3, 20):
            r.render(frames)
            scalars = scene.scalars.read()
            assert scene.draw.colormap.range_now() == (float(scalars.min()), float(scalars.max()))
            colours = read_device_buffer(r.context, scene.draw.colormap.colors, np.float32).reshape(-1, 3)
            expected = colormaps.sample("magma", scalars, scalars.min(), scalars.max())
            assert np.abs(colours - expected).max() < 1e-5


@pytest.fixture(params=["by particle", "by pixel"])
def pass_2(request, monkeypatch):
    from_ = 0.0 if request.param == "by pixel" else math.inf
    monkeypatch.setattr(point_splat, "TAKE_BY_PIXEL_FROM", {"CPU": from_, "GPU": from_})


def test_per_particle_radii_and_colours_splat_to_the_sprite_image(pass_2, regenerate):
    sprite, _ = testing.render_scene(Galaxy(splat=False), 31, size=(640, 360))
    scene = Galaxy(splat=True)
    with HeadlessRenderer(scene, 640, 360, validate=True) as r:
        splat, context = r.render(31), r.context
        assert scene.draw.splatting  # the small ones splatted, the large ones drawn by the indirect draw
    assert (sprite[..., :3].max(axis=2) > 60).sum() > 2000  # something is drawn
    if testing.compare_on_this_device(context):
        assert testing.compare(splat[..., :3], sprite[..., :3]).bad_fraction < 0.0005
        testing.assert_matches_reference(splat, REFERENCES / "colors_galaxy.png", regenerate=regenerate)


def test_meshes_and_lines_image(regenerate):
    scene = Colored(np.linspace(0.0, 1.0, 9), colormap="coolwarm", range="auto")
    testing.check_scene(
        scene, REFERENCES / "colors_mesh_lines.png", frames=2, size=(360, 200), regenerate=regenerate
    )


# ------------------------------------------------------------------------------------------ refused


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"colormap": "jet"},
            "unknown colormap 'jet'; the colormaps are viridis, magma, coolwarm, turbo, grey",
        ),
        ({"range": (1.0, 1.0)}, "needs lo < hi"),
        ({"range": (2.0, 1.0)}, "needs lo < hi"),
        ({"range": "fixed"}, 'two finite numbers, or "auto"'),
        ({"range": (0.0, math.inf)}, 'two finite numbers, or "auto"'),
    ],
)
def test_bad_colormap_arguments_are_refused(kwargs, message):
    with pytest.raises(SceneError, match=message.replace("(", r"\(")):
        render(Row(scalars=np.float32([0, 1]), **kwargs))


class Bad(Scene):
    name = "bad"

    def __init__(self, what):
        super().__init__()
        self.what = what

    def setup(self, gpu):
        pos = gpu.array("positions", (4,), element_shape=(3,))
        if self.what == "radii dtype":
            gpu.particles(pos, radii=gpu.array("r", (4,), dtype=np.int32))
        elif self.what == "radii shape":
            gpu.particles(pos, radii=gpu.array("r", (5,)))
        elif self.what == "radii vec3":
            gpu.particles(pos, radii=gpu.array("r", (4,), element_shape=(3,)))
        elif self.what == "scalars shape":
            gpu.mesh(
                pos, pos, gpu.array("i", (3,), np.uint32, usage=("index",)), scalars=gpu.array("s", (3,))
            )
        elif self.what == "line colors":
            gpu.lines(pos, colors=gpu.array("c", (4,)))
        elif self.what == "both":
            gpu.particles(pos, colors=gpu.array("c", (4,), element_shape=(3,)), scalars=gpu.array("s", (4,)))
        elif self.what == "not an array":
            gpu.lines(pos, scalars=np.zeros(4, np.float32))

    def update(self, frame, dt, input):
        pass


@pytest.mark.parametrize(
    "what, message",
    [
        (
            "radii dtype",
            r"particle radii must be a 1-D array of float32 with one per position \(4\), not shape \(4,\)",
        ),
        ("radii shape", r"particle radii must be .* not shape \(5,\)"),
        ("radii vec3", r"particle radii must be .* x \(3,\) float32"),
        ("scalars shape", r"mesh scalars must be a 1-D array of float32 with one per position \(4\)"),
        ("line colors", r"line colors must be a 1-D array of vec3 float32"),
        ("both", "take `colors` or `scalars`"),
        ("not an array", "line scalars must be an array made by gpu.array"),
    ],
)
def test_bad_arrays_are_refused(what, message):
    with pytest.raises(SceneError, match=message):
        with HeadlessRenderer(Bad(what), 64, 64, validate=True) as r:
            r.render(1)
