"""Frames: the draw sees this frame's kernel output, frames stay in flight with no host stall, a scene's
exception leaves the renderer usable. (Golden images: test_gallery.py.)"""

from pathlib import Path

import numpy as np
import pytest
import vulkan as vk

from renderer.app.headless import HeadlessRenderer
from renderer.compute.runtime import TaichiRuntime
from renderer.device import vk as checked_vk
from renderer.frame import offscreen as frames_module
from scenes.particles import Particles
from tests.scenes_for_tests import FrameMarker, slot_x

REFERENCES = Path(__file__).parent / "references"


def lit_column(pixels: np.ndarray) -> float:
    """Mean x (pixels) of the bright pixels."""
    ys, xs = np.nonzero(pixels[..., 0] > 128)
    assert xs.size > 0, "nothing was drawn"
    return float(xs.mean())


def expected_column(frame: int, width: int, height: int) -> float:
    # camera at z=2.5, fov 45 deg: x_ndc = x * (1/tan(22.5 deg)) / aspect / 2.5
    x_ndc = slot_x(frame) / np.tan(np.radians(22.5)) / (width / height) / 2.5
    return (x_ndc + 1) / 2 * width


def test_each_frame_shows_its_own_kernel_output():
    width, height = 160, 90
    with HeadlessRenderer(FrameMarker(), width, height, validate=True) as renderer:
        seen = {frame: lit_column(pixels) for frame, pixels in renderer.frames_iter(24)}
    assert sorted(seen) == list(range(24))
    for frame, column in seen.items():
        # neighbouring slots are ~12 px apart; the previous frame's data would be off by that much
        assert abs(column - expected_column(frame, width, height)) < 3, (frame, column)
    renderer.context.check_validation("after teardown")


def test_steady_state_has_no_host_stall(monkeypatch):
    calls = {"queue_idle": 0, "device_idle": 0, "ti_wait": 0, "record": 0}
    waits = []
    real_wait = frames_module.OffscreenFrames.wait_slot

    def counting_wait(self, slot):
        waits.append((slot.frame, self.submitted))
        return real_wait(self, slot)

    with HeadlessRenderer(Particles(count=5000), 128, 72, validate=True, frames_in_flight=2) as renderer:
        for module in (vk, checked_vk):  # the `vulkan` package's functions and the checked ones
            monkeypatch.setattr(
                module,
                "vkQueueWaitIdle",
                lambda *a: calls.__setitem__("queue_idle", calls["queue_idle"] + 1),
            )
            monkeypatch.setattr(
                module,
                "vkDeviceWaitIdle",
                lambda *a: calls.__setitem__("device_idle", calls["device_idle"] + 1),
            )
            monkeypatch.setattr(
                module, "vkBeginCommandBuffer", lambda *a: calls.__setitem__("record", calls["record"] + 1)
            )
        monkeypatch.setattr(
            TaichiRuntime, "wait", lambda self: calls.__setitem__("ti_wait", calls["ti_wait"] + 1)
        )
        monkeypatch.setattr(frames_module.OffscreenFrames, "wait_slot", counting_wait)
        frames = list(renderer.frames_iter(40))
        monkeypatch.undo()
    assert [f for f, _ in frames] == list(range(40))
    assert calls == {"queue_idle": 0, "device_idle": 0, "ti_wait": 0, "record": 0}
    # Acquiring frame i waits for frame i-2: when that wait starts, frames i-2 and i-1 are both submitted.
    steady = [(frame, submitted) for frame, submitted in waits if frame is not None and submitted < 40]
    assert steady and all(submitted == frame + 2 for frame, submitted in steady), steady[:5]


def test_reclaims_taichi_memory_periodically(monkeypatch):
    waits = []
    with HeadlessRenderer(Particles(count=1000), 64, 36, validate=True) as renderer:
        renderer.frames.reclaim_interval = 8
        monkeypatch.setattr(TaichiRuntime, "wait", lambda self: waits.append(renderer.frames.submitted))
        renderer.render(20)
        monkeypatch.undo()
    assert waits == [8, 16]


def test_a_failing_update_leaves_the_renderer_usable():

    class Flaky(FrameMarker):
        def update(self, frame, dt, input):
            if frame == 3:
                raise RuntimeError("scene bug")
            super().update(frame, dt, input)

    with HeadlessRenderer(Flaky(), 64, 36, validate=True) as renderer:
        renderer.frames.fence_timeout_s = 5.0  # a fence left unsignalled fails fast
        with pytest.raises(RuntimeError, match="scene bug"):
            list(renderer.frames_iter(6))
        later = [frame for frame, _ in renderer.frames_iter(4, first=10)]
    assert later == [2, 10, 11, 12, 13]  # frame 2 was still in flight when update(3) raised: delivered next
    renderer.context.check_validation("after teardown")


def test_ordering_holds_for_1000_frames():
    """A kernel writes the vertices from the frame number; every read-back frame shows that frame's data."""
    width, height = 128, 72
    with HeadlessRenderer(FrameMarker(), width, height, validate=True, frames_in_flight=3) as renderer:
        wrong = [
            (frame, column)
            for frame, pixels in renderer.frames_iter(1000)
            if abs((column := lit_column(pixels)) - expected_column(frame, width, height)) > 2
        ]
    assert wrong == []
    renderer.context.check_validation("after 1000 frames")


def test_reclaims_after_many_launches(monkeypatch):
    with HeadlessRenderer(Particles(count=1000), 64, 36, validate=True) as renderer:
        renderer.frames.reclaim_interval, renderer.frames.reclaim_launches = 10_000, 5
        real_wait = TaichiRuntime.wait
        waits = []

        def counting_wait(self):
            waits.append(renderer.frames.submitted)
            real_wait(self)

        monkeypatch.setattr(TaichiRuntime, "wait", counting_wait)
        renderer.render(12)  # one launch a frame
        monkeypatch.undo()
    assert waits[:2] == [5, 10]


def test_frames_without_readback_stay_on_the_gpu():
    """readback=False: no readback buffers, no copy recorded; the frames still finish in order (validated)."""
    with HeadlessRenderer(Particles(count=1000), 64, 36, validate=True, readback=False) as r:
        assert all(slot.readback is None for slot in r.frames.slots)
        frames = [(frame, pixels) for frame, pixels in r.frames_iter(5)]
        assert frames == [(f, None) for f in range(5)]
        assert r.render(3) is None


def test_frames_read_in_place_equal_the_copied_ones(monkeypatch):
    """On a CPU driver the host reads the linear colour image itself (no copy): the same pixels, row pitch and
    all, as the copy into a readback buffer that other devices get."""

    def render():
        with HeadlessRenderer(Particles(count=5000, radius=0.004), 333, 197, validate=True) as r:
            return r.frames.in_place, r.context.device_type, r.render(4)

    in_place, device_type, pixels = render()
    monkeypatch.setattr(frames_module, "in_place_readback", lambda context: False)
    copied_in_place, _, copied = render()
    assert in_place == (device_type == "CPU") and not copied_in_place
    assert pixels.shape == copied.shape == (197, 333, 4)
    assert (pixels[..., 2] > 100).sum() > 200 and (pixels == copied).all()


def test_each_scene_keeps_its_own_background_on_switch():
    first, second = Particles(count=10), Particles(count=10)
    first.background, second.background = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)
    with HeadlessRenderer(first, 32, 18, validate=True) as renderer:
        red = renderer.render(1)[0, 0]
        renderer.switch(second)
        blue = renderer.render(1)[0, 0]
    assert tuple(red[:3]) == (255, 0, 0) and tuple(blue[:3]) == (0, 0, 255)
    renderer.context.check_validation("after teardown")
