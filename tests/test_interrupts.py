"""Ctrl-C in library use: a script looping on HeadlessRenderer.frames_iter with a scene that launches many
kernels a frame (so that signals land inside the callbacks Taichi makes into the renderer) stops at a frame's
end each time, cleanly, and can render on; Ctrl-C during set-up and compilation stops after it, with the
session released."""

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LOOP_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from renderer import HeadlessRenderer
    from renderer.device import handles
    from tests.scenes_for_tests import FrameMarker

    class ManyLaunches(FrameMarker):
        def update(self, frame, dt, input):
            for _ in range(40):
                super().update(frame, dt, input)

    stops = int(sys.argv[1])
    with HeadlessRenderer(ManyLaunches(), 32, 32, validate=True) as renderer:
        first = 0
        for attempt in range(stops):
            frame = None
            try:
                for frame, pixels in renderer.frames_iter(10**7, first=first):
                    if frame == first:
                        print("rendering", flush=True)
            except KeyboardInterrupt:
                print(f"stopped {attempt} at {frame} {time.monotonic():.3f}", flush=True)
                first = (frame or first) + 10
    print("closed; live handles:", sum(handles.live_counts().values()), flush=True)
    """
)


def _start(tmp_path: Path, script: str, *args: str, env=None) -> subprocess.Popen:
    path = tmp_path / "script.py"
    path.write_text(script)
    return subprocess.Popen(
        [sys.executable, str(path), *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"no output within {timeout} s"
    return proc.stdout.readline()


def test_ctrl_c_stops_each_frame_loop_cleanly(tmp_path):
    stops = 12
    proc = _start(tmp_path, LOOP_SCRIPT, str(stops))
    try:
        for attempt in range(stops):
            assert _read_line(proc, 120).startswith("rendering")
            time.sleep(0.05 + 0.013 * attempt)  # land at different points of a frame
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            line = _read_line(proc, 60)
            assert line.startswith(f"stopped {attempt} at "), line
            assert float(line.split()[-1]) - sent < 10.0  # at a frame boundary (frames take ms), not the end
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "closed; live handles: 0" in out
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert "validation" not in err.lower(), err


SETUP_SCRIPT = textwrap.dedent(
    """
    from renderer import HeadlessRenderer
    from renderer.device import handles
    from tests.scenes_for_tests import FrameMarker

    print("starting", flush=True)
    try:
        HeadlessRenderer(FrameMarker(), 32, 32)
    except KeyboardInterrupt:
        print("interrupted in set-up; live handles:", sum(handles.live_counts().values()), flush=True)
    """
)


DEMO_SCRIPT = textwrap.dedent(
    """
    import sys
    from renderer.app import demo
    print("starting", flush=True)
    sys.exit(demo.main(sys.argv[1:]))
    """
)


@pytest.mark.parametrize("front", ["library", "demo"])
def test_ctrl_c_during_setup_and_compilation(front, tmp_path):
    """A cold cache: the kernels compile in a child process for a second or more, and Ctrl-C comes meanwhile,
    to the whole process group as from a terminal (the compiler gets it too)."""
    cache = tmp_path / "cache"
    if front == "library":
        proc = _start(tmp_path, SETUP_SCRIPT, env={"RENDERER_CACHE_DIR": str(cache)})
    else:
        args = ["--headless", "--frames", "5", "--size", "32x32", "--out", str(tmp_path / "out")]
        proc = _start(tmp_path, DEMO_SCRIPT, *args, env={"RENDERER_CACHE_DIR": str(cache)})
    try:
        assert _read_line(proc, 60).startswith("starting")
        time.sleep(0.8)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    if front == "library":
        assert "interrupted in set-up; live handles: 0" in out, out + err
    else:
        assert "interrupted; shutting down" in err, err
        assert not (tmp_path / "out").exists()  # nothing half-made
    assert "Traceback" not in err and "Exception ignored" not in err, err
    leftovers = [p.name for p in cache.rglob("*") if p.is_file() and not p.name.endswith((".spv", ".tcm"))]
    assert not leftovers, leftovers  # no partial cache entry


HUNG_SCRIPT = textwrap.dedent(
    """
    import time
    from renderer import HeadlessRenderer
    from renderer.device import handles
    from tests.scenes_for_tests import FrameMarker

    class Hangs(FrameMarker):
        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            if frame == 3:
                print("hanging", flush=True)
                while True:
                    time.sleep(0.01)

    try:
        with HeadlessRenderer(Hangs(), 32, 32) as renderer:
            renderer.render(100)
    except KeyboardInterrupt:
        print("stopped; live handles:", sum(handles.live_counts().values()), flush=True)
    """
)


def test_second_ctrl_c_stops_an_update_that_never_returns(tmp_path):
    """The first Ctrl-C waits for the frame's end, which never comes; the second raises at once."""
    proc = _start(tmp_path, HUNG_SCRIPT)
    try:
        assert _read_line(proc, 120).startswith("hanging")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting for the frame's end
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped; live handles: 0" in out, out + err
    assert "Exception ignored" not in err, err


@pytest.mark.parametrize("delay", [0.2, 0.5])
def test_ctrl_c_while_the_command_line_starts(tmp_path, delay):
    """Ctrl-C while Python imports the framework, the scene files and Taichi (C extensions among them): one
    line and exit 0, never an ImportError from an interrupted initialisation."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "renderer",
            "--headless",
            "--frames",
            "5",
            "--size",
            "32x32",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        env=dict(os.environ, RENDERER_CACHE_DIR=str(tmp_path / "cache")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted" in err and "Traceback" not in err, err
