"""A Vulkan renderer that embeds Taichi compute: kernels write straight into the renderer's buffers.

Modules: `context` (instance, device, queue), `capabilities` (features enabled for Taichi), `memory`
(buffers, images), `taichi_api` (the C API binding), `taichi_runtime` (runtime and memory interop),
`events` (VkEvent interop), `aot` (kernel compilation cache), `kernels` (typed launches), `shaders`,
`pipelines`, `camera`, `frames` (frames in flight and readback), `scene` (what a scene declares), `app`
(running a scene headless), `demo` (the command line).
"""

__version__ = "0.1.0"

import os as _os

# Scenes import Python Taichi to declare kernels; its start-up banner is noise in a renderer's output.
_os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "0")
