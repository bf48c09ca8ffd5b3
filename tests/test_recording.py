"""Video recording (`--record`, F9 in the window), the headless progress bar and scaled screenshots: every
rendered frame reaches the file, which decodes to the right number of frames of the right size and matches
the frames within the codec's tolerance; the file is finished on Ctrl-C and on a scene's error."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import glfw
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from renderer import testing
from renderer.app import demo
from renderer.app.interactive import InteractiveApp
from renderer.app.progress import Progress
from renderer.app.recording import Recorder
from renderer.errors import OutputError, RendererError
from scenes.particles import Particles
from tests.scenes_for_tests import FrameMarker

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "tests" / "references"


def decode(path: Path) -> tuple[tuple[int, int], list[np.ndarray]]:
    """The video's (width, height) and its frames as HxWx3 arrays."""
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    width, height = meta["size"]
    return (width, height), [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in frames]


LUMA = np.array([0.299, 0.587, 0.114])


def difference(video_frame: np.ndarray, rgb: np.ndarray) -> tuple[float, float, float]:
    """How far a decoded frame is from the rendered one: the luma's mean and 99th-percentile difference, and
    the mean colour difference over 4x4 blocks. yuv420p keeps one colour per 2x2 pixels, so the colour of a
    one-pixel particle is compared where it survives, over a block."""
    video, rgb = video_frame.astype(np.float32), rgb[..., :3].astype(np.float32)
    luma = np.abs(video @ LUMA - rgb @ LUMA)
    h, w = (rgb.shape[0] // 4) * 4, (rgb.shape[1] // 4) * 4

    def blocks(a):
        return a[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean(axis=(1, 3))

    return (
        float(luma.mean()),
        float(np.percentile(luma, 99)),
        float(np.abs(blocks(video) - blocks(rgb)).mean()),
    )


def assert_close(video_frame: np.ndarray, rgb: np.ndarray) -> None:
    """Within the loss of H.264 at CRF 18 in yuv420p."""
    luma_mean, luma_99, colour = difference(video_frame, rgb)
    assert luma_mean < 3 and luma_99 < 32 and colour < 3, (luma_mean, luma_99, colour)


def run_demo(capsys, *args) -> tuple[int, str, str]:
    try:
        code = demo.main(["--headless", "--validate", "--param", "count=3000", *args])
    except SystemExit as exc:  # argparse's refusal of a value
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- headless


def test_48_frames_decode_to_48_frames_matching_the_pngs(tmp_path, capsys):
    video = tmp_path / "run.mp4"
    code, out, err = run_demo(
        capsys, "--frames", "48", "--size", "320x180", "--record", str(video), "--out", str(tmp_path / "png")
    )
    assert code == 0, err
    assert f"recorded 48 frames to {video}" in out and "wrote 48 PNG files" in out
    size, frames = decode(video)
    assert size == (320, 180) and len(frames) == 48
    pngs = {
        i: np.asarray(Image.open(tmp_path / "png" / "particles" / f"frame_{i:05d}.png")) for i in (0, 30, 47)
    }
    for index, png in pngs.items():
        assert_close(frames[index], png)
    assert difference(frames[30], pngs[0])[0] > 3 * difference(frames[30], pngs[30])[0]  # frames in order
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_record_alone_writes_no_png(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_demo(capsys, "--frames", "6", "--size", "64x48", "--record", "only.mp4")
    assert code == 0, err
    assert decode(tmp_path / "only.mp4")[0] == (64, 48)
    assert not (tmp_path / "out").exists() and "PNG" not in out.replace("PNG files and", "")


def test_odd_size_gets_one_more_column_and_row(tmp_path, capsys):
    video = tmp_path / "odd.mkv"
    code, out, err = run_demo(capsys, "--frames", "5", "--size", "101x61", "--record", str(video))
    assert code == 0, err
    size, frames = decode(video)
    assert size == (102, 62) and len(frames) == 5
    last = frames[-1].astype(np.int16)
    assert np.abs(last[:, 101] - last[:, 100]).mean() < 3  # a copy of the last column, not black
    assert np.abs(last[61] - last[60]).mean() < 3


@pytest.mark.parametrize(
    "where, status, expected",
    [
        ("file/x.mp4", 1, "cannot write {tmp}/file/x.mp4: Not a directory (ENOTDIR)"),
        ("x.gif", 2, "a video file's name must end in .mp4, .mov, .mkv"),
        ("folder/.mp4", 2, "a video file's name must end in"),
    ],
)
def test_unwritable_or_unknown_file_is_one_clear_error(tmp_path, capsys, where, status, expected):
    (tmp_path / "file").write_text("a file where a folder would be")
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_demo(capsys, "--frames", "3", "--size", "32x32", "--record", str(tmp_path / where))
    assert code == status, err
    assert expected.format(tmp=tmp_path) in err, err
    assert "Traceback" not in err and "rendering" not in out  # said before any frame
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.timeout(180)
def test_ctrl_c_mid_recording_finishes_a_valid_file(tmp_path):
    video = tmp_path / "interrupted.mp4"
    proc = subprocess.Popen(
        [sys.executable, "run_demo.py", "--headless", "--frames", "100000", "--size", "96x64"]
        + ["--param", "count=2000", "--record", str(video)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert proc.stdout.readline().startswith("rendering")
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except (
            subprocess.TimeoutExpired
        ):  # where it hangs: faulthandler prints every thread's stack on SIGABRT
            proc.send_signal(signal.SIGABRT)
            out, err = proc.communicate(timeout=30)
            pytest.fail(
                f"no exit within 60 s of Ctrl-C; its output:\n{out[-2000:]}\nits threads:\n{err[-6000:]}"
            )
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    done = int(err.split("interrupted after ")[1].split()[0])
    assert f"recorded {done} frames to {video}" in out
    size, frames = decode(video)
    assert size == (96, 64) and len(frames) == done > 0


FAILING_SCENE = """
from tests.scenes_for_tests import FrameMarker


class FailsLater(FrameMarker):
    name = "fails-later"

    def update(self, frame, dt, input):
        if frame == 20:
            raise ValueError("deliberate bug in frame 20")
        super().update(frame, dt, input)
"""


def test_an_error_in_the_scene_keeps_a_valid_file_of_the_frames_before(tmp_path, capsys):
    scene = tmp_path / "fails_later.py"
    scene.write_text(FAILING_SCENE)
    video = tmp_path / "partial.mp4"
    code = demo.main(
        ["--headless", "--scene", str(scene), "--frames", "40", "--size", "64x48"] + ["--record", str(video)]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "deliberate bug in frame 20" in captured.err
    size, frames = decode(video)
    # frames_in_flight = 2: frames 0..18 were read back when frame 20's update raised
    assert size == (64, 48) and len(frames) == 19
    assert f"recorded 19 frames to {video}" in captured.out


# -- the recorder itself


def test_recorder_refuses_bad_frames_and_use_after_close(tmp_path):
    with Recorder(tmp_path / "a.mp4", 32, 16) as video:
        with pytest.raises(RendererError, match="HxWx4 uint8"):
            video.write(np.zeros((16, 32, 3), np.uint8))
        with pytest.raises(RendererError, match="HxWx4 uint8"):
            video.write(np.zeros((16, 32, 4), np.float32))
        video.write(np.zeros((16, 32, 4), np.uint8))
        video.write(np.full((8, 64, 4), 255, np.uint8))  # another size: top left, cropped or padded
    assert video.close() == 2
    with pytest.raises(RendererError, match="is finished"):
        video.write(np.zeros((16, 32, 4), np.uint8))
    size, frames = decode(tmp_path / "a.mp4")
    assert size == (32, 16) and len(frames) == 2
    assert frames[1][:8].mean() > 240 and frames[1][9:].mean() < 15  # white top, black padding below


def test_no_frame_writes_no_file(tmp_path):
    with Recorder(tmp_path / "empty.mp4", 32, 16):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_failed_encoder_is_an_output_error_naming_the_file(tmp_path):
    video = Recorder(tmp_path / "broken.mp4", 64, 64, queue_frames=1)
    video.write(np.zeros((64, 64, 4), np.uint8))
    video._ffmpeg.kill()  # the encoder dies (as on a full disk)
    with pytest.raises(OutputError, match=f"cannot write {tmp_path}/broken.mp4: ffmpeg failed"):
        for _ in range(50):  # the writer thread finds out at its next write
            video.write(np.zeros((64, 64, 4), np.uint8))
            time.sleep(0.02)
    with pytest.raises(OutputError, match="ffmpeg failed"):
        video.close()
    assert list(tmp_path.iterdir()) == []  # its unfinished file removed


# -- the progress bar


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_redraws_one_line_on_a_terminal():
    stream, clock = io.StringIO(), Clock()
    stream.isatty = lambda: True
    progress = Progress(100, stream, clock)
    for done in range(1, 101):
        clock.now += 0.05
        progress.update(done)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert 30 < text.count("\r[") < 60  # redrawn every 0.1 s, not every frame
    assert "] 60/100 frames  20.0 fps  2 s left" in text
    assert text.rstrip("\n").split("\r")[-1].startswith("[" + "#" * 24 + "] 100/100 frames")


def test_progress_writes_a_few_plain_lines_in_a_log():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(1000, stream, clock)
    for done in range(1, 1001):
        clock.now += 0.1  # 100 s in all
        progress.update(done)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split("] ")[1].split()[0] for line in lines] == ["250/1000", "500/1000", "750/1000"]
    assert "\r" not in stream.getvalue() and "75 s left" in lines[0]
    short = io.StringIO()
    quick = Progress(10, short, Clock())
    for done in range(1, 11):
        quick.update(done)
    assert short.getvalue() == ""  # a short run writes nothing


# -- the window


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
    app.context.validation_log.raise_if_any("in the recording test")


def test_f9_twice_records_the_frames_between(app, capsys):
    app.handle([glfw.KEY_F9])
    app.run(max_frames=31)  # frames 0..30
    app.handle([glfw.KEY_F9])
    out = capsys.readouterr().out
    ((path, count),) = app.recordings
    assert path.parent == app.out_dir and path.name.startswith("recording_particles_") and count == 31
    assert f"recording to {path}" in out and f"recorded 31 frames to {path}" in out
    size, frames = decode(path)
    assert size == (480, 270) and len(frames) == 31
    if testing.compare_on_this_device(
        app.context
    ):  # the headless golden image of frame 30, channels in order
        reference = np.asarray(Image.open(REFERENCES / "particles_frame30.png").convert("RGB"))
        assert_close(frames[30], reference)
    app.handle([glfw.KEY_F9])  # again: a second file
    app.run(max_frames=app.rendered + 4)
    app.handle([glfw.KEY_F9])
    assert len(app.recordings) == 2 and app.recordings[1][1] == 4 and app.recordings[1][0] != path


def test_recording_goes_on_across_a_resize(app):
    app.handle([glfw.KEY_F9])
    app.run(max_frames=5)
    app.window.set_size(300, 200)
    app.run(max_frames=10)
    app.stop_recording()
    ((path, count),) = app.recordings
    size, frames = decode(path)
    assert size == (480, 270) and len(frames) == count == 10
    assert frames[-1][200:].mean() < 3  # the smaller frames padded with black


def test_scaled_screenshot_is_twice_the_size_and_looks_alike(app):
    app.run(max_frames=30)
    app.handle([glfw.KEY_SPACE])  # paused: both screenshots show the same simulation state
    app.handle([glfw.KEY_S])
    app.render_one()
    one = app.last_capture
    app.screenshot_scale = 2
    app.handle([glfw.KEY_S])
    app.render_one()
    two = app.last_capture
    assert one.shape == (270, 480, 4) and two.shape == (540, 960, 4)
    assert (app.out_dir / "screenshot_particles_00029_2x.png").exists()
    halved = two[..., :3].reshape(270, 2, 480, 2, 3).astype(np.float32).mean(axis=(1, 3))
    diff = np.abs(halved - one[..., :3])
    assert diff.mean() < 4.0, diff.mean()  # particles twice as many pixels across, averaged back
    assert one[..., :3].std() > 10  # not an empty frame on both sides


def test_demo_window_record_48_frames(display, tmp_path, capsys):
    video = tmp_path / "window.mp4"
    code = demo.main(
        ["--frames", "48", "--size", "160x90", "--no-vsync", "--validate", "--param", "count=2000"]
        + ["--record", str(video), "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert f"recorded 48 frames to {video}" in out
    size, frames = decode(video)
    assert size == (160, 90) and len(frames) == 48


def test_bad_screenshot_scale_is_refused(display):
    with pytest.raises(RendererError, match="screenshot_scale must be a whole number in 1..8, not 0"):
        InteractiveApp([FrameMarker], screenshot_scale=0)


@pytest.mark.timeout(180)
def test_ctrl_c_in_the_window_finishes_the_video(display, tmp_path):
    video = tmp_path / "window.mp4"
    proc = subprocess.Popen(
        [sys.executable, "run_demo.py", "--size", "96x64", "--no-vsync", "--param", "count=1000"]
        + ["--record", str(video), "--out", str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1", DISPLAY=display),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
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
    assert proc.returncode == 0, (out, err)
    assert "interrupted; shutting down" in err and "Traceback" not in err
    count = int(out.split("recorded ")[1].split()[0])
    size, frames = decode(video)
    assert size == (96, 64) and len(frames) == count > 0
