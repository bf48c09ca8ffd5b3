"""Shared fixtures: every Vulkan context under test runs the Khronos validation layer with synchronization
validation (also between queue submissions), and a test fails on any warning or error it reports."""

import os

import pytest

os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "0")


@pytest.fixture(scope="session", autouse=True)
def kernel_cache(tmp_path_factory):
    """One compiled-module cache for the session, away from the user's own cache."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["RENDERER_CACHE_DIR"] = str(path)
    return path


@pytest.fixture
def context():
    from renderer.context import VulkanContext

    ctx = VulkanContext(validate=True)
    yield ctx
    ctx.destroy()
    ctx.validation_log.raise_if_any("during the test")


@pytest.fixture
def runtime(context):
    from renderer.taichi_runtime import TaichiRuntime

    rt = TaichiRuntime.import_vulkan(context)
    yield rt
    rt.destroy()


@pytest.fixture
def test_module(runtime):
    """The kernels of tests/kernels_src.py, compiled for the runtime's device and loaded."""
    from renderer import aot
    from renderer.kernels import AotModule
    from tests import kernels_src

    refs = [aot.KernelRef.of(k) for k in (kernels_src.fill, kernels_src.accumulate)]
    module = AotModule(
        runtime, aot.compile_kernels(refs, runtime.context.taichi_capabilities), "test kernels"
    )
    yield module
    module.destroy()


def pytest_addoption(parser):
    parser.addoption(
        "--regenerate",
        action="store_true",
        help="write the reference images of render tests instead of comparing with them",
    )


@pytest.fixture
def regenerate(request):
    return request.config.getoption("--regenerate")
