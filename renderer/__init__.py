"""A Vulkan renderer that embeds Taichi compute: kernels write straight into the renderer's buffers.

The public API is importable from here (`from renderer import Scene, Param, HeadlessRenderer`); `python -m
renderer` runs the demo. The layers, lowest first: `device` (Vulkan instance, device, memory, shaders,
pipelines), `compute` (Taichi's C API, its runtime on our device, ahead-of-time kernels), `draw` (what a scene
draws), `frame` (frames in flight, offscreen and in a window), `scene` (what a scene declares, finding
scenes), `app` (headless rendering, the window, the command line), `testing` (golden images, the pytest
plugin); leaf modules `errors`, `camera`, `cache` and `resources` (where the shaders and built-in scenes are).

Everything but the error types is imported on first use (module `__getattr__`): `import renderer` stays
cheap and safe everywhere. Eagerly it would load numpy, the vulkan bindings (libvulkan), Taichi through the
scene layer, and glfw (InteractiveApp), whose import loads libglfw and fails on a machine without it, which
headless use does not need. Nothing here opens a Vulkan device.
"""

__version__ = "0.1.0"

import importlib as _importlib
import os as _os

# Scenes import Python Taichi to declare kernels; its start-up banner is noise in a renderer's output.
_os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "0")
if not (_os.environ.get("HOME") or _os.environ.get("XDG_CACHE_HOME")):
    # Taichi's library (Python Taichi's too) aborts the process as it loads when neither is set
    from .cache import prepare_taichi_environment as _prepare_taichi_environment

    _prepare_taichi_environment(defer_warnings=True)  # said when the library loads

from .errors import (  # noqa: E402  (after the environment default above)
    ArgumentError,
    DeviceLostError,
    EventError,
    NoVulkanDeviceError,
    RendererError,
    ValidationError,
    VulkanError,
    VulkanStatus,
    WindowError,
)

# public name -> the module that defines it (imported when the name is first used)
_LAZY = {
    "Scene": "renderer.scene.api",
    "Param": "renderer.scene.api",
    "FrameInput": "renderer.scene.api",
    "Picked": "renderer.scene.api",
    "SceneError": "renderer.scene.api",
    "ParamError": "renderer.scene.api",
    "Camera": "renderer.camera",
    "Light": "renderer.camera",
    "HeadlessRenderer": "renderer.app.headless",
    "InteractiveApp": "renderer.app.interactive",
    "Recorder": "renderer.app.recording",
    "TaichiRuntime": "renderer.compute.runtime",
    "VulkanContext": "renderer.device.context",
    "KernelCompileError": "renderer.compute.aot",
    "ShaderCompileError": "renderer.device.shaders",
    "TaichiError": "renderer.compute.taichi_api",
    "IncompatibleModuleError": "renderer.compute.kernels",
    "FrameTimeoutError": "renderer.frame.target",
}
_LAZY_MODULES = {"testing": "renderer.testing", "colormaps": "renderer.colormaps"}

__all__ = [
    "ArgumentError",
    "Camera",
    "DeviceLostError",
    "EventError",
    "FrameInput",
    "FrameTimeoutError",
    "HeadlessRenderer",
    "IncompatibleModuleError",
    "InteractiveApp",
    "KernelCompileError",
    "Light",
    "NoVulkanDeviceError",
    "Param",
    "ParamError",
    "Picked",
    "Recorder",
    "RendererError",
    "Scene",
    "SceneError",
    "ShaderCompileError",
    "TaichiError",
    "TaichiRuntime",
    "ValidationError",
    "VulkanContext",
    "VulkanError",
    "VulkanStatus",
    "WindowError",
    "testing",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
    elif name in _LAZY_MODULES:
        value = _importlib.import_module(_LAZY_MODULES[name])
    else:
        raise AttributeError(f"module 'renderer' has no attribute {name!r}")
    globals()[name] = value  # later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
