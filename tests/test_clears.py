"""The frame cleared before a render pass that loads it (frame/offscreen.py CLEAR_BEFORE_PASS): colour and depth
by transfer commands, or the colour by a compute shader, draws the same frames as the render pass's own clears:
meshes, large particles drawn as sprites, small ones splatted, transparent draws, a background colour set from
update(). Under the validation layer with synchronization validation."""

import numpy as np
import pytest

from renderer.app.headless import HeadlessRenderer
from renderer.device.memory import read_device_buffer
from renderer.device.pipelines import CLEARS
from renderer.draw import point_splat
from renderer.frame import offscreen
from scenes.cloth import Cloth
from scenes.fluid import Fluid
from scenes.particles import Particles
from tests.test_transparency import Panes


class Background(Particles):
    """Small (splatted) and large (sprite) particles together, over a background colour that changes."""

    def setup(self, gpu):
        super().setup(gpu)
        self.large = gpu.particles(self.positions, radius=0.03, color=(1.0, 0.4, 0.2))

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        self.background = (0.1 * (frame % 3), 0.2, 0.3)


SCENES = {
    "cloth": lambda: Cloth(),
    "fluid": lambda: Fluid(),
    "panes": lambda: Panes(),
    "particles": lambda: Background(count=3000, radius=0.002),
}


@pytest.mark.parametrize("name", sorted(SCENES))
def test_clears_before_the_pass_draw_the_same_frames(name, monkeypatch):
    frames = {}
    for mode in CLEARS:
        monkeypatch.setattr(offscreen, "CLEAR_BEFORE_PASS", mode)
        with HeadlessRenderer(SCENES[name](), 128, 96, validate=True) as r:
            assert r.frames.render_pass.cleared_before == mode
            frames[mode] = [pixels.copy() for _, pixels in r.frames_iter(4, 1 / 60)]
            r.context.check_validation(f"{name}, cleared by {mode}")
    for mode in ("transfer", "compute"):
        for a, b in zip(frames["pass"], frames[mode], strict=True):
            assert np.array_equal(a, b), mode
    for frame in frames["pass"]:  # something drawn over the background
        assert len(np.unique(frame.reshape(-1, 4), axis=0)) > 10


def test_the_default_clear_per_kind_of_device():
    with HeadlessRenderer(Particles(count=100), 64, 48) as r:
        kind = "CPU" if r.context.device_type == "CPU" else "GPU"
        assert r.frames.render_pass.cleared_before == offscreen.CLEAR_BEFORE[kind]
    assert offscreen.CLEAR_BEFORE == {"CPU": "transfer", "GPU": "compute"}


class Toggling(Particles):
    """One particle draw whose particles are all splatted (small) in some frames and all drawn as sprites in the
    render pass (large) in others, two frames each: every frame slot meets a pass that draws nothing after one
    that drew, so its depth is stale then."""

    def setup(self, gpu):
        self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
        self.draw = gpu.particles(self.positions, radius=self.radius, color=self.color)
        self.step = gpu.kernel("spiral").bind(self.positions, 0.0)

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        self.draw.radius = 0.05 if (frame // 2) % 2 else 0.002
        self.background = (0.1 * (frame % 3), 0.2, 0.3)


SPRITE_TIES = 16  # pixels a frame that may differ run to run on a GPU (see below)


def frames_with_and_without_the_depth_skip(monkeypatch, make_scene, size, frames: int) -> tuple[list, list]:
    """`frames` frames of `make_scene()` at `size` with the depth cleared every frame and with the clear skipped
    where the pass draws nothing (offscreen.SKIP_EMPTY_DEPTH_CLEAR), under validation, with each way of clearing
    before the pass (CLEARS): asserts they are all equal (on a GPU, but for SPRITE_TIES) and that the conditional
    clear was recorded; returns the frames and, for each, the count of draws that drew in its pass (the clear
    skipped where 0)."""
    predicated = []
    clear_if = offscreen.record_depth_clear_if
    monkeypatch.setattr(offscreen, "record_depth_clear_if", lambda *a: predicated.append(1) or clear_if(*a))
    made, counts = {}, {}
    for mode in CLEARS:
        monkeypatch.setattr(offscreen, "CLEAR_BEFORE_PASS", mode)
        for skip in (False, True):
            monkeypatch.setattr(offscreen, "SKIP_EMPTY_DEPTH_CLEAR", skip)
            with HeadlessRenderer(make_scene(), *size, validate=True) as r:
                on_cpu = r.context.device_type == "CPU"
                if skip and r.frames.depth_loaded_pass is None:
                    pytest.skip("the device has no conditional rendering")
                slots = r.frames.slots
                made[mode, skip], counts[mode] = [], []
                for frame, pixels in r.frames_iter(frames, 1 / 60):
                    made[mode, skip].append(pixels)
                    if skip:  # its slot's count, before the slot renders again
                        count = slots[frame % len(slots)].shared[point_splat.PASS_DRAWS]
                        counts[mode].append(int(read_device_buffer(r.context, count, np.uint32)[0]))
                r.context.check_validation(f"cleared by {mode}, skip {skip}")
    assert predicated  # the frames were recorded with the conditional clear
    # a GPU draws large particles' sprites in the order its atomics listed them, and of two at one depth the first
    # drawn wins: two runs of the same frames differ there (the H100: up to 5 pixels a frame, skip or not)
    ties = 0 if on_cpu else SPRITE_TIES
    for key, frames_made in made.items():
        for frame, (a, b) in enumerate(zip(made["pass", False], frames_made, strict=True)):
            differ = int((a != b).any(axis=2).sum())
            assert differ <= ties, (key, frame, differ)
    assert counts["pass"] == counts["transfer"] == counts["compute"]
    return made["pass", True], counts["pass"]


def test_depth_cleared_only_when_the_pass_draws_gives_the_same_frames(monkeypatch):
    """Where the pass's only draw is the particles' large sprites, the pass clears the depth only when SPLAT
    listed some (conditional rendering); the shading after the pass then ignores a stale depth."""
    frames, counts = frames_with_and_without_the_depth_skip(
        monkeypatch, lambda: Toggling(count=3000, radius=0.002), (128, 96), 10
    )
    assert counts == [(f // 2) % 2 for f in range(10)]  # the clear skipped where no particle was large
    large, small = frames[2], frames[4]
    assert not np.array_equal(large, small)  # both kinds of frame drawn
    for frame in (large, small):
        assert len(np.unique(frame.reshape(-1, 4), axis=0)) > 10


class TogglingPair(Toggling):
    """Two particle draws of the spiral, each all small in some frames and all large in others, out of step
    (periods of two and three frames): frames where neither, either or both draw in the render pass."""

    def setup(self, gpu):
        super().setup(gpu)
        self.second = gpu.particles(self.positions, radius=self.radius, color=(1.0, 0.4, 0.2))

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        self.second.radius = 0.05 if (frame // 3) % 2 else 0.002


def test_depth_cleared_only_when_one_of_several_draws_draws_in_the_pass(monkeypatch):
    """Several splatted draws share one count of the draws that listed large particles: the pass clears the
    depth when any of them did, and every draw's shading after the pass ignores a stale depth."""
    scenes = []
    frames, counts = frames_with_and_without_the_depth_skip(
        monkeypatch,
        lambda: scenes.append(TogglingPair(count=3000, radius=0.002)) or scenes[-1],
        (128, 96),
        12,
    )
    assert all(s.draw.splatting and s.second.splatting for s in scenes)
    assert counts == [(f // 2) % 2 + (f // 3) % 2 for f in range(12)]
    kinds = [frames[f] for f in (0, 2, 3, 4)]  # neither, the first, both, the second drawn in the pass
    for i, a in enumerate(kinds):
        for b in kinds[i + 1 :]:
            assert not np.array_equal(a, b)
