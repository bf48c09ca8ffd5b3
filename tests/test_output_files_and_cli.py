"""Output files never replace what is not a regular file (a device node, a FIFO, a folder, a link to one of
them), the recorder refuses frame rates and queue lengths it cannot honour before it starts, paths with a NUL
and a --scene that is not a regular file are clear errors, and the command line says each of these in one
line, never with a traceback."""

import os
import stat

import numpy as np
import pytest

from renderer.app import demo
from renderer.app.recording import Recorder
from renderer.errors import OutOfMemoryError, OutputError, RendererError
from renderer.files import save_png, write_atomically, write_text


def _device(path):
    """A character device node like /dev/full (1, 7), made under the test's folder (needs root)."""
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return path


def _target(tmp_path, kind):
    """Something that is not a regular file at tmp_path / "target.<suffix>", and what it is called."""
    path = tmp_path / "target"
    if kind == "device":
        _device(path)
        return path, "character device"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "FIFO"
    if kind == "folder":
        path.mkdir()
        return path, "folder"
    _device(tmp_path / "dev")
    path.symlink_to(tmp_path / "dev")  # a link to a device counts as the device
    return path, "character device"


KINDS = ["device", "fifo", "folder", "link_to_device"]


def _unchanged(path, kind):
    mode = os.lstat(path).st_mode
    expected = {"device": stat.S_ISCHR, "fifo": stat.S_ISFIFO, "folder": stat.S_ISDIR}.get(kind, stat.S_ISLNK)
    assert expected(mode)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []  # no temporary file


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_text(p, "a,b\n"),
        lambda p: save_png(p, np.zeros((2, 2, 3), np.uint8)),
    ],
    ids=["write_text", "save_png"],
)
def test_files_refuse_what_is_not_a_regular_file(tmp_path, kind, write):
    path, name = _target(tmp_path, kind)
    said = "Is a directory" if kind == "folder" else f"it is an? {name}.*not a regular file"
    with pytest.raises(OutputError, match=f"cannot write {path}: {said}"):
        write(path)
    _unchanged(path, kind)
    with pytest.raises(OSError, match=said):  # as a failed write's, which its callers (the cache) handle
        write_atomically(path, lambda f: f.write(b"x"))
    _unchanged(path, kind)


def test_a_link_to_a_regular_file_is_written_and_a_nul_is_refused(tmp_path):
    (tmp_path / "real.csv").write_text("old")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    write_text(tmp_path / "link.csv", "new")
    assert (tmp_path / "link.csv").read_text() == "new"
    for write in (write_text, lambda p, t: save_png(p, np.zeros((2, 2, 3), np.uint8))):
        with pytest.raises(OutputError, match="NUL"):
            write(tmp_path / "a\0b.png", "x")


@pytest.mark.parametrize("kind", KINDS)
def test_recorder_refuses_what_is_not_a_regular_file(tmp_path, kind):
    path, name = _target(tmp_path, kind)
    video = path.with_name("target.mp4")
    path.rename(video)
    with pytest.raises(OutputError, match=f"{video}: it is an? {name}.*--record"):
        Recorder(video, 4, 4)
    _unchanged(video, kind)


def test_recorder_refuses_a_fifo_made_while_recording(tmp_path):
    path = tmp_path / "a.mp4"
    video = Recorder(path, 4, 4)
    video.write(np.zeros((4, 4, 4), np.uint8))
    os.mkfifo(path)
    with pytest.raises(OutputError, match="FIFO"):
        video.close()
    _unchanged(path, "fifo")


@pytest.mark.parametrize("path", ["/tmp/a\0b.mp4", "a\0.mkv"])
def test_recorder_refuses_a_nul_in_its_path(path):
    with pytest.raises(OutputError, match="NUL"):
        Recorder(path, 4, 4)


@pytest.mark.parametrize("fps", [1e-9, 1e-4, 1000.5, 1e6, float("inf"), float("nan"), -30, 0])
def test_recorder_refuses_frame_rates_it_cannot_encode(tmp_path, fps):
    with pytest.raises(RendererError, match="fps must be a positive number from 0.001 to 1000"):
        Recorder(tmp_path / "a.mp4", 4, 4, fps=fps)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fps", [0.001, 1000])
def test_recorder_encodes_the_extreme_frame_rates(tmp_path, fps):
    for suffix in (".mp4", ".mkv"):
        with Recorder(tmp_path / f"a{suffix}", 4, 4, fps=fps) as video:
            for _ in range(3):
                video.write(np.zeros((4, 4, 4), np.uint8))
        assert video.encoded == 3 and (tmp_path / f"a{suffix}").stat().st_size > 0


@pytest.mark.parametrize("size", [(16384, 16384), (16256, 16384), (16384, 16300)])
def test_recorder_refuses_sizes_ffmpeg_cannot_take(tmp_path, size):
    with pytest.raises(RendererError, match=f"cannot record a {size[0]}x{size[1]} video: ffmpeg takes"):
        Recorder(tmp_path / "a.mp4", *size, queue_frames=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("queue_frames", [0, -1, True, 2.0, "4", None])
def test_recorder_refuses_queue_lengths_that_are_not_counts(tmp_path, queue_frames):
    with pytest.raises(RendererError, match="queue length must be positive whole numbers"):
        Recorder(tmp_path / "a.mp4", 4, 4, queue_frames=queue_frames)


@pytest.mark.parametrize(
    "size, queue_frames", [((4, 4), 10**9), ((4, 4), 2**70), ((16384, 8192), 10**4), ((1024, 1024), 10**7)]
)
def test_recorder_refuses_queues_beyond_memory_at_once(tmp_path, size, queue_frames):
    with pytest.raises(
        OutOfMemoryError, match=f"queue_frames={queue_frames} .*more than this machine's memory"
    ):
        Recorder(tmp_path / "a.mp4", *size, queue_frames=queue_frames)
    assert list(tmp_path.iterdir()) == []


def _cli(argv, capsys):
    try:
        code = demo.main(["--headless", "--frames", "2", "--size", "16x16", *argv])
    except SystemExit as exc:  # argparse's usage error for an option's value
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.strip().splitlines()[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_cli_refuses_a_frame_log_that_is_not_a_regular_file(tmp_path, kind, capsys):
    path, name = _target(tmp_path, kind)
    code, line = _cli(["--out", str(tmp_path / "out"), "--frame-log", str(path)], capsys)
    assert code == 2 and "argument --frame-log" in line and str(path) in line
    _unchanged(path, kind)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["device", "fifo", "link_to_device"])
def test_cli_refuses_a_video_that_is_not_a_regular_file(tmp_path, kind, capsys):
    path, name = _target(tmp_path, kind)
    video = path.with_name("target.mp4")
    path.rename(video)
    code, line = _cli(["--record", str(video)], capsys)
    assert code == 1 and line == f"error: cannot write {video}: it is a {name}" + line.split(name, 1)[1]
    _unchanged(video, kind)


@pytest.mark.parametrize("dt", ["1e-320", "0.0005", "1e6", "1001"])
def test_cli_checks_dt_against_the_video_before_rendering(tmp_path, dt, capsys):
    code, line = _cli(["--record", str(tmp_path / "a.mp4"), "--dt", dt], capsys)
    assert code == 2 and "argument --dt" in line and "0.001 to 1000" in line
    assert list(tmp_path.iterdir()) == []


def test_cli_says_any_renderer_error_of_the_recorder_in_one_line(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise OutOfMemoryError("queue_frames=9 frame buffers need too much")

    monkeypatch.setattr(demo, "Recorder", refuse)
    code, line = _cli(["--record", str(tmp_path / "a.mp4")], capsys)
    assert code == 1 and line == "error: queue_frames=9 frame buffers need too much"


@pytest.mark.parametrize("kind", ["fifo", "device", "link_to_fifo"])
def test_cli_refuses_a_scene_file_that_is_not_a_regular_file(tmp_path, kind, capsys):
    scene = tmp_path / "s.py"
    if kind == "fifo":
        os.mkfifo(scene)
    elif kind == "device":
        _device(scene)
    else:
        os.mkfifo(tmp_path / "pipe")
        scene.symlink_to(tmp_path / "pipe")
    code, line = _cli(["--scene", str(scene)], capsys)  # no hang reading it
    assert code == 2 and "argument --scene" in line and "not a regular file" in line


def test_cli_refuses_a_nul_in_a_path(tmp_path, capsys):
    for argv in (
        ["--scene", str(tmp_path / "a\0b.py")],
        ["--frame-log", str(tmp_path / "a\0b.csv")],
        ["--out", str(tmp_path / "a\0b")],
        ["--record", str(tmp_path / "a\0b.mp4")],
    ):
        code, line = _cli(argv, capsys)
        assert code == 2 and "NUL" in line
