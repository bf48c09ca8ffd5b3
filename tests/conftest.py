"""Shared fixtures: every Vulkan context under test runs the Khronos validation layer with synchronization
validation (also between queue submissions), and a test fails on any warning or error it reports."""

import os

import pytest

os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "0")

pytest_plugins = [
    "renderer.pytest_plugin"
]  # --regenerate and the scene_check fixture, as scene authors use them


@pytest.fixture(scope="session", autouse=True)
def kernel_cache(tmp_path_factory):
    """One compiled-module cache for the session, away from the user's own cache."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["RENDERER_CACHE_DIR"] = str(path)
    return path


@pytest.fixture
def context():
    from renderer.device.context import VulkanContext

    ctx = VulkanContext(validate=True)
    yield ctx
    ctx.destroy()
    ctx.validation_log.raise_if_any("during the test")


@pytest.fixture
def runtime(context):
    from renderer.compute.runtime import TaichiRuntime

    rt = TaichiRuntime.import_vulkan(context)
    yield rt
    rt.destroy()


@pytest.fixture(scope="session")
def device_type() -> str:
    """The type of the device the tests run on: "CPU" on lavapipe, what CI runs; some behaviours tested (the
    loop limiter, timestamps off by default, spans of tiny kernels) are a CPU driver's."""
    from renderer.device.context import VulkanContext

    ctx = VulkanContext()
    try:
        return ctx.device_type
    finally:
        ctx.destroy()


@pytest.fixture
def cpu_driver(device_type):
    """Skips a test of a CPU driver's behaviour on a GPU."""
    if device_type != "CPU":
        pytest.skip(f"a CPU driver's behaviour; this device is a {device_type}")


@pytest.fixture
def test_module(runtime):
    """The kernels of tests/kernels_src.py, compiled for the runtime's device and loaded."""
    from renderer.compute import aot
    from renderer.compute.kernels import AotModule
    from tests import kernels_src

    refs = [aot.KernelRef.of(k) for k in (kernels_src.fill, kernels_src.accumulate)]
    module = AotModule(
        runtime, aot.compile_kernels(refs, runtime.context.taichi_capabilities), "test kernels"
    )
    yield module
    module.destroy()


@pytest.fixture(scope="session")
def xvfb():
    """A virtual X display for window tests (the set-up installs the xvfb package). -noreset: by default Xvfb
    resets when its last client disconnects, and a window opened during the reset fails to connect."""
    import shutil
    import subprocess
    import time

    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is not installed: run python3 run_tests.py, whose set-up installs the xvfb package")
    for number in range(90, 110):
        if os.path.exists(f"/tmp/.X11-unix/X{number}") or os.path.exists(f"/tmp/.X{number}-lock"):
            continue
        proc = subprocess.Popen(
            [exe, f":{number}", "-screen", "0", "1600x1200x24", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if os.path.exists(f"/tmp/.X11-unix/X{number}") or proc.poll() is not None:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            yield f":{number}"
            proc.terminate()
            proc.wait(10)
            return
    pytest.fail("could not start Xvfb on displays :90-:109")


@pytest.fixture
def display(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb
