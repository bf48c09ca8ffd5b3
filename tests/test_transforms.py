"""Model transforms of meshes, quads and lines; the full-screen quad's letterbox; instanced meshes at transforms
that kernels write. Rendered headless under the validation layer; geometry checked in pixels where it can be
exact, the rest against references (tests/references/transforms_*.png)."""

from pathlib import Path

import numpy as np
import pytest
import taichi as ti

from renderer import Camera, HeadlessRenderer, Scene
from renderer.draw.transform import check_transform
from renderer.errors import ArgumentError, RendererError
from renderer.scene.api import SceneError
from renderer.testing import assert_matches_reference, compare_on_this_device

REFERENCES = Path(__file__).parent / "references"
BACKGROUND = np.array([0, 0, 0], np.uint8)
ORTHO = Camera(eye=(0.0, 0.0, 3.0), orthographic=True, ortho_height=2.0)  # 128 px frame: 64 px a unit

SQUARE = np.array([[-0.25, -0.25, 0], [0.25, -0.25, 0], [0.25, 0.25, 0], [-0.25, 0.25, 0]], np.float32)
SQUARE_NORMALS = np.tile(np.float32([0, 0, 1]), (4, 1))
SQUARE_INDICES = np.uint32([0, 1, 2, 0, 2, 3])


def translation(x, y, z) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = x, y, z
    return m


def rotation_y(degrees) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    m = np.eye(4)
    m[0, 0], m[0, 2], m[2, 0], m[2, 2] = c, s, -s, c
    return m


def render(scene, size=(128, 128), frames=2) -> np.ndarray:
    with HeadlessRenderer(scene, *size, validate=True) as renderer:
        pixels = renderer.render(frames)[..., :3]
    renderer.context.check_validation("during the render")
    return pixels


def lit_box(pixels) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels that are not background, inclusive."""
    rows, cols = np.nonzero((pixels != BACKGROUND).any(axis=-1))
    return rows.min(), rows.max(), cols.min(), cols.max()


def check_reference(pixels, name: str, request) -> None:
    if compare_on_this_device_cached():
        regenerate = request.config.getoption("--regenerate", default=False)
        assert_matches_reference(pixels, REFERENCES / name, regenerate=regenerate)


_ON_REFERENCE_DEVICE = []


def compare_on_this_device_cached() -> bool:
    if not _ON_REFERENCE_DEVICE:
        from renderer.device.context import VulkanContext

        context = VulkanContext(validate=False)
        try:
            _ON_REFERENCE_DEVICE.append(compare_on_this_device(context))
        finally:
            context.destroy()
    return _ON_REFERENCE_DEVICE[0]


# -- meshes


class Square(Scene):
    """A square mesh; `transform` set in update (frame 0 on), or its positions `moved` on the host."""

    name = "square"
    camera = ORTHO
    background = (0.0, 0.0, 0.0)

    def __init__(self, transform=None, moved=None, normals=None):
        super().__init__()
        self.model, self.moved, self.normals = transform, moved, normals

    def setup(self, gpu):
        corners = SQUARE if self.moved is None else self.moved
        normals = SQUARE_NORMALS if self.normals is None else self.normals
        positions = gpu.array("positions", element_shape=(3,), data=np.ascontiguousarray(corners, np.float32))
        normals = gpu.array("normals", element_shape=(3,), data=np.ascontiguousarray(normals, np.float32))
        indices = gpu.array("indices", dtype=np.uint32, usage=("index",), data=SQUARE_INDICES)
        self.draw = gpu.mesh(positions, normals, indices, color=(1.0, 0.6, 0.2))

    def update(self, frame, dt, input):
        if self.model is not None:
            self.draw.transform = self.model


def moved(matrix, points):
    return (np.c_[points, np.ones(len(points))] @ np.asarray(matrix).T)[:, :3]


def test_mesh_transform_set_in_update_moves_it_by_the_expected_pixels():
    still = render(Square())
    shifted = render(Square(translation(0.25, 0.5, 0.0)))
    top, bottom, left, right = lit_box(still)
    assert (bottom - top + 1, right - left + 1) == (32, 32)
    assert lit_box(shifted) == (
        top - 32,
        bottom - 32,
        left + 16,
        right + 16,
    )  # y up the world, down the frame
    # the same as moving the positions themselves
    assert np.array_equal(shifted, render(Square(moved=moved(translation(0.25, 0.5, 0.0), SQUARE))))


def test_mesh_transform_turns_normals_with_its_inverse_transpose():
    # turned about y and squashed along x: the normals must follow the inverse transpose, not the matrix
    matrix = rotation_y(50.0) @ np.diag([0.5, 1.0, 1.0, 1.0])
    normals = moved(np.eye(4), SQUARE_NORMALS)
    inverse_transpose = np.linalg.inv(matrix[:3, :3]).T
    expected = render(Square(moved=moved(matrix, SQUARE), normals=normals @ inverse_transpose.T))
    actual = render(Square(matrix))
    assert (actual != BACKGROUND).any()
    differ = np.abs(actual.astype(int) - expected.astype(int)).max(axis=-1)
    assert (differ > 2).mean() < 0.002, differ.max()


def test_transforms_are_checked():
    assert check_transform(np.eye(4)).dtype == np.float32
    with pytest.raises(RendererError, match=r"^transform must be a 4x4 matrix, not shape \(3, 3\)$"):
        check_transform(np.eye(3))
    bad = np.eye(4)
    bad[0, 3] = np.nan
    with pytest.raises(RendererError, match=r"^transform must be finite; it holds nan$"):
        check_transform(bad)
    with pytest.raises(RendererError, match=r"^transform must be a 4x4 matrix of numbers, not str$"):
        check_transform("eye")
    with pytest.raises(RendererError, match=r"singular \(a zero scale\?\)"):
        check_transform(np.diag([1.0, 0.0, 1.0, 1.0]))


# -- quads


@ti.kernel
def fill(image: ti.types.rw_texture(num_dimensions=2, fmt=ti.Format.rgba8, lod=0), width: ti.i32):
    for i, j in ti.ndrange(width, width // 2):
        image.store(ti.Vector([i, j]), ti.Vector([1.0, i / width, 0.25, 1.0]))


class Picture(Scene):
    """A 2:1 image a kernel paints, on a quad: full screen (letterboxed or stretched) or placed in 3-D."""

    name = "picture"
    kernels = (fill,)
    camera = ORTHO
    background = (0.0, 0.0, 0.0)

    def __init__(self, fullscreen=True, stretch=False, transform=None):
        super().__init__()
        self.fullscreen, self.stretch, self.model = fullscreen, stretch, transform

    def setup(self, gpu):
        image = gpu.image("picture", 64, 32)
        self.quad = gpu.quad(image, fullscreen=self.fullscreen, size=(1.0, 0.5), stretch=self.stretch)
        if self.model is not None:
            self.quad.transform = self.model
        self.paint = gpu.kernel("fill").bind(image, 64)

    def update(self, frame, dt, input):
        self.paint()


def test_fullscreen_quad_letterboxes_unless_asked_to_stretch():
    boxed = render(Picture())
    lit = (boxed != BACKGROUND).any(axis=-1)
    assert not lit[:32].any() and not lit[96:].any()  # bars above and below the 2:1 image
    assert lit[32:96].all()
    assert (render(Picture(stretch=True)) != BACKGROUND).any(axis=-1).all()
    # a 2:1 frame fits it exactly; a 4:1 frame puts the bars beside it
    wide = (render(Picture(), size=(256, 64)) != BACKGROUND).any(axis=-1)
    assert not wide[:, :64].any() and not wide[:, 192:].any() and wide[:, 64:192].all()


def test_quad_placed_in_3d(request):
    flat = render(Picture(fullscreen=False))
    assert lit_box(flat) == (48, 79, 32, 95)  # 1 x 0.5 world units, centred
    moved_quad = render(Picture(fullscreen=False, transform=translation(-0.25, 0.25, 0.0)))
    assert lit_box(moved_quad) == (32, 63, 16, 79)
    turned = Picture(fullscreen=False, transform=translation(0.1, 0.3, 0.2) @ rotation_y(60.0))
    turned.camera = Camera(eye=(0.6, 0.8, 2.2))
    check_reference(render(turned), "transforms_quad_3d.png", request)


class Resized(Picture):
    """The quad's size and stretch set from update(): from frame 1 on, `settings`."""

    settings: dict = {}

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        if frame >= 1:
            for name, value in self.settings.items():
                setattr(self.quad, name, value)


def test_quad_size_and_stretch_are_settings():
    resized = Resized(fullscreen=False)
    resized.settings = {"size": (0.5, 0.25)}
    assert lit_box(render(resized)) == (56, 71, 48, 79)  # half the 1 x 0.5 quad, centred
    stretched = Resized()
    stretched.settings = {"stretch": True}
    assert (render(stretched) != BACKGROUND).any(axis=-1).all()  # the letterbox's bars gone
    for settings, message in (
        ({"size": (1.0, 0.0)}, r"quad size must be two positive numbers \(width, height\), not \(1.0, 0.0\)"),
        ({"size": (1.0, float("nan"))}, "quad size must be two positive numbers"),
        ({"stretch": "yes"}, "stretch must be True or False, not 'yes'"),
        ({"fullscreen": False}, "quad's fullscreen is fixed when it is made"),
    ):
        wrong = Resized()
        wrong.settings = settings
        with pytest.raises(ArgumentError, match=message):
            render(wrong)


# -- lines


class Cross(Scene):
    name = "cross"
    camera = ORTHO
    background = (0.0, 0.0, 0.0)

    def setup(self, gpu):
        ends = np.array([[-0.25, 0, 0], [0.25, 0, 0], [0, -0.25, 0], [0, 0.25, 0]], np.float32)
        self.lines = gpu.lines(gpu.array("ends", element_shape=(3,), data=ends))

    def update(self, frame, dt, input):
        self.lines.transform = translation(0.5, 0.0, 0.0)


def test_lines_take_a_transform():
    top, bottom, left, right = lit_box(render(Cross()))
    assert (top, bottom) == (48, 80) or (top, bottom) == (48, 79)
    assert 79 <= left <= 80 and 111 <= right <= 112  # centred 32 px right of the middle


# -- instances


@ti.kernel
def arrow_grid(
    positions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    directions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    colors: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    side: ti.i32,
):
    for k in positions:
        i, j = k % side, k // side
        positions[k] = ti.Vector([(i + 0.5) / side * 2.0 - 1.0, (j + 0.5) / side * 2.0 - 1.0, 0.0])
        angle = 2.0 * 3.14159265 * k / (side * side)
        directions[k] = ti.Vector([ti.cos(angle), ti.sin(angle), 0.0])
        colors[k] = ti.Vector([i / side, j / side, 1.0 - i / side])


class Arrows(Scene):
    """A side x side grid of arrows in the XY plane, the k-th turned k/side² of a full turn from +X."""

    name = "arrows"
    kernels = (arrow_grid,)
    camera = ORTHO
    background = (0.0, 0.0, 0.0)

    def __init__(self, side=10, mesh="arrow", scale=0.15):
        super().__init__()
        self.side, self.mesh, self.scale = side, mesh, scale

    def setup(self, gpu):
        n = self.side * self.side
        self.positions = gpu.array("positions", (n,), element_shape=(3,))
        self.directions = gpu.array("directions", (n,), element_shape=(3,))
        self.colors = gpu.array("colors", (n,), element_shape=(3,))
        gpu.instances(
            self.mesh,
            self.positions,
            directions=self.directions,
            colors=self.colors,
            scale=self.scale,
        )
        self.place = gpu.kernel("arrow_grid").bind(self.positions, self.directions, self.colors, self.side)

    def update(self, frame, dt, input):
        self.place()


def test_a_grid_of_arrows_at_kernel_written_directions(request):
    scene = Arrows()
    with HeadlessRenderer(scene, 160, 160, validate=True) as renderer:
        pixels = renderer.render(2)[..., :3]
        k = np.arange(100)
        angle = np.float32(2.0 * 3.14159265) * k / np.float32(100)
        assert np.allclose(scene.directions.read()[:, :2], np.c_[np.cos(angle), np.sin(angle)], atol=1e-6)
        assert np.array_equal(scene.positions.read()[:, 2], np.zeros(100, np.float32))
    renderer.context.check_validation("during the render")
    check_reference(pixels, "transforms_arrows.png", request)


@ti.kernel
def ball_pile(
    positions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    rotations: ti.types.ndarray(dtype=ti.math.vec4, ndim=1),
    scales: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
):
    for k in positions:
        positions[k] = ti.Vector([k % 3 * 0.6 - 0.6, k // 3 * 0.6 - 0.6, 0.0])
        half = 0.25 * 3.14159265 * (k % 3) / 2.0  # 0, 45 and 90 degrees about z
        rotations[k] = ti.Vector([0.0, 0.0, ti.sin(half), ti.cos(half)])
        scales[k] = ti.Vector([0.4, 0.2 + 0.1 * (k // 3), 0.3])


class Shapes(Scene):
    """Cubes and spheres turned by kernel-written quaternions and scaled along their axes."""

    name = "shapes"
    kernels = (ball_pile,)
    camera = Camera(eye=(0.8, 1.0, 2.6))
    background = (0.0, 0.0, 0.0)

    def __init__(self, mesh):
        super().__init__()
        self.mesh = mesh

    def setup(self, gpu):
        self.positions = gpu.array("positions", (9,), element_shape=(3,))
        rotations = gpu.array("rotations", (9,), element_shape=(4,))
        scales = gpu.array("scales", (9,), element_shape=(3,))
        gpu.instances(self.mesh, self.positions, rotations=rotations, scales=scales, color=(0.9, 0.5, 0.2))
        self.place = gpu.kernel("ball_pile").bind(self.positions, rotations, scales)

    def update(self, frame, dt, input):
        self.place()


@pytest.mark.parametrize("mesh", ["cube", "sphere"])
def test_cubes_and_spheres_at_kernel_written_rotations_and_scales(mesh, request):
    check_reference(render(Shapes(mesh), size=(160, 120)), f"transforms_{mesh}s.png", request)


@ti.kernel
def one_way(
    positions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    directions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    rotations: ti.types.ndarray(dtype=ti.math.vec4, ndim=1),
):
    for k in positions:
        positions[k] = ti.Vector([k * 0.5 - 0.5, 0.0, 0.0])
        directions[k] = ti.Vector([1.0, 0.0, 0.0])
        rotations[k] = ti.Vector([0.0, ti.sqrt(0.5), 0.0, ti.sqrt(0.5)])  # +z onto +x: 90 degrees about y


class Pointing(Scene):
    name = "pointing"
    kernels = (one_way,)
    camera = Camera(eye=(0.5, 1.2, 2.0))
    background = (0.0, 0.0, 0.0)

    def __init__(self, by):
        super().__init__()
        self.by = by

    def setup(self, gpu):
        positions = gpu.array("positions", (3,), element_shape=(3,))
        directions = gpu.array("directions", (3,), element_shape=(3,))
        rotations = gpu.array("rotations", (3,), element_shape=(4,))
        given = {"directions": directions} if self.by == "directions" else {"rotations": rotations}
        gpu.instances("cube", positions, scale=0.3, **given)
        self.place = gpu.kernel("one_way").bind(positions, directions, rotations)

    def update(self, frame, dt, input):
        self.place()


def test_a_direction_turns_like_the_matching_quaternion():
    by_direction, by_rotation = render(Pointing("directions")), render(Pointing("rotations"))
    assert (by_direction != BACKGROUND).any()
    differ = np.abs(by_direction.astype(int) - by_rotation.astype(int)).max(axis=-1)
    assert (differ > 3).mean() < 0.002


@ti.kernel
def put(positions: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), x: ti.f32, y: ti.f32):
    for k in positions:
        positions[k] = ti.Vector([x, y, 0.0])


class OwnMesh(Scene):
    """The square mesh as the instanced shape, one instance placed by a kernel."""

    name = "own-mesh"
    kernels = (put,)
    camera = ORTHO
    background = (0.0, 0.0, 0.0)

    def setup(self, gpu):
        corners = gpu.array("corners", element_shape=(3,), data=SQUARE)
        normals = gpu.array("normals", element_shape=(3,), data=SQUARE_NORMALS)
        indices = gpu.array("indices", dtype=np.uint32, usage=("index",), data=SQUARE_INDICES)
        positions = gpu.array("positions", (1,), element_shape=(3,))
        gpu.instances((corners, normals, indices), positions, color=(1.0, 0.6, 0.2))
        self.place = gpu.kernel("put").bind(positions, 0.25, 0.5)

    def update(self, frame, dt, input):
        self.place()


def test_the_scenes_own_mesh_instanced_is_drawn_and_shaded_as_the_mesh():
    assert np.array_equal(render(OwnMesh()), render(Square(translation(0.25, 0.5, 0.0))))


def test_a_hundred_thousand_arrows_render():
    pixels = render(Arrows(side=316, scale=0.01), size=(200, 200), frames=1)
    assert (pixels != BACKGROUND).any(axis=-1).mean() > 0.2


# -- bad arguments


class Refused(Scene):
    name = "refused"

    def __init__(self, make):
        super().__init__()
        self.make = make

    def setup(self, gpu):
        self.make(gpu)

    def update(self, frame, dt, input):
        pass


def vec(gpu, name="v", width=3, n=4, dtype=np.float32):
    return gpu.array(name, (n,), dtype=dtype, element_shape=(width,) if width > 1 else ())


BAD = {
    "unknown mesh": (
        lambda g: g.instances("cone", vec(g)),
        "instances mesh must be one of ['arrow', 'cube', 'sphere'] or (positions, normals, indices) arrays, "
        "not 'cone'",
    ),
    "mesh of a number": (
        lambda g: g.instances(3, vec(g)),
        "instances mesh must be one of ['arrow', 'cube', 'sphere'] or (positions, normals, indices) arrays, "
        "not int",
    ),
    "positions of vec4": (
        lambda g: g.instances("cube", vec(g, width=4)),
        "instance positions must be a 1-D array of vec3 float32, not shape (4,) x (4,) float32",
    ),
    "float64 directions": (
        lambda g: g.instances("arrow", vec(g), directions=vec(g, "d", dtype=np.float64)),
        "instance directions must be a 1-D array of vec3 float32, not shape (4,) x (3,) float64",
    ),
    "both orientations": (
        lambda g: g.instances("arrow", vec(g), directions=vec(g, "d"), rotations=vec(g, "r", 4)),
        "instances take directions or rotations, not both",
    ),
    "rotations of vec3": (
        lambda g: g.instances("arrow", vec(g), rotations=vec(g, "r")),
        "instance rotations must be a 1-D array of vec4 float32, not shape (4,) x (3,) float32",
    ),
    "short colours": (
        lambda g: g.instances("arrow", vec(g), colors=vec(g, "c", n=3)),
        "instance colors holds 3 elements; 4 instances need 4",
    ),
    "scales of vec2": (
        lambda g: g.instances("arrow", vec(g), scales=vec(g, "s", 2)),
        "instance scales must be a 1-D array of float or vec3 float32, not shape (4,) x (2,) float32",
    ),
    "count past the positions": (
        lambda g: g.instances("arrow", vec(g), count=5),
        "instance count must be a whole number in 0..4 (the positions), not 5",
    ),
    "zero scale": (
        lambda g: g.instances("arrow", vec(g), scale=0.0),
        "instance scale must be a positive number, not 0.0",
    ),
    "non-finite mesh transform": (
        lambda g: setattr(g.instances("arrow", vec(g)), "transform", np.full((4, 4), np.inf)),
        "transform must be finite; it holds inf",
    ),
    "stretch of a string": (
        lambda g: g.quad(g.image("i", 4, 4), stretch="yes"),
        "quad stretch must be True or False, not 'yes'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_are_refused_with_what_to_give(case):
    make, message = BAD[case]
    with pytest.raises((SceneError, RendererError)) as caught:
        with HeadlessRenderer(Refused(make), 32, 32):
            pass
    text = str(caught.value)
    assert text.endswith(f"setup failed: scene 'refused': {message}") or text.endswith(
        f"setup failed: {message}"
    ), text
