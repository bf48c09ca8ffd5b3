"""Tests of _setup.py, the set-up of run_demo.py and run_tests.py (no network, no root side effects)."""

import hashlib
import shutil
import subprocess

import pytest

import _setup

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="no dpkg-query (not Debian)")


@needs_dpkg
def test_missing_packages_reports_unknown_package():
    assert _setup.missing_packages(["libc6", "no-such-package-tvr"]) == ["no-such-package-tvr"]


@needs_dpkg
def test_missing_package_as_non_root_prints_one_sudo_line_and_exits_1(monkeypatch, capsys):
    monkeypatch.setattr(_setup.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit) as exc:
        _setup.ensure_packages(["libc6", "no-such-package-tvr"])
    assert exc.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "apt-get" in line] == ["sudo apt-get install -y no-such-package-tvr"]


def _fake_project(tmp_path, stamp_deps):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["numpy>=1.24"]\n'
        '[project.optional-dependencies]\ntest = ["pytest>=8"]\n'
    )
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("")
    digest = hashlib.sha256("\n".join(stamp_deps).encode()).hexdigest()
    (tmp_path / ".venv" / _setup.STAMP).write_text(digest + "\n")


def _record_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(
        _setup.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0)
    )
    return calls


def test_matching_stamp_skips_pip(tmp_path, monkeypatch):
    _fake_project(tmp_path, ["numpy>=1.24", "pytest>=8"])
    calls = _record_runs(monkeypatch)
    assert _setup.ensure_venv(tmp_path) == tmp_path / ".venv" / "bin" / "python"
    assert calls == []


def test_changed_dependencies_rerun_pip_and_rewrite_stamp(tmp_path, monkeypatch):
    _fake_project(tmp_path, ["numpy>=1.20"])
    calls = _record_runs(monkeypatch)
    _setup.ensure_venv(tmp_path)
    assert len(calls) == 1 and calls[0][1:4] == ["-m", "pip", "install"]
    assert calls[0][-2:] == ["numpy>=1.24", "pytest>=8"]
    calls.clear()
    _setup.ensure_venv(tmp_path)  # stamp now matches
    assert calls == []
