"""The window's Dear ImGui panel under Xvfb on lavapipe, validation (synchronization too) on: it renders (a
golden image), synthesized mouse input on its sliders changes the scene's parameters and the frame, input it
takes never reaches the camera or the keys, F2 hides it, and the scene's own widgets run (and fail) safely."""

from pathlib import Path

import glfw
import numpy as np
import pytest
from imgui_bundle import imgui

from renderer import testing
from renderer.app import demo
from renderer.app import panel as panel_module
from renderer.app.interactive import InteractiveApp
from renderer.scene import Param, Scene, SceneError
from scenes.particles import Particles
from tests.panel_scenes import BrokenWidgets, Knobs

REFERENCES = Path(__file__).parent / "references"
LEFT = glfw.MOUSE_BUTTON_LEFT


@pytest.fixture
def widget_rects(monkeypatch):
    """Where each parameter's widget was drawn at the last frame: name -> (x0, y0, x1, y1) in window points."""
    rects = {}
    original = panel_module._param_widget

    def spy(name, param, value):
        result = original(name, param, value)
        low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        rects[name] = (low.x, low.y, high.x, high.y)
        return result

    monkeypatch.setattr(panel_module, "_param_widget", spy)
    return rects


def make_app(tmp_path, classes, **kwargs):
    return InteractiveApp(classes, 0, size=(640, 400), vsync=False, validate=True, out_dir=tmp_path, **kwargs)


@pytest.fixture
def app(display, tmp_path):
    with make_app(tmp_path, [Knobs, Particles]) as app:
        yield app
    app.context.validation_log.raise_if_any("in the panel test")


def step(app, frames: int = 1) -> None:
    app.run(max_frames=app.rendered + frames)


def capture(app, with_panel: bool) -> np.ndarray:
    app.screenshot_panel, app.capture = with_panel, True
    step(app)
    return app.last_capture[..., :3].astype(np.int16)


def drag(app, start, end) -> None:
    """A left-button drag from `start` to `end` (window points) through the window's own callbacks."""
    window = app.window
    window._on_cursor(window.handle, *start)
    step(app)
    window._on_button(window.handle, LEFT, glfw.PRESS, 0)
    step(app)
    window._on_cursor(window.handle, *end)
    step(app)
    window._on_button(window.handle, LEFT, glfw.RELEASE, 0)
    step(app, 2)


def test_panel_renders_like_the_reference(display, tmp_path, monkeypatch, regenerate):
    # the frame-time plot changes from run to run: left out of the golden image
    monkeypatch.setattr(panel_module.Panel, "_timing_section", lambda self, app: None)
    with make_app(tmp_path, [Particles, Knobs], params={"count": 30_000}) as app:
        step(app, 30)
        app.paused = True  # the same frame twice
        with_panel, scene_only = capture(app, True), capture(app, False)
        assert app.frames.ui is not None and app.panel.visible
        # the panel covers the top left and nothing else
        differs = np.abs(with_panel - scene_only).max(axis=2) > 0
        ys, xs = np.nonzero(differs)
        assert xs.min() < 20 and ys.min() < 20 and xs.max() < 400 and differs.mean() > 0.1
        if testing.compare_on_this_device(app.context):
            testing.assert_matches_reference(
                with_panel.astype(np.uint8),
                REFERENCES / "window_panel.png",
                regenerate=regenerate,
                max_bad_fraction=0.002,
            )
    app.context.validation_log.raise_if_any("in the panel test")


def test_live_slider_drag_changes_the_scene_not_the_camera(app, widget_rects):
    step(app, 3)
    scene, camera = app.loaded.scene, app.loaded.camera.eye
    before = capture(app, False)
    x0, y0, x1, y1 = widget_rects["offset"]
    middle = (y0 + y1) / 2
    drag(app, (x0 + 0.5 * (x1 - x0), middle), (x0 + 0.9 * (x1 - x0), middle))
    assert app.loaded.scene is scene  # live: set on the running scene, no new setup
    assert 0.2 < scene.offset <= 0.5
    assert app.loaded.camera.eye == camera  # the drag went to the panel, not to the orbit
    after = capture(app, False)
    assert np.abs(after - before).max() > 100  # the grid moved


def test_setup_slider_loads_the_scene_again_on_release(app, widget_rects):
    step(app, 3)
    scene = app.loaded.scene
    before = capture(app, False)
    x0, y0, x1, y1 = widget_rects["radius"]
    middle = (y0 + y1) / 2
    drag(app, (x0 + 0.2 * (x1 - x0), middle), (x1 - 2, middle))
    assert app.loaded.scene is not scene and app.loaded.scene.name == "knobs"
    assert app.loaded.scene.radius > 0.05 and app.values[0]["radius"] == app.loaded.scene.radius
    after = capture(app, False)
    lit = lambda img: int((img.max(axis=2) > 100).sum())  # noqa: E731
    assert lit(after) > 2 * lit(before)  # bigger particles
    app.load(1)
    app.load(0)  # kept for this scene when it is shown again
    assert app.loaded.scene.radius == app.values[0]["radius"]


def test_typing_into_a_field_reaches_no_key(app, widget_rects):
    step(app, 2)
    x0, y0, x1, y1 = widget_rects["label"]
    window = app.window
    window._on_cursor(window.handle, (x0 + x1) / 2, (y0 + y1) / 2)
    step(app)
    window._on_button(window.handle, LEFT, glfw.PRESS, 0)
    step(app)
    window._on_button(window.handle, LEFT, glfw.RELEASE, 0)
    step(app)
    # ImGui takes one change of a key or one character a frame from its input queue: frames between events
    for key in (glfw.KEY_BACKSPACE,) * 4 + (glfw.KEY_Q, glfw.KEY_ENTER):  # "q" would quit the window
        window._on_key(window.handle, key, 0, glfw.PRESS, 0)
        if key == glfw.KEY_Q:
            window._on_char(window.handle, ord("q"))
        step(app, 3)
        window._on_key(window.handle, key, 0, glfw.RELEASE, 0)
        step(app, 3)
    assert not window.should_close()
    assert app.loaded.scene.label == "q"  # a setup parameter: applied when the field is left


def test_f2_hides_the_panel(app):
    step(app, 2)
    app.paused = True
    window = app.window
    window._on_key(window.handle, glfw.KEY_F2, 0, glfw.PRESS, 0)
    step(app)
    assert not app.panel.visible
    hidden = capture(app, True)
    assert np.array_equal(hidden, capture(app, False))
    window._on_key(window.handle, glfw.KEY_F2, 0, glfw.PRESS, 0)
    step(app)
    assert app.panel.visible and not np.array_equal(capture(app, True), capture(app, False))


def test_scene_widgets_run_and_their_failure_pauses_the_scene(display, tmp_path, capsys):
    with make_app(tmp_path, [Knobs, BrokenWidgets]) as app:
        step(app, 3)
        assert app.loaded.scene.clicks == 0 and app.index not in app.failed
        app.load(1)
        app.render_one()  # its ui raised: the scene is paused, the window goes on
        assert "the scene's widgets failed" in app.failed[1]
        frame = app.sim_frame
        app.render_one()
        app.render_one()
        assert app.sim_frame == frame
        app.load(0)
        step(app, 2)
        assert app.sim_frame == 2
    app.context.validation_log.raise_if_any("in the panel test")
    assert "ValueError: the scene's widgets failed" in capsys.readouterr().err


def test_no_ui_runs_without_a_panel(display, tmp_path):
    code = demo.main(
        ["--frames", "5", "--size", "160x90", "--no-vsync", "--validate", "--no-ui", "--out", str(tmp_path)]
    )
    assert code == 0


def test_live_must_be_a_bool():
    with pytest.raises(SceneError, match="live must be True or False"):

        class Bad(Scene):  # noqa: F841
            name = "bad-live"
            params = {"x": Param(1.0, 0.0, 2.0, live="yes")}


@pytest.mark.parametrize("record_ui", [False, True])
def test_video_shows_the_panel_only_if_asked(display, tmp_path, record_ui):
    import imageio_ffmpeg

    video = tmp_path / "run.mp4"
    with make_app(tmp_path, [Knobs], record=video, record_ui=record_ui) as app:  # a still scene
        step(app, 6)
        scene_only = capture(app, False)
        app.stop_recording()
    app.context.validation_log.raise_if_any("in the panel test")
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    last = [np.frombuffer(f, np.uint8) for f in reader][-1]
    last = last.reshape(meta["size"][1], meta["size"][0], 3).astype(np.int16)
    # the panel's corner: dark grey window with light text where the scene alone is background
    corner = np.abs(last[20:200, 20:200] - scene_only[20:200, 20:200]).mean()
    assert (corner > 20) == record_ui, corner
