"""Picking, headless and in the window (Xvfb, lavapipe), validation with synchronization validation on: a Ctrl+click
or `HeadlessRenderer.pick` reports the particle, triangle or instance at a pixel, its world position and its
arrays' values; nothing on the background; a plain click still orbits; splatted particles come from the
splat's own per-pixel ids; the panel shows the pick and the scene gets it once."""

import glfw
import numpy as np
import pytest
from imgui_bundle import imgui

from renderer import HeadlessRenderer, Picked
from renderer.app import panel as panel_module
from renderer.app.interactive import InteractiveApp
from renderer.camera import Camera
from renderer.device.memory import read_device_buffer
from renderer.draw import point_splat
from renderer.errors import ArgumentError
from renderer.frame import picking
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


class Cloud(Scene):
    """Many small particles (1-2 px wide), which the frame splats."""

    name = "pick-cloud"
    description = "a dense cloud of small particles"
    camera = CAMERA

    def setup(self, gpu):
        rng = np.random.default_rng(7)
        points = (rng.random((3000, 3)) - 0.5).astype(np.float32) * np.array([1.6, 1.0, 0.8], np.float32)
        self.points = points
        self.positions = gpu.array("positions", data=points, element_shape=(3,))
        self.draw = gpu.particles(self.positions, radius=0.004)

    def update(self, frame, dt, input):
        pass


def test_splatted_particles_are_picked_from_the_splat_buffer(monkeypatch):
    seen = {}
    release = picking.Released.destroy

    def keep_splat(self):  # the pick's splat buffer, read before it is released
        splat = self.objects.get(point_splat.SPLAT_BUFFER)
        if splat is not None:
            seen["splat"] = read_device_buffer(splat.context, splat, np.uint64)
        release(self)

    monkeypatch.setattr(picking.Released, "destroy", keep_splat)
    with HeadlessRenderer(Cloud(), W, H, validate=True) as r:
        r.render(2)
        assert r.scene.draw.splat is not None and r.scene.draw.splatting  # the frame splats them
        found = matched = 0
        for k in range(0, 3000, 100):
            x, y = pixel_of(r.scene.points[k])
            picked = r.pick(x, y)
            word = int(seen.pop("splat")[picking.tiled(x, y, W)])
            if word == picking.EMPTY64:  # a 1 px disc may cover no pixel's centre: then nothing is there
                assert picked.draw is None
                continue
            found += 1
            assert (picked.kind, picked.index) == ("particle", word & 0xFFFFFFFF)
            matched += picked.index == k
            # the winner is drawn at that pixel: its centre within 2 px
            assert np.abs(np.subtract(pixel_of(r.scene.points[picked.index]), (x, y))).max() <= 2
            assert picked.values["positions"] == pytest.approx(tuple(r.scene.points[picked.index]))
        assert found >= 15 and matched >= 5, (found, matched)  # many particles are their pixel's nearest
    r.context.validation_log.raise_if_any("in the picking test")


# -- the window

WW, WH = 640, 400


def make_app(tmp_path, classes, **kwargs):
    return InteractiveApp(classes, 0, size=(WW, WH), vsync=False, validate=True, out_dir=tmp_path, **kwargs)


def step(app, frames: int = 1) -> None:
    app.run(max_frames=app.rendered + frames)


def click(app, x, y, mods=glfw.MOD_CONTROL) -> None:
    window = app.window
    window._on_cursor(window.handle, x, y)
    window._on_button(window.handle, glfw.MOUSE_BUTTON_LEFT, glfw.PRESS, mods)
    window._on_button(window.handle, glfw.MOUSE_BUTTON_LEFT, glfw.RELEASE, mods)


def test_ctrl_click_picks_and_the_scene_gets_it_once(display, tmp_path, capsys):
    with make_app(tmp_path, [Shapes], panel=False) as app:
        step(app, 2)
        assert app.picked is None
        recorded = app.frames.cbs.copy()
        for k in (1, 3):
            click(app, *pixel_of(BIG[k], width=WW, height=WH))
            step(app, 3)
            assert (app.picked.kind, app.picked.index) == ("particle", k)
            assert app.picked.values["velocities"] == pytest.approx(tuple(VELOCITIES[k]))
        assert [p.index for p in app.loaded.scene.seen] == [1, 3]  # once each, in the frame after the pick
        assert app.frames.cbs == recorded  # the frames' command buffers stay as recorded
        click(app, *pixel_of((0.4, 0.7, -1), width=WW, height=WH))
        step(app)
        assert (app.picked.kind, app.picked.index) == ("triangle", 0)
        click(app, 3, 3)  # the background
        step(app, 2)
        assert app.picked.draw is None and app.loaded.scene.seen[-1].draw is None
        # a plain click picks nothing, and a drag from it orbits
        eye, count = app.loaded.camera.eye, len(app.loaded.scene.seen)
        window = app.window
        window._on_cursor(window.handle, *pixel_of(BIG[0], width=WW, height=WH))
        window._on_button(window.handle, glfw.MOUSE_BUTTON_LEFT, glfw.PRESS, 0)
        window._on_cursor(window.handle, 300, 300)
        step(app)
        window._on_button(window.handle, glfw.MOUSE_BUTTON_LEFT, glfw.RELEASE, 0)
        step(app, 2)
        assert len(app.loaded.scene.seen) == count and app.loaded.camera.eye != eye
    app.context.validation_log.raise_if_any("in the picking test")
    assert "picked: particle 1 of draw 0" in capsys.readouterr().out


def test_the_panel_shows_the_pick(display, tmp_path, monkeypatch):
    shown = []
    original = imgui.text_wrapped

    def spy(text, *args):
        shown.append(text)
        return original(text, *args)

    monkeypatch.setattr(imgui, "text_wrapped", spy)
    with make_app(tmp_path, [Shapes]) as app:
        step(app, 2)
        assert panel_module.picked_lines(None)[0] in shown  # how to pick, before any
        app.paused = True  # a pick repaints a paused scene so that the panel shows it
        click(app, *pixel_of(BIG[2], width=WW, height=WH))
        shown.clear()
        step(app, 2)
        assert any(line.startswith("particle 2 of draw 0 at (") for line in shown), shown
        assert "velocities: 3, 3.5, 4" in shown
    app.context.validation_log.raise_if_any("in the picking test")
