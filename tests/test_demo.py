"""The command line of run_demo.py: headless rendering into PNG files, scene lookup, bad options."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderer.app import demo


def test_headless_run_writes_pngs_and_says_where(tmp_path, capsys):
    code = demo.main(
        [
            "--headless",
            "--scene",
            "particles",
            "--frames",
            "4",
            "--size",
            "96x54",
            "--out",
            str(tmp_path),
            "--param",
            "count=2000",
            "--validate",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    files = sorted((tmp_path / "particles").glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:05d}.png" for i in range(4)]
    assert str((tmp_path / "particles").resolve()) in out
    image = np.asarray(Image.open(files[-1]))
    assert image.shape == (54, 96, 3) and image[..., 2].max() > 100  # particles drawn


def test_scene_file_by_path(tmp_path):
    path = Path(__file__).parent / "scenes_for_tests.py"
    assert (
        demo.main(
            ["--headless", "--scene", str(path), "--frames", "2", "--size", "32x32", "--out", str(tmp_path)]
        )
        == 0
    )
    assert len(list((tmp_path / "frame-marker").glob("*.png"))) == 2


def test_unknown_scene_is_a_clear_error(capsys):
    assert demo.main(["--headless", "--scene", "no-such-scene"]) == 2
    err = capsys.readouterr().err
    assert "no scene named 'no-such-scene'" in err and "particles" in err


def test_bad_scene_parameter_is_a_clear_error(capsys):
    assert demo.main(["--headless", "--param", "colour=1"]) == 2
    assert "colour" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--size", "12"], ["--size", "0x10"], ["--param", "=3"]])
def test_bad_options_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        demo.main(argv)
    assert exc.value.code == 2


def test_list_scenes(capsys):
    assert demo.main(["--list-scenes"]) == 0
    assert "particles" in capsys.readouterr().out


@pytest.mark.timeout(90)
def test_ctrl_c_stops_cleanly(tmp_path):
    """SIGINT while rendering: a message, exit status 0, teardown with no validation message."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "run_demo.py",
            "--headless",
            "--frames",
            "100000",
            "--size",
            "64x36",
            "--every",
            "1000",
            "--validate",
            "--out",
            str(tmp_path),
            "--param",
            "count=1000",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # --headless: the first line is the "rendering" one
        assert line.startswith("rendering 100000 frames"), line
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted after" in err
    assert "validation:" not in err


@pytest.mark.parametrize("mode", ["headless", "window"])
def test_exception_in_scene_exits_1_with_traceback(mode, tmp_path, capsys, request):
    args = [
        "--scene",
        str(Path(__file__).parent / "broken_scene.py"),
        "--frames",
        "10",
        "--size",
        "32x32",
        "--validate",
        "--out",
        str(tmp_path),
    ]
    if mode == "headless":
        args.insert(0, "--headless")
    else:
        request.getfixturevalue("display")
    assert demo.main(args) == 1
    err = capsys.readouterr().err
    assert "ValueError: deliberate bug in update" in err and "error in scene 'broken'" in err
    assert "validation:" not in err


def test_scene_parameters_are_checked_against_their_ranges(capsys):
    assert demo.main(["--headless", "--param", "count=0"]) == 2
    assert "parameter count=0 is outside 1..100000000" in capsys.readouterr().err
    assert demo.main(["--headless", "--param", "count='many'"]) == 2
    assert "must be a whole number in 1..100000000" in capsys.readouterr().err
    assert demo.main(["--headless", "--param", "colour=1"]) == 2
    err = capsys.readouterr().err
    assert "has no parameter colour" in err and "count (default 100000)" in err
