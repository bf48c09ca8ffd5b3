"""The tree stays clean under ruff (lint and format), as configured in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["renderer", "scenes", "tests", "bench", "docs", "_setup.py", "run_demo.py", "run_tests.py"]


def ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("ruff is not installed in this environment: run python3 run_tests.py to set up .venv")
    return [exe]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command):
    paths = [p for p in PATHS if (ROOT / p).exists()]
    proc = subprocess.run(ruff() + command + paths, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
