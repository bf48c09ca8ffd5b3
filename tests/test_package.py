"""The project as a package: the public API of `renderer`, and a built wheel that carries the shaders and the
built-in scenes and runs the demo (`python -m renderer`) when installed in a fresh virtual environment, from a
folder outside the checkout."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import renderer

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "renderer", "shaders", "scenes"]  # what the build reads
SHADER_SUFFIXES = {".vert", ".frag", ".comp", ".glsl"}


def test_public_api_is_importable_from_renderer():
    from renderer import (  # noqa: F401
        Camera,
        FrameInput,
        HeadlessRenderer,
        InteractiveApp,
        Param,
        RendererError,
        Scene,
        SceneError,
        TaichiRuntime,
        VulkanContext,
        VulkanError,
        testing,
    )

    for name in renderer.__all__:
        assert getattr(renderer, name) is not None, name
    assert set(renderer.__all__) <= set(dir(renderer))
    # the same objects as the documented module paths
    from renderer.camera import Camera as DocumentedCamera
    from renderer.scene import Param as DocumentedParam
    from renderer.scene import Scene as DocumentedScene

    assert (Scene, Param, Camera) == (DocumentedScene, DocumentedParam, DocumentedCamera)
    assert issubclass(SceneError, RendererError) and testing.check_scene
    with pytest.raises(AttributeError):
        renderer.NoSuchThing  # noqa: B018


def test_import_renderer_stays_light():
    code = "import sys, renderer; print(sorted(m for m in ('numpy', 'vulkan', 'taichi', 'glfw') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def _can_build_wheels_offline(python: str) -> bool:
    """setuptools>=70.1 (bdist_wheel built in), or setuptools with the `wheel` package."""
    probe = (
        "import importlib.util as u, sys; has = lambda m: u.find_spec(m) is not None; "
        "sys.exit(0 if has('setuptools') and (has('setuptools.command.bdist_wheel') or has('wheel')) else 1)"
    )
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (the build's build/ and *.egg-info stay out of the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q"]
    if _can_build_wheels_offline(sys.executable):
        cmd.append("--no-build-isolation")  # with this environment's setuptools (the `test` extra): offline
    # else pip fetches setuptools for an isolated build (pip's cache, or the network): a .venv made before
    # setuptools joined the `test` extra; run_tests.py brings it up to date
    proc = subprocess.run([*cmd, "-w", str(tmp / "dist"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = (tmp / "dist").glob("taichi_vulkan_renderer-*.whl")
    return built


def test_wheel_carries_the_shaders_the_gallery_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"renderer/{p.relative_to(ROOT / 'renderer').as_posix()}"
        for p in (ROOT / "renderer").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    expected |= {
        f"renderer/shaders/{p.name}" for p in (ROOT / "shaders").iterdir() if p.suffix in SHADER_SUFFIXES
    }
    expected |= {f"renderer/gallery/{p.name}" for p in (ROOT / "scenes").glob("*.py")}
    assert expected - names == set()
    assert {
        "renderer/shaders/particles.vert",
        "renderer/gallery/particles.py",
        "renderer/__main__.py",
    } <= names
    top_level = {n.split("/")[0] for n in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"renderer"}  # no top-level `scenes`


def test_installed_wheel_runs_the_demo_from_any_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies (taichi, vulkan, ...) come from this environment's site folders, not from a download
    # (all of them on sys.path: this environment may itself reach its packages through a .pth file)
    sites = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    assert sites
    (Path(site) / "dependencies.pth").write_text("".join(f"{p}\n" for p in sites))
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q"]
    proc = subprocess.run(
        [*install, "--disable-pip-version-check", str(wheel)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    work = tmp_path / "elsewhere"  # outside the checkout: nothing of it on sys.path
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the compile cache stays the session's
    where = subprocess.run(
        [
            python,
            "-c",
            "import renderer.resources as r; print(r.__file__, r.SHADER_DIR, r.GALLERY_DIR, sep='\\n')",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    command = ["-m", "renderer", "--headless", "--scene", "particles", "--frames", "3", "--size", "64x48"]
    proc = subprocess.run(
        [python, *command, "--out", "OUT"], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sorted((work / "OUT" / "particles").glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:05d}.png" for i in range(3)]
    for f in files:
        image = np.asarray(Image.open(f))
        assert image.shape == (48, 64, 3)
        assert image[..., 2].max() > 100 and image.std() > 1, f"{f.name} is blank"  # particles drawn
