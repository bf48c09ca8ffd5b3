"""The window under Xvfb on lavapipe, with validation (synchronization too): rendering, a resize storm,
minimize and restore, vsync toggle, scene switch, screenshots equal to the headless render, clean exits."""

import random
from pathlib import Path

import glfw
import numpy as np
import pytest

from renderer import testing
from renderer.app import demo
from renderer.app.interactive import InteractiveApp
from scenes.particles import Particles
from tests.scenes_for_tests import FrameMarker

REFERENCES = Path(__file__).parent / "references"


@pytest.fixture
def app(display, tmp_path):
    with InteractiveApp(
        [Particles, FrameMarker],
        0,
        params={"count": 30_000, "radius": 0.008},
        size=(480, 270),
        vsync=False,
        validate=True,
        out_dir=tmp_path,
    ) as app:
        yield app
    app.context.validation_log.raise_if_any("in the window test")


def test_renders_100_frames(app):
    app.run(max_frames=100)
    assert app.rendered == 100 and app.sim_frame == 100
    assert app.frames.extent == (480, 270)


def test_resize_storm(app):
    rng = random.Random(7)
    sizes = [(1, 1)] + [(rng.randint(1, 900), rng.randint(1, 700)) for _ in range(19)]
    generations = app.frames.swapchain.generation
    for width, height in sizes:
        app.window.set_size(width, height)
        app.run(max_frames=app.rendered + 3)
    assert app.frames.extent == app.window.framebuffer_size() == sizes[-1]
    assert app.frames.swapchain.generation > generations  # rebuilt on the way


def test_minimized_window_pauses_without_busy_loop(app, monkeypatch):
    app.run(max_frames=5)
    real_size = app.window.framebuffer_size
    waits = []
    state = {"minimized_polls": 0}

    def size():
        if state["minimized_polls"] < 8:  # minimized for a while (Xvfb has no window manager to iconify)
            state["minimized_polls"] += 1
            return (0, 0)
        return real_size()

    monkeypatch.setattr(app.window, "framebuffer_size", size)
    monkeypatch.setattr(app.window, "wait", lambda timeout: waits.append(timeout))
    rendered_before = app.rendered
    app.run(max_frames=rendered_before + 5)
    assert len(waits) >= 7 and all(t > 0 for t in waits)  # slept in the event wait while 0x0
    assert app.rendered == rendered_before + 5  # and rendered again once restored


def test_vsync_toggle(app):
    assert app.frames.present_mode_name != "FIFO (vsync)"
    app.handle([glfw.KEY_V])
    app.run(max_frames=10)
    assert app.frames.present_mode_name == "FIFO (vsync)"
    app.handle([glfw.KEY_V])
    app.run(max_frames=20)
    assert app.frames.present_mode_name != "FIFO (vsync)"


def test_scene_switch(app):
    app.run(max_frames=5)
    app.handle([glfw.KEY_TAB])
    assert app.loaded.scene.name == "frame-marker" and app.sim_frame == 0
    app.run(max_frames=15)
    app.handle([glfw.KEY_1])
    assert app.loaded.scene.name == "particles"
    app.run(max_frames=20)


def test_screenshot_equals_headless_render(app):
    app.run(max_frames=30)  # frames 0..29
    app.handle([glfw.KEY_S])
    app.run(max_frames=31)  # frame 30, copied out as it is rendered
    shots = list(app.out_dir.glob("screenshot_particles_00030.png"))
    assert len(shots) == 1
    assert app.last_capture.shape == (270, 480, 4)
    if testing.compare_on_this_device(app.context):
        # the same scene, size, dt and frame as the headless golden image
        testing.assert_matches_reference(app.last_capture, REFERENCES / "particles_frame30.png")


def test_pause_and_step(app):
    app.run(max_frames=3)
    app.handle([glfw.KEY_SPACE])
    for _ in range(3):  # paused: the view may re-render (camera moves), the simulation does not advance
        app.render_one()
    assert app.sim_frame == 3 and app.rendered == 6
    app.handle([glfw.KEY_N])
    app.render_one()
    assert app.sim_frame == 4


def test_escape_quits(app):
    app.handle([glfw.KEY_ESCAPE])
    app.run(max_frames=1000)
    assert app.rendered == 0


def test_demo_window_run_exits_0(display, tmp_path, capsys):
    log = tmp_path / "frames.csv"
    code = demo.main(
        [
            "--frames",
            "20",
            "--size",
            "160x90",
            "--no-vsync",
            "--validate",
            "--param",
            "count=2000",
            "--frame-log",
            str(log),
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "frames: median" in out and "present mode: " in out
    rows = log.read_text().splitlines()
    assert rows[0].startswith("frame,total_ms") and len(rows) == 21
    assert np.isfinite([float(v) for v in rows[-1].split(",")]).all()


def test_a_failing_scene_is_paused_and_others_stay_selectable(display, tmp_path):
    from tests.broken_scene import Broken

    with InteractiveApp([Broken, FrameMarker], 0, size=(64, 48), validate=True, out_dir=tmp_path) as app:
        app.run(max_frames=3)  # update raises in frame 2, which is still presented; then the scene waits
        assert 0 in app.failed and "deliberate bug in update" in app.failed[0]
        assert app.sim_frame == 2
        app.handle([glfw.KEY_TAB])
        app.run(max_frames=app.rendered + 5)
        assert app.loaded.scene.name == "frame-marker" and app.sim_frame == 5
    app.context.validation_log.raise_if_any("in the window test")


@pytest.mark.timeout(120)
def test_ctrl_c_in_the_window_exits_0(display, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONUNBUFFERED="1", DISPLAY=display)
    proc = subprocess.Popen(
        [
            sys.executable,
            "run_demo.py",
            "--size",
            "96x64",
            "--no-vsync",
            "--validate",
            "--param",
            "count=1000",
            "--out",
            str(tmp_path),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:  # the window is up and rendering once the present mode is printed
            if line.startswith("present mode:"):
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, (proc.returncode, out, err)
    assert "interrupted; shutting down" in err and "frames: median" in out
    assert "validation:" not in err


def test_update_sees_the_window_input(display, tmp_path):
    seen = []

    class Recorder(FrameMarker):
        def update(self, frame, dt, input):
            seen.append(input)
            super().update(frame, dt, input)

    with InteractiveApp([Recorder], 0, size=(64, 48), validate=True, out_dir=tmp_path) as app:
        app.run(max_frames=1)
        app.window.input.keys.append(glfw.KEY_X)  # as glfw's key callback records a press
        app.run(max_frames=2)
    assert seen[0].keys == () and seen[1].keys == (glfw.KEY_X,)
    assert seen[1].viewport == (64, 48) and seen[1].cursor is not None
