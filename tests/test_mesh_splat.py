"""Triangle splatting (renderer/draw/triangle_splat.py): a mesh of many small triangles splatted by compute
passes gives the rasterizer's image, with its large triangles drawn by the indirect draw, clean under
synchronization validation; the rasterizer alone where the size rule, a transparent frame or `splat=False` says so.

The bound on the images: every channel within 1 level of the rasterized image (the shading's float rounding)
except at most BAD_PIXELS pixels. Those are edge pixels where the rasterizer's snapped vertex or interpolated
depth differs from the splat's by a rounding (it computes the viewport transform and the depth plane in its own
order): a pixel centre that lies on an edge within a rounding, or two triangles at one depth within a rounding,
can go to the other triangle, or (at the sheet's silhouette) to the background. The mesh benchmark's 1M
triangles at 1280x720 had none (bench/mesh_cases.py)."""

import numpy as np
import pytest

from bench.mesh_scene import COLOR, EYE, TARGET, WaveMesh
from renderer import testing
from renderer.app.headless import HeadlessRenderer
from renderer.camera import Camera
from renderer.device.memory import read_device_buffer
from renderer.draw import triangle_splat

SIZE = (320, 180)  # 57,600 pixels: from 17,280 triangles the sheet is splatted (SPLAT_FROM 0.3 on lavapipe)
GRID = 120
TRIANGLES = 2 * (GRID - 1) ** 2  # 28,322
BAD_PIXELS = 12  # of 57,600: see the module's docstring


class Sheet(WaveMesh):
    """The mesh benchmark's sheet (its `splat` parameter as given); `extra`: "crossing" adds an opaque quad through it (two
    triangles, rasterized: far below the size rule), "transparent" the same quad transparent; `scalars` colours
    the sheet through a colormap; `nan_green` gives half the vertices a NaN green."""

    extra = None
    scalars = False
    nan_green = False
    eye = EYE

    def setup(self, gpu):
        n = self.grid
        self.camera = Camera(eye=self.eye, target=TARGET)
        self.positions = gpu.array("positions", (n * n,), element_shape=(3,))
        self.normals = gpu.array("normals", (n * n,), element_shape=(3,))
        self.indices = gpu.array("indices", ((n - 1) * (n - 1) * 6,), dtype="uint32", usage=("index",))
        colour = {"color": COLOR}
        if self.scalars:
            values = np.linspace(0.0, 1.0, n * n, dtype=np.float32)
            colour = {"scalars": gpu.array("scalars", data=values), "colormap": "turbo", "range": (0.0, 1.0)}
        if self.nan_green:
            values = np.tile(np.float32(COLOR), (n * n, 1))
            values[: n * n // 2, 1] = np.nan  # the near half's vertices
            colour = {"colors": gpu.array("colors", data=values, element_shape=(3,))}
        self.draw = gpu.mesh(self.positions, self.normals, self.indices, splat=self.splat, **colour)
        if self.extra is not None:
            quad = np.array(
                [[-0.5, -0.3, 0.1], [0.5, -0.3, -0.1], [0.5, 0.3, -0.1], [-0.5, 0.3, 0.1]], np.float32
            )
            normal = np.tile(np.float32([0.0, 0.0, 1.0]), (4, 1))
            gpu.mesh(
                gpu.array("quad", data=quad, element_shape=(3,)),
                gpu.array("quad normals", data=normal, element_shape=(3,)),
                gpu.array(
                    "quad indices",
                    data=np.array([0, 1, 2, 0, 2, 3], np.uint32),
                    dtype="uint32",
                    usage=("index",),
                ),
                color=(0.2, 0.6, 0.9),
                opacity=0.5 if self.extra == "transparent" else None,
            )
        self.weave = gpu.kernel("weave").bind(self.indices, n)
        self.step = gpu.kernel("wave").bind(self.positions, self.normals, n, 0.0)


def sheet(splat: bool, cls=Sheet, **attrs) -> Sheet:
    scene = cls(grid=attrs.pop("grid", GRID))
    scene.splat = splat
    for name, value in attrs.items():
        setattr(scene, name, value)
    return scene


def render(scene, frames=3, size=SIZE):
    """The last of `frames` frames (validation on: any message fails), whether the sheet was splatted in it, and
    how many triangles its slot's indirect draw left to the rasterizer (None where not splatted)."""
    with HeadlessRenderer(scene, *size, validate=True) as r:
        pixels = r.render(frames)
        draw = scene.draw
        large = None
        if draw.splatting:
            slot = (frames - 1) % r.frames.frames_in_flight
            large = int(read_device_buffer(r.context, draw.splat.draws[slot], np.uint32)[0]) // 3
        return pixels, draw.splatting, large, r.context


def assert_same_image(splat_pixels, raster_pixels, context, bad=BAD_PIXELS):
    assert (
        np.abs(raster_pixels[..., :3].astype(int) - raster_pixels[0, 0, :3]).max(axis=2) > 30
    ).sum() > 5000
    if testing.compare_on_this_device(context):
        comparison = testing.compare(splat_pixels[..., :3], raster_pixels[..., :3], atol=1)
        assert comparison.bad_pixels <= bad, str(comparison)


def test_small_triangles_splat_to_the_rasterized_image():
    raster, splatting, _, _ = render(sheet(False))
    assert not splatting
    splat, splatting, large, context = render(sheet(True))
    assert splatting and large < TRIANGLES // 100  # a few near the front cover more than 3x3 centres
    assert_same_image(splat, raster, context)


def test_large_triangles_go_to_the_rasterizer_in_the_same_frame():
    """Camera close: the near cells cover more than 3x3 pixel centres (drawn by the indirect draw), the far ones
    are splatted; the image is the rasterizer's, with no gap where the two meet."""
    close = {"eye": (0.0, 0.45, 0.75)}
    raster, _, _, _ = render(sheet(False, **close))
    splat, splatting, large, context = render(sheet(True, **close))
    assert splatting and 500 < large < TRIANGLES - 500
    assert_same_image(splat, raster, context)


def test_an_opaque_draw_through_the_sheet_meets_it_by_depth():
    """A rasterized quad through the splatted sheet: each pixel shows what is nearer, as with both rasterized."""
    raster, _, _, _ = render(sheet(False, extra="crossing"))
    splat, splatting, _, context = render(sheet(True, extra="crossing"))
    assert splatting
    quad = (raster[..., 2] > raster[..., 0] + 60).sum()  # the quad is blue, the sheet orange
    assert quad > 1000
    assert_same_image(splat, raster, context)


def test_colormapped_sheet_splats_its_mapped_colours():
    raster, _, _, _ = render(sheet(False, scalars=True))
    splat, splatting, _, context = render(sheet(True, scalars=True))
    assert splatting
    assert_same_image(splat, raster, context)


def test_nan_colours_splat_as_rasterized():
    """A NaN colour component reaches the frame as 0, as the rasterizer's colour attachment writes store it, not
    as the driver's own storage image write makes it (lavapipe: 1)."""
    raster, _, _, _ = render(sheet(False, nan_green=True))
    splat, splatting, _, context = render(sheet(True, nan_green=True))
    assert splatting
    for pixels in (raster, splat):
        assert ((pixels[..., 1] == 0) & (pixels[..., 0] > 60)).sum() > 5000 and not (
            pixels[..., 1] == 255
        ).any()
    assert_same_image(splat, raster, context)


def test_fewer_triangles_drawn_splat_only_those():
    """`count` set from update(): the splat covers the first `count` indices only, as the rasterizer does."""

    class Half(Sheet):
        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            self.draw.count = 6 * (GRID - 1) * 90  # the first 90 rows of cells (21,420 triangles)

    raster, _, _, _ = render(sheet(False, cls=Half))
    splat, splatting, _, context = render(sheet(True, cls=Half))
    assert splatting
    assert_same_image(splat, raster, context)


def test_a_frame_with_transparent_draws_rasterizes_the_sheet():
    """The splat writes no depth for transparent draws to be tested against: such a frame rasterizes all."""
    pixels, splatting, _, _ = render(sheet(True, extra="transparent"))
    assert not splatting
    raster, _, _, _ = render(sheet(False, extra="transparent"))
    assert np.array_equal(pixels, raster)


def test_few_triangles_per_pixel_are_rasterized():
    """Below SPLAT_FROM triangles per pixel of the frame (here 1,682 on 57,600) the rasterizer is faster."""
    _, splatting, _, _ = render(sheet(True, grid=30))
    assert not splatting


@pytest.mark.parametrize("splat", [False, True])
def test_no_splat_on_a_device_where_it_is_not_measured(splat, monkeypatch):
    monkeypatch.setattr(triangle_splat, "SPLAT_FROM", {"CPU": None, "GPU": None})
    _, splatting, _, _ = render(sheet(splat), frames=1)
    assert not splatting


class Swinging(Sheet):
    """The camera close (large triangles drawn by the indirect draw) for two frames, then far (none), and so on:
    each frame slot meets a pass that draws nothing after one that drew."""

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        eye = (0.0, 0.45, 0.75) if (frame // 2) % 2 else (0.0, 2.4, 3.4)
        self.camera = Camera(eye=eye, target=TARGET)


def test_depth_cleared_only_when_the_pass_draws_gives_the_same_frames(monkeypatch):
    """A frame whose only draw is the splatted sheet clears its depth only when SPLAT left large triangles
    (frame/offscreen.py, conditional rendering); RESOLVE ignores the stale depth of a pass that drew none."""
    from tests.test_clears import frames_with_and_without_the_depth_skip

    swinging = []  # the scenes made, to check they were splatted
    frames, counts = frames_with_and_without_the_depth_skip(
        monkeypatch, lambda: swinging.append(sheet(True, cls=Swinging)) or swinging[-1], SIZE, 8
    )
    assert all(scene.draw.splatting for scene in swinging)
    assert counts == [(f // 2) % 2 for f in range(8)]  # large triangles only close by
    assert not np.array_equal(frames[2], frames[4])  # close and far


class SwingingDotted(Sheet):
    """The sheet with particles at its vertices: the camera far for four frames, then close (large triangles
    drawn in the render pass) for four; the particles small for three frames, then large for three. So a splatted
    mesh and splatted particles meet in one frame, drawing in the pass together, alone or not at all, and a frame
    slot meets the sheet alone in the pass after a frame where both drew."""

    def setup(self, gpu):
        super().setup(gpu)
        self.dots = gpu.particles(self.positions, radius=0.0005, color=(1.0, 0.4, 0.2))

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        eye = (0.0, 0.45, 0.75) if (frame // 4) % 2 else (0.0, 2.4, 3.4)
        self.camera = Camera(eye=eye, target=TARGET)
        self.dots.radius = 0.02 if (frame // 3) % 2 else 0.0005


def test_depth_cleared_only_when_the_sheet_or_the_particles_draw_in_the_pass(monkeypatch):
    """The sheet's and the particles' splats share the frame's count of draws that drew in the pass."""
    from tests.test_clears import frames_with_and_without_the_depth_skip

    scenes = []
    frames, counts = frames_with_and_without_the_depth_skip(
        monkeypatch, lambda: scenes.append(sheet(True, cls=SwingingDotted)) or scenes[-1], SIZE, 12
    )
    assert all(scene.draw.splatting and scene.dots.splatting for scene in scenes)
    assert counts == [(f // 4) % 2 + (f // 3) % 2 for f in range(12)]
    kinds = [frames[f] for f in (0, 3, 4, 6)]  # far: small, large particles; close: large, small particles
    for i, a in enumerate(kinds):
        for b in kinds[i + 1 :]:
            assert not np.array_equal(a, b)
