"""Every code block of docs/writing-a-scene.md runs: its files are written to a fresh folder, its shell
commands run there (with this checkout's python and run_demo.py), and the pyproject block is checked."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "writing-a-scene.md"


def blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", DOC.read_text(), flags=re.S)


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    assert argv[0] == "python3", command
    if argv[1] == "run_demo.py":
        argv[1] = str(ROOT / "run_demo.py")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(cwd)]))
    return subprocess.run(
        [sys.executable, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_block_of_the_scene_guide_runs(tmp_path):
    found = blocks()
    assert [lang for lang, _ in found] == [
        "python",
        "sh",
        "python",
        "python",
        "sh",
        "python",
        "sh",
        "python",
        "sh",
        "python",
        "sh",
        "python",
        "sh",
        "python",
        "sh",
        "toml",
        "python",
        "sh",
    ]
    for lang, body in found:
        if lang == "sh":
            for command in body.strip().splitlines():
                proc = run(command, tmp_path)
                assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
            continue
        first, _, rest = body.partition("\n")
        assert first.startswith("# file: "), first
        (tmp_path / first.removeprefix("# file: ")).write_text(body)
    # what the commands produced
    assert len(list((tmp_path / "out" / "fountain").glob("frame_*.png"))) == 4  # 0, 40, 80, 119
    assert (tmp_path / "references" / "fountain.png").exists()
    assert sorted(p.name for p in tmp_path.glob("orbit_*.png")) == [
        "orbit_119.png",
        "orbit_39.png",
        "orbit_79.png",
    ]
    project = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    entry = project["project"]["entry-points"]["taichi_vulkan_renderer.scenes"]
    assert entry == {"fountain": "fountain:Fountain"}
