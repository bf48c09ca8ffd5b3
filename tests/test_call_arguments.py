"""HeadlessRenderer's calls check their arguments where they are called: a wrong type or value is one
ArgumentError naming the argument and the value (never a raw TypeError from inside, nor a value taken and
failing later), numpy integers are whole numbers everywhere (converted: no arithmetic in their width),
something not a Scene instance is refused before the old scene is released, and two frames_iter of one
renderer never take each other's frames."""

import dataclasses
import math

import numpy as np
import pytest

from renderer import HeadlessRenderer
from renderer.camera import Camera
from renderer.errors import ArgumentError, RendererError
from renderer.scene import Scene
from tests.scenes_for_tests import FrameMarker, place

W, H = 32, 24
NUMPY_INTS = [np.int8, np.int16, np.uint8, np.int64]


def lit_column(pixels: np.ndarray) -> float:
    """Mean x of the bright pixels: FrameMarker draws frame k at its own column (k % 8)."""
    xs = np.nonzero(pixels[..., 0] > 128)[1]
    assert xs.size > 0, "nothing was drawn"
    return float(xs.mean())


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((True, H), {}, "width must be a whole number of at least 1, not True"),
        ((W, 2.5), {}, "height must be a whole number of at least 1, not 2.5"),
        (("32", H), {}, "width must be a whole number of at least 1, not '32'"),
        ((W, None), {}, "height must be a whole number of at least 1, not None"),
        ((0, H), {}, "width must be a whole number of at least 1, not 0"),
        ((W, np.int16(-4)), {}, r"height must be a whole number of at least 1, not np.int16\(-4\)"),
        ((W, H), {"frames_in_flight": 1.5}, "frames_in_flight must be a whole number of at least 1, not 1.5"),
        (
            (W, H),
            {"frames_in_flight": True},
            "frames_in_flight must be a whole number of at least 1, not True",
        ),
        ((W, H), {"frames_in_flight": 0}, "frames_in_flight must be a whole number of at least 1, not 0"),
        ((W, H), {"device_name": 5}, "device_name must be a str .* or None, not 5"),
        ((W, H), {"timeline": "yes"}, "timeline must be True or False or None, not 'yes'"),
        ((W, H), {"readback": 0}, "readback must be True or False, not 0"),
        ((W, H), {"validate": None}, "validate must be True or False, not None"),
        ((W, H), {"sync_between_submissions": 1}, "sync_between_submissions must be True or False, not 1"),
        ((W, H), {"taichi_runtime": 5}, "taichi_runtime must be a TaichiRuntime or None, not 5"),
        ((W, H), {"calls": "count"}, "calls must be a FrameCalls .* or None, not 'count'"),
    ],
)
def test_the_constructor_refuses_wrong_sizes_counts_and_options(args, kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        HeadlessRenderer(FrameMarker(), *args, **kwargs)


@pytest.mark.parametrize("scene", [None, 42, "frame-marker", FrameMarker])
def test_the_constructor_refuses_what_is_not_a_scene_instance(scene):
    message = (
        "not the class FrameMarker: pass an instance, e.g. FrameMarker()" if scene is FrameMarker else "not"
    )
    with pytest.raises(ArgumentError, match=f"scene must be a Scene instance.*{message}"):
        HeadlessRenderer(scene, W, H)


class SkipsSuperInit(FrameMarker):
    def __init__(self, speed=1.0):  # sets its own attribute, but not the parameters and camera Scene's sets
        self.speed = speed


def test_a_scene_whose_init_skipped_super_init_is_refused_before_anything_is_made():
    with pytest.raises(ArgumentError, match=r"SkipsSuperInit: its __init__ did not call super\(\).__init__"):
        HeadlessRenderer(SkipsSuperInit(), W, H)


@dataclasses.dataclass(eq=False)
class DataMarker(FrameMarker):
    speed: float = 1.0

    def __post_init__(self):
        super().__init__()


def test_a_dataclass_scene_calls_super_init_from_post_init():
    with HeadlessRenderer(DataMarker(speed=2.0), W, H) as r:
        assert r.scene.speed == 2.0 and lit_column(r.render(4)) > 0
    plain = dataclasses.dataclass(eq=False)(
        type("PlainDataMarker", (FrameMarker,), {"__annotations__": {"x": int}})
    )
    with pytest.raises(ArgumentError, match=r"call it first in __init__ \(in a dataclass's __post_init__\)"):
        HeadlessRenderer(plain(x=1), W, H)


class StaticMarker(Scene):
    """Places its particles once, in setup, at frame 3's column, and defines no update."""

    name = "static-marker"
    kernels = (place,)
    camera = FrameMarker.camera

    def setup(self, gpu):
        positions = gpu.array("positions", (64,), element_shape=(3,))
        gpu.particles(positions, radius=0.03, color=(1.0, 1.0, 1.0))
        gpu.kernel("place").bind(positions, 3)()


def test_a_static_scene_needs_no_update():
    with HeadlessRenderer(StaticMarker(), W, H, validate=True) as r:
        first, later = r.render(1), r.render(5)
        assert np.array_equal(first, later)
        with HeadlessRenderer(FrameMarker(), W, H) as marker:
            assert lit_column(later) == lit_column(marker.render(4))  # frame 3 drawn: what setup placed
        r.context.check_validation("a scene without update")


def test_numpy_integers_are_whole_numbers_everywhere():
    sizes = dict(width=np.int16(W), height=np.uint8(H), frames_in_flight=np.int8(3))
    with HeadlessRenderer(FrameMarker(), **sizes, validate=True, readback=np.True_) as r:
        assert (type(r.width), type(r.height), r.frames.frames_in_flight) == (int, int, 3)
        seen = []
        last = r.render(np.int64(4), np.float32(0.01), on_frame=lambda frame, _: seen.append(frame))
        assert last.shape == (H, W, 4) and seen == [0, 1, 2, 3]
        assert all(type(frame) is int for frame in seen)
        for kind in NUMPY_INTS:
            frames = [frame for frame, _ in r.frames_iter(kind(2), first=kind(5))]
            assert frames == [5, 6] and all(type(frame) is int for frame in frames)
        r.context.check_validation("after the numpy arguments")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda r: r.render(-3), "count must be a whole number of at least 1, not -3"),
        (lambda r: r.render(0), "count must be a whole number of at least 1, not 0"),
        (lambda r: r.render(2.5), "count must be a whole number of at least 1, not 2.5"),
        (lambda r: r.render("3"), "count must be a whole number of at least 1, not '3'"),
        (lambda r: r.render(True), "count must be a whole number of at least 1, not True"),
        (lambda r: r.render(None), "count must be a whole number of at least 1, not None"),
        (
            lambda r: r.render(np.float64(2)),
            r"count must be a whole number of at least 1, not np.float64\(2.0\)",
        ),
        (lambda r: r.render(3, dt="x"), "dt must be a finite number, not 'x'"),
        (lambda r: r.render(3, dt=None), "dt must be a finite number, not None"),
        (lambda r: r.render(3, dt=math.nan), "dt must be a finite number, not nan"),
        (lambda r: r.render(3, dt=np.float32("inf")), r"dt must be a finite number, not np.float32\(inf\)"),
        (lambda r: r.render(3, dt=True), "dt must be a finite number, not True"),
        (lambda r: r.render(3, dt=10**400), "dt must be a finite number, not 1000"),
        (lambda r: r.render(3, on_frame=5), "on_frame must be a function of .* or None, not 5"),
        (lambda r: r.frames_iter(-1), "count must be a whole number of at least 0, not -1"),
        (lambda r: r.frames_iter(2, first=0.5), "first must be a whole number of at least 0, not 0.5"),
        (lambda r: r.frames_iter(2, first=-1), "first must be a whole number of at least 0, not -1"),
        (lambda r: r.frames_iter(2, first=np.int8(-1)), r"first must .* not np.int8\(-1\)"),
        (lambda r: r.frames_iter(2, first=None), "first must be a whole number of at least 0, not None"),
        (lambda r: r.frames_iter(2, dt="0.1"), "dt must be a finite number, not '0.1'"),
        (lambda r: r.frames_iter(2, copy="no"), "copy must be True or False, not 'no'"),
        (lambda r: r.render(2, copy=None), "copy must be True or False, not None"),
    ],
)
def test_render_and_frames_iter_refuse_bad_arguments_when_called(call, message):
    with HeadlessRenderer(FrameMarker(), W, H) as r:
        with pytest.raises(ArgumentError, match=message):
            call(r)  # frames_iter's too: at the call, not at its first frame
        assert r.render(1).shape == (H, W, 4)  # nothing refused changed the renderer


def test_frames_iter_of_no_frames_yields_nothing():
    with HeadlessRenderer(FrameMarker(), W, H) as r:
        assert list(r.frames_iter(0)) == [] and list(r.frames_iter(np.uint8(0), first=3)) == []


class Grid(Scene):
    """Small particles all over a 640x480 frame (splatted): picks far from the top left need offsets beyond
    int16, and near it coordinates fit in int8."""

    name = "pick-grid"
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        xs = np.linspace(-0.9, 0.9, 40, dtype=np.float32)
        x, y = np.meshgrid(xs, xs * 0.7)
        points = np.stack([x.ravel(), y.ravel(), np.zeros(x.size, np.float32)], -1).astype(np.float32)
        self.draw = gpu.particles(gpu.array("p", element_shape=(3,), data=points), radius=0.004)

    def update(self, frame, dt, input):
        pass


def test_pick_takes_numpy_integers_of_any_width_as_python_ints():
    with HeadlessRenderer(Grid(), 640, 480, validate=True) as r:
        image = r.render(1)
        assert r.scene.draw.splatting
        ys, xs = np.nonzero(image[..., :3].astype(int).sum(-1) > 60)
        far = np.argmax(ys * 1000 + xs)  # the bottom right's: its splat word is past 2**15
        near = np.argmin(ys * 1000 + xs)  # the top left's: fits int8
        for k, kinds in ((far, [np.int16, np.uint16, np.int32, np.int64]), (near, NUMPY_INTS)):
            x, y = int(xs[k]), int(ys[k])
            assert k == far or max(x, y) < 128
            expected = r.pick(x, y)
            assert expected.kind == "particle"
            for kind in kinds:
                picked = r.pick(kind(x), kind(y))
                assert (picked.index, picked.pixel) == (expected.index, (x, y)), kind
                assert all(type(v) is int for v in picked.pixel)
        for x, y in [
            (1.0, 2),
            (2, np.float32(1)),
            (True, 2),
            (2, np.bool_(True)),
            ("1", 2),
            (None, 2),
            (math.nan, 0),
        ]:
            with pytest.raises(ArgumentError, match="a pick needs whole pixel coordinates"):
                r.pick(x, y)
        for x, y in [(-1, 0), (np.int8(-1), 0), (640, np.uint16(0)), (0, np.int64(480))]:
            with pytest.raises(ArgumentError, match="outside the 640x480 frame"):
                r.pick(x, y)
        r.context.check_validation("after the picks")


def test_switch_refuses_what_is_not_a_scene_instance_and_keeps_the_old_scene():
    with HeadlessRenderer(FrameMarker(), W, H, validate=True) as r:
        before = r.render(1).copy()
        scene = r.scene
        for bad, message in [
            (None, "scene must be a Scene instance .*not None"),
            (42, "scene must be a Scene instance .*not 42"),
            (FrameMarker, r"not the class FrameMarker: pass an instance, e.g. FrameMarker\(\)"),
        ]:
            with pytest.raises(ArgumentError, match=message):
                r.switch(bad)
            assert r.scene is scene and r.loaded is not None  # nothing was released
        assert np.array_equal(r.render(1), before)  # frame 0 of the same scene, as before
        r.context.check_validation("after the refused switches")


def test_a_second_frames_iter_while_one_is_live_is_refused_and_the_first_goes_on():
    """A (frames 0..5) and B (3..8) advanced in turn used to take each other's frames and lose 5 of 12."""
    with HeadlessRenderer(FrameMarker(), 128, 48, validate=True) as r:
        reference = {frame: lit_column(pixels) for frame, pixels in r.frames_iter(8)}
        a, b = r.frames_iter(6), r.frames_iter(6, first=3)
        got = [next(a)]
        with pytest.raises(
            RendererError, match="frames 3..8 started while the frames_iter of frames 0..5 is still live"
        ):
            next(b)
        with pytest.raises(RendererError, match="still live"):
            r.render(2)
        with pytest.raises(StopIteration):
            next(b)  # refused is finished
        got += list(a)
        assert [frame for frame, _ in got] == [0, 1, 2, 3, 4, 5]
        assert all(lit_column(pixels) == reference[frame] for frame, pixels in got)
        assert [frame for frame, _ in r.frames_iter(3, first=3)] == [3, 4, 5]  # exhausted: no longer live
        r.context.check_validation("after the interleaved iterators")


def test_a_pick_or_a_switch_inside_the_loop_drops_the_frames_in_flight_in_order():
    """As pick() and switch() say: the loop goes on after the frames they waited for, in order, each frame's
    pixels its own."""
    with HeadlessRenderer(FrameMarker(), 128, 48, validate=True) as r:
        reference = {frame: lit_column(pixels) for frame, pixels in r.frames_iter(12)}
        got = []
        for frame, pixels in r.frames_iter(12):
            got.append((frame, lit_column(pixels)))
            if frame == 3:
                r.pick(5, 5)
            if frame == 7:
                r.switch(FrameMarker())
        frames = [frame for frame, _ in got]
        assert frames == sorted(frames) and frames[:4] == [0, 1, 2, 3] and frames[-1] == 11
        skipped = sorted(set(range(12)) - set(frames))
        assert skipped == [
            4,
            8,
        ]  # in flight at the pick and at the switch (frames_in_flight - 1 while it yields)
        assert all(column == reference[frame] for frame, column in got)


def test_an_iterator_left_early_blocks_nothing_once_closed_and_leaves_no_frames():
    with HeadlessRenderer(FrameMarker(), W, H, validate=True) as r:
        for frame, _ in r.frames_iter(10):  # the loop's own iterator, dropped (closed) at the break
            if frame == 3:
                break
        assert [frame for frame, _ in r.frames_iter(3)] == [
            0,
            1,
            2,
        ]  # not frame 4, still in flight at the break
        held = r.frames_iter(10)
        for frame, _ in held:
            if frame == 3:
                break
        with pytest.raises(RendererError, match="exhaust or close\\(\\) that one first"):
            r.render(1)  # still held, so still live: it could be advanced
        held.close()
        seen = []
        r.render(2, on_frame=lambda frame, _: seen.append(frame))
        assert seen == [0, 1]
        held = r.frames_iter(10)
        next(held)
        del held  # garbage-collected: closed
        assert [frame for frame, _ in r.frames_iter(2, first=7)] == [7, 8]
        unstarted = r.frames_iter(4)  # made but never advanced: not live
        assert r.render(1).shape == (H, W, 4)
        assert [frame for frame, _ in unstarted] == [0, 1, 2, 3]
        r.context.check_validation("after the iterators left early")


def test_a_failed_iterator_is_not_live():
    class Flaky(FrameMarker):
        def update(self, frame, dt, input):
            if frame == 3:
                raise RuntimeError("scene bug")
            super().update(frame, dt, input)

    with HeadlessRenderer(Flaky(), W, H) as r:
        frames = r.frames_iter(6)
        with pytest.raises(RuntimeError, match="scene bug"):
            list(frames)
        assert [frame for frame, _ in r.frames_iter(2, first=10)] == [2, 10, 11]  # frame 2 was in flight


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([],), {}, "scene_classes must be a non-empty list of Scene classes"),
        ((FrameMarker,), {}, "scene_classes must be a non-empty list"),
        (([FrameMarker()],), {}, "scene_classes must be a non-empty list"),
        (([FrameMarker], 1), {}, "first must name one of the 1 scenes"),
        (([FrameMarker], -1), {}, "first must be a whole number of at least 0"),
        (([FrameMarker],), {"size": (0, 10)}, "width must be a whole number of at least 1"),
        (([FrameMarker],), {"size": "1280x720"}, r"size must be \(width, height\)"),
        (([FrameMarker],), {"frames_in_flight": 2.0}, "frames_in_flight must be a whole number"),
        (([FrameMarker],), {"dt": math.nan}, "dt must be a finite number"),
        (([FrameMarker],), {"device_name": 5}, "device_name must be a str"),
        (([FrameMarker],), {"out_dir": 5}, "out_dir must be a path"),
        (([FrameMarker],), {"record": 5}, "record must be a path"),
        (([FrameMarker],), {"vsync": "no"}, "vsync must be True or False"),
        (([FrameMarker],), {"params": [("count", 5)]}, "params must be a dict"),
    ],
)
def test_the_window_refuses_wrong_arguments_before_it_opens(args, kwargs, message):
    """Checked before glfw or Vulkan is touched (no display is needed to see them refused)."""
    from renderer.app.interactive import InteractiveApp

    with pytest.raises(ArgumentError, match=message):
        InteractiveApp(*args, **kwargs)


def test_an_arrays_write_takes_wait_as_a_bool_only():
    with HeadlessRenderer(Grid(), 64, 48, validate=True) as r:
        array = r.loaded.gpu.arrays[0][1]
        data = array.read()
        for wait in ("no", 0, None):
            with pytest.raises(ArgumentError, match="write's wait must be True or False"):
                array.write(data, wait=wait)
        array.write(data, wait=np.bool_(True))
