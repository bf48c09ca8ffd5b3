"""Picking, headless and in the window (Xvfb, lavapipe), validation with synchronization validation on: a Ctrl+click
or `HeadlessRenderer.pick` reports the particle, triangle or instance at a pixel, its world position and its
arrays' values; nothing on the background; a plain click still orbits; splatted particles come from the
splat's own per-pixel ids; the panel shows the pick and the scene gets it once."""

import numpy as np
import pytest

from renderer import HeadlessRenderer, Picked
from renderer.camera import Camera
from renderer.errors import ArgumentError
from renderer.scene import Scene

W, H = 320, 200
BIG = np.array([[-0.6, 0.0, 0.0], [0.0, 0.3, 0.2], [0.5, -0.2, -0.3], [0.2, -0.45, 0.0]], np.float32)
VELOCITIES = np.arange(12, dtype=np.float32).reshape(4, 3) * 0.5
CAMERA = Camera(eye=(0.0, 0.0, 3.0))


def pixel_of(position, camera=CAMERA, width=W, height=H) -> tuple[int, int]:
    """Where a world point is drawn: the frame's pixel (x, y) from its top left."""
    clip = camera.view_projection(width / height) @ np.append(np.asarray(position, np.float64), 1.0)
    ndc = clip[:3] / clip[3]
    return int((ndc[0] * 0.5 + 0.5) * width), int((ndc[1] * 0.5 + 0.5) * height)


class Shapes(Scene):
    """Big particles, a mesh of two triangles behind them and three cube instances, all from static data."""

    name = "pick-shapes"
    description = "particles, a mesh and instances at known places"
    camera = CAMERA

    def setup(self, gpu):
        self.positions = gpu.array("positions", data=BIG, element_shape=(3,))
        self.velocities = gpu.array("velocities", data=VELOCITIES, element_shape=(3,))
        self.particles = gpu.particles(self.positions, radius=0.08, splat=False)
        quad = np.array([[-0.5, 0.6, -1], [0.5, 0.6, -1], [0.5, 1.0, -1], [-0.5, 1.0, -1]], np.float32)
        normals = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
        self.vertices = gpu.array("vertices", data=quad, element_shape=(3,))
        self.normals = gpu.array("normals", data=normals, element_shape=(3,))
        self.indices = gpu.array(
            "indices", data=np.array([0, 1, 2, 0, 2, 3], np.uint32), dtype=np.uint32, usage=("index",)
        )
        self.mesh = gpu.mesh(self.vertices, self.normals, self.indices)
        self.spots = gpu.array(
            "spots",
            data=np.array([[-0.9, -0.7, 0], [-0.6, -0.7, 0], [-0.3, -0.7, 0]], np.float32),
            element_shape=(3,),
        )
        self.boxes = gpu.instances("cube", self.spots, scale=0.15)
        self.seen = []

    def update(self, frame, dt, input):
        if input.picked is not None:
            self.seen.append(input.picked)


def test_headless_pick_finds_each_kind_and_nothing_on_the_background():
    with HeadlessRenderer(Shapes(), W, H, validate=True) as r:
        r.render(2)
        for k, position in enumerate(BIG):
            picked = r.pick(*pixel_of(position))
            assert (picked.kind, picked.index, picked.drawable) == ("particle", k, r.scene.particles)
            assert picked.draw == r.loaded.drawables.index(r.scene.particles)
            assert picked.values["positions"] == pytest.approx(tuple(position))
            assert picked.values["velocities"] == pytest.approx(tuple(VELOCITIES[k]))
            # the point on the sprite's disc, at the particle's depth: within its radius of its centre
            assert np.linalg.norm(np.subtract(picked.position, position)) < 0.08
        # the quad's right half is its first triangle (0, 1, 2), the left its second (0, 2, 3)
        right, left = r.pick(*pixel_of((0.4, 0.7, -1))), r.pick(*pixel_of((-0.4, 0.9, -1)))
        assert (right.kind, right.index, left.index) == ("triangle", 0, 1)
        assert right.drawable is r.scene.mesh and right.position == pytest.approx((0.4, 0.7, -1), abs=0.02)
        for k, spot in enumerate(((-0.9, -0.7, 0), (-0.6, -0.7, 0), (-0.3, -0.7, 0))):
            picked = r.pick(*pixel_of(spot))
            assert (picked.kind, picked.index, picked.drawable) == ("instance", k, r.scene.boxes)
            assert picked.values["spots"] == pytest.approx(spot)
        nothing = r.pick(2, 2)
        assert nothing == Picked(pixel=(2, 2)) and nothing.draw is None and nothing.values == {}
        with pytest.raises(ArgumentError, match="outside the 320x200 frame"):
            r.pick(W, 0)
        r.render(1)  # frames go on after picks
    r.context.validation_log.raise_if_any("in the picking test")
