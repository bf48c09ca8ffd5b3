"""Environment set-up shared by run_demo.py and run_tests.py (stdlib only).

ensure_environment(__file__) is called first thing by both scripts. It makes sure the Debian packages
are installed, that .venv exists with the dependencies from pyproject.toml, and then re-executes the
script with .venv's python. It is idempotent and prints nothing when everything is already set up.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = [
    "libvulkan1",
    "mesa-vulkan-drivers",
    "vulkan-validationlayers",
    "glslc",
    "spirv-tools",  # spirv-val checks compiled kernels before Taichi hands them to the driver
    "xvfb",
    "python3-venv",
    "gcc",
    "libc6-dev",
    "libvulkan-dev",  # a test compiles a C probe against the Taichi headers
]
GUARD = "TVR_SETUP_EXEC_PID"  # set to our pid before os.execv (the pid survives exec, children differ)
STAMP = ".setup-stamp"


def _say(msg: str) -> None:
    print(f"[setup] {msg}", file=sys.stderr, flush=True)


def missing_packages(packages=PACKAGES) -> list[str] | None:
    """The packages not installed, from one dpkg-query call; None when there is no dpkg (not Debian)."""
    if shutil.which("dpkg-query") is None:
        return None
    # Unknown packages make dpkg-query exit 1 and complain on stderr: the stdout lines are still valid.
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
        capture_output=True,
        text=True,
    ).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.split()[1:] == ["installed"]}
    return [p for p in packages if p not in installed]


def ensure_packages(packages=PACKAGES) -> None:
    """Install missing Debian packages as root; otherwise print the sudo command and exit 1."""
    missing = missing_packages(packages)
    if missing is None:
        _say(
            "no dpkg here (not Debian?): make sure these or their equivalents are installed: "
            + " ".join(packages)
        )
        return
    if not missing:
        return
    if os.geteuid() != 0:
        print(f"sudo apt-get install -y {' '.join(missing)}", file=sys.stderr)
        print("Missing Debian packages: run the command above, then run this script again.", file=sys.stderr)
        sys.exit(1)
    _say(f"installing Debian packages: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    for cmd in (["apt-get", "update", "-q"], install):
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit(f"[setup] failed: {' '.join(cmd)}")


def dependencies(root: Path) -> list[str]:
    """The project's dependencies plus its `test` extra, read from pyproject.toml."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project.get("optional-dependencies", {}).get("test", [])]


def _base_pythons() -> list[str]:
    """Interpreters to make .venv with, best first: ours (or our venv's base), then Debian's."""
    ours = sys.executable
    if sys.prefix != sys.base_prefix:  # we run in some other venv: use the interpreter it is based on
        ours = getattr(sys, "_base_executable", ours)
    return list(dict.fromkeys(p for p in (ours, "/usr/bin/python3") if p and os.path.exists(p)))


def ensure_venv(root: Path) -> Path:
    """Create .venv if needed and pip-install the dependencies unless the stamp matches; return its python."""
    venv = root / ".venv"
    python = venv / "bin" / "python"
    deps = dependencies(root)
    digest = hashlib.sha256("\n".join(deps).encode()).hexdigest()
    stamp = venv / STAMP
    if os.path.exists(python) and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    if not os.path.exists(python):  # absent, or broken (e.g. its base interpreter is gone)
        _say("setting up .venv (first run, about a minute)")
        shutil.rmtree(venv, ignore_errors=True)
        errors = ""
        for base in _base_pythons():
            made = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
            if made.returncode == 0 and os.path.exists(python):
                break
            errors += f"{base}: {made.stderr.strip()}\n"
            shutil.rmtree(venv, ignore_errors=True)
        else:
            sys.exit(f"[setup] could not create .venv (is python3-venv installed?)\n{errors}")
    else:
        _say("updating .venv dependencies")
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *deps]
    if subprocess.run(cmd).returncode != 0:
        sys.exit("[setup] pip install failed (see above)")
    stamp.write_text(digest + "\n")
    return python


def _in_venv(venv: Path) -> bool:
    return Path(sys.prefix).resolve() == venv.resolve()


def ensure_environment(script_path: str) -> None:
    """Set up packages and .venv, then re-run `script_path` (with the same arguments) in .venv's python."""
    root = Path(script_path).resolve().parent
    venv = root / ".venv"
    if os.environ.get(GUARD) == str(os.getpid()):  # we are the re-executed process
        del os.environ[GUARD]
        if not _in_venv(venv):
            sys.exit(f"[setup] re-executing with {venv}/bin/python did not land in .venv ({sys.prefix=})")
        return
    ensure_packages()
    python = ensure_venv(root)
    if _in_venv(venv):
        return
    os.environ[GUARD] = str(os.getpid())
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(str(python), [str(python), str(Path(script_path).resolve()), *sys.argv[1:]])
