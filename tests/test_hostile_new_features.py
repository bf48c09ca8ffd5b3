"""Hostile inputs to the recorder, picking and the draws' run-time setters: each is refused with one typed error
naming what is wrong (no TypeError from inside the framework, no file or process left behind, no silent change),
and the frames go on clean under the validation layer afterwards."""

import numpy as np
import pytest

from renderer import Camera, HeadlessRenderer, Picked, Recorder, Scene
from renderer.errors import ArgumentError, OutOfMemoryError, OutputError, RendererError
from tests.test_transparency import FLAT_FRAGMENT, FLAT_VERTEX, square

W, H = 64, 48
POINTS = np.float32([[0, 0, 0], [0.3, 0.3, 0], [-0.3, 0, 0], [0, -0.3, 0]])


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("a.mp4", 32, 32), {"fps": "60"}, "fps must be a positive number"),
        (("a.mp4", 32, 32), {"fps": None}, "fps must be a positive number"),
        (("a.mp4", 32, 32), {"fps": True}, "fps must be a positive number"),
        (("a.mp4", True, 32), {}, "positive whole numbers"),
        (("a.mp4", 32, 32), {"pixel_format": ["rgba"]}, "pixel_format must be one of"),
        ((None, 32, 32), {}, "path is a str or Path"),
    ],
)
def test_recorder_bad_arguments_are_one_error(tmp_path, args, kwargs, message):
    with pytest.raises(RendererError, match=message):
        Recorder(tmp_path / args[0] if args[0] else None, *args[1:], **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_recorder_accepts_numpy_sizes(tmp_path):
    with Recorder(tmp_path / "n.mp4", np.int64(32), np.int32(16)) as video:
        video.write(np.zeros((16, 32, 4), np.uint8))
    assert video.frames == 1 and (tmp_path / "n.mp4").stat().st_size > 0


def test_recorder_to_a_folder_is_refused_before_any_frame(tmp_path):
    (tmp_path / "clip.mp4").mkdir()
    with pytest.raises(OutputError, match="clip.mp4: it is a folder"):
        Recorder(tmp_path / "clip.mp4", 32, 32)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temporary file beside it


def test_recorder_too_large_leaves_nothing_behind(tmp_path):
    with pytest.raises(OutOfMemoryError, match="record a smaller size"):
        Recorder(tmp_path / "huge.mp4", 10**6, 10**6)
    assert list(tmp_path.iterdir()) == []


class Few(Scene):
    """Four particles with scalars (or, for kind "custom", one custom draw over the frame; "empty": nothing)."""

    name = "hostile"
    camera = Camera(eye=(0.0, 0.0, 3.0))

    def __init__(self, kind, **values):
        super().__init__(**values)
        self.kind = kind

    def setup(self, gpu):
        points = gpu.array("points", element_shape=(3,), data=POINTS)
        if self.kind == "scalars":
            scalars = gpu.array("scalars", data=np.arange(4, dtype=np.float32))
            self.draw = gpu.particles(points, radius=0.2, scalars=scalars, opacity=0.5)
        elif self.kind == "custom":
            corners = gpu.array("corners", element_shape=(3,), data=square(-1, -1, 1, 1))
            self.draw = gpu.custom(FLAT_VERTEX, FLAT_FRAGMENT, [corners], uniforms={"color": (1, 0, 0, 1)})

    def update(self, frame, dt, input):
        pass


def test_setters_refuse_what_would_fail_later_or_change_silently():
    scene = Few("scalars")
    with HeadlessRenderer(scene, W, H, validate=True) as r:
        before = r.render(1).copy()
        draw = scene.draw
        mapping = draw.colormap
        for value in (None, 5, mapping.colors):  # would drop the mapping, or break the next frame
            with pytest.raises(ArgumentError, match="colormap is set by name"):
                draw.colormap = value
        assert draw.colormap is mapping
        for value in (("0", "1"), (-1e39, 1e39), (1.0, 1.0 + 1e-12)):  # strings; inf or lo == hi in float32
            with pytest.raises(ArgumentError, match="colormap range"):
                draw.range = value
        assert draw.range == "auto"
        with pytest.raises(ArgumentError, match="opacity must be a number"):
            draw.opacity = "0.5"
        assert draw.opacity == 0.5
        with pytest.raises(ArgumentError, match="whole pixel coordinates"):
            r.pick(0, True)
        assert np.array_equal(r.render(1), before)  # nothing refused changed the frame
        r.context.check_validation("after the refused values")


def test_opacity_string_at_setup_is_refused():
    class Text(Few):
        def setup(self, gpu):
            gpu.particles(gpu.array("points", element_shape=(3,), data=POINTS), opacity="0.5")

    with pytest.raises(RendererError, match="opacity must be a number from 0"):
        HeadlessRenderer(Text("x"), W, H, validate=True)


@pytest.mark.parametrize("kind", ["empty", "custom"])
def test_pick_with_nothing_pickable_finds_nothing_at_every_corner(kind):
    """Custom draws are not pickable (README, picking): a pick on them, or on an empty scene, is no element."""
    with HeadlessRenderer(Few(kind), W, H, validate=True) as r:
        r.render(1)
        for x, y in ((0, 0), (W - 1, H - 1), (W // 2, H // 2), (np.int32(3), np.int64(4))):
            assert r.pick(x, y) == Picked(pixel=(x, y))
        for x, y in ((-1, 0), (0, H), (1.5, 2), ("1", 2)):
            with pytest.raises(ArgumentError):
                r.pick(x, y)
        r.context.check_validation("in the picks")
