"""The frame's colour and depth cleared by transfer commands before a render pass that loads them
(frame/offscreen.py CLEAR_BEFORE_PASS) draw the same frames as the render pass's own clears: meshes, large
particles drawn as sprites, small ones splatted, transparent draws, a background colour set from update().
Under the validation layer with synchronization validation."""

import numpy as np
import pytest

from renderer.app.headless import HeadlessRenderer
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
    for before in (False, True):
        monkeypatch.setattr(offscreen, "CLEAR_BEFORE_PASS", before)
        with HeadlessRenderer(SCENES[name](), 128, 96, validate=True) as r:
            assert r.frames.render_pass.cleared_before is before
            frames[before] = [pixels.copy() for _, pixels in r.frames_iter(4, 1 / 60)]
            r.context.check_validation(f"{name}, cleared {'before' if before else 'by'} the pass")
    for a, b in zip(frames[False], frames[True], strict=True):
        assert np.array_equal(a, b)
    for frame in frames[True]:  # something drawn over the background
        assert len(np.unique(frame.reshape(-1, 4), axis=0)) > 10
