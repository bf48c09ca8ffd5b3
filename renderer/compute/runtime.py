"""A Taichi runtime on a Vulkan device: imported from the renderer (the default) or created by Taichi.

This is the seed API's runtime and memory surface in Python: `TaichiRuntime.import_vulkan` /
`TaichiRuntime.create_vulkan` / `export_vulkan`, `import_memory` / `allocate_memory` / `export_memory`.
Events are in `events.py`. Every call is checked (`taichi_api.call`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..device import handles, vk
from ..errors import ArgumentError, RendererError
from . import hooks as taichi_hooks
from . import taichi_api as api
from .interop import TI_IMAGE_FORMATS, TaichiImage, TaichiMemory
from .kernels import AotModule
from .taichi_api import ffi, lib

CAPABILITY_PREFIX = "TI_CAPABILITY_"
CAPABILITY_IDS = {
    name[len(CAPABILITY_PREFIX) :].lower(): getattr(lib, name)
    for name in dir(lib)
    if name.startswith(CAPABILITY_PREFIX) and name not in ("TI_CAPABILITY_RESERVED", "TI_CAPABILITY_MAX_ENUM")
}
CAPABILITY_NAMES = {v: k for k, v in CAPABILITY_IDS.items()}

# Taichi's memory usage flags <-> Vulkan buffer usage.
TI_USAGE = {
    lib.TI_MEMORY_USAGE_STORAGE_BIT: vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
    lib.TI_MEMORY_USAGE_UNIFORM_BIT: vk.VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
    lib.TI_MEMORY_USAGE_VERTEX_BIT: vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
    lib.TI_MEMORY_USAGE_INDEX_BIT: vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT,
}


@dataclass(frozen=True)
class RuntimeInterop:
    """The seed's TiVulkanRuntimeInteropInfo as plain values (raw handles as ints)."""

    api_version: int
    instance: int
    physical_device: int
    device: int
    compute_queue: int
    compute_queue_family_index: int
    graphics_queue: int
    graphics_queue_family_index: int


@dataclass(frozen=True)
class MemoryInterop:
    """The seed's TiVulkanMemoryInteropInfo (1.7.4 adds memory and offset)."""

    buffer: int
    size: int
    usage: int
    memory: int
    offset: int


class TaichiRuntime:
    """Owns one TiRuntime. Destroy it before the Vulkan device it runs on (`destroy()` is idempotent)."""

    def __init__(self, handle, *, imported: bool, context=None):
        self.handle, self.imported, self.context = handle, imported, context
        handles.opened("TiRuntime")
        self._modules: dict = {}  # (digest, name) -> AotModule, see load_module
        self.launches_since_wait = 0  # Taichi keeps each launch's resources until ti_wait
        self.launches_since_flush = 0

    # -- creation: the two directions

    @classmethod
    def import_vulkan(cls, context, capabilities: dict[str, int] | None = None) -> TaichiRuntime:
        """Taichi as a guest on the renderer's device and queue, told what the device enabled for it."""
        if taichi_hooks.register(context.device):  # the fixes for how Taichi uses the device (hooks.py)
            context.before_destroy.append(taichi_hooks.drain)
        h = context.handles()
        info = ffi.new("TiVulkanRuntimeInteropInfo *")
        info.get_instance_proc_addr = ffi.cast("PFN_vkGetInstanceProcAddr", taichi_hooks.instance_proc_addr())
        info.api_version = context.api_version
        info.instance = ffi.cast("VkInstance", h["instance"])
        info.physical_device = ffi.cast("VkPhysicalDevice", h["physical_device"])
        info.device = ffi.cast("VkDevice", h["device"])
        info.compute_queue = info.graphics_queue = ffi.cast("VkQueue", h["queue"])
        info.compute_queue_family_index = info.graphics_queue_family_index = context.queue_family
        with taichi_hooks.resolving():
            handle = api.call("ti_import_vulkan_runtime", info)
        if handle == ffi.NULL:
            raise RendererError("ti_import_vulkan_runtime returned no runtime and no error")
        runtime = cls(handle, imported=True, context=context)
        runtime.set_capabilities(context.taichi_capabilities if capabilities is None else capabilities)
        return runtime

    @classmethod
    def create_vulkan(
        cls, api_version: int = vk.VK_MAKE_VERSION(1, 3, 0), instance_extensions=(), device_extensions=()
    ) -> TaichiRuntime:
        """Taichi creates the device (ti_create_vulkan_runtime_ext); the renderer can adopt it with export."""
        inst = [ffi.new("char[]", e.encode()) for e in instance_extensions]
        dev = [ffi.new("char[]", e.encode()) for e in device_extensions]
        inst_arr = ffi.new("const char *[]", inst) if inst else ffi.NULL
        dev_arr = ffi.new("const char *[]", dev) if dev else ffi.NULL
        with taichi_hooks.resolving():
            handle = api.call(
                "ti_create_vulkan_runtime_ext", api_version, len(inst), inst_arr, len(dev), dev_arr
            )
        if handle == ffi.NULL:
            raise RendererError(
                "ti_create_vulkan_runtime_ext created no runtime: is a Vulkan driver installed?"
            )
        return cls(handle, imported=False)

    def export_vulkan(self) -> RuntimeInterop:
        """The instance, devices and queues behind this runtime (ti_export_vulkan_runtime)."""
        info = ffi.new("TiVulkanRuntimeInteropInfo *")
        api.call("ti_export_vulkan_runtime", self._live(), info)
        i = api.handle_int
        return RuntimeInterop(
            info.api_version,
            i(info.instance),
            i(info.physical_device),
            i(info.device),
            i(info.compute_queue),
            info.compute_queue_family_index,
            i(info.graphics_queue),
            info.graphics_queue_family_index,
        )

    # -- capabilities

    def capabilities(self) -> dict[str, int]:
        """The capabilities Taichi compiles for on this runtime, as {"spirv_version": level, ...}: Taichi's
        TI_CAPABILITY_* names, lowercase and without the prefix."""
        count = ffi.new("uint32_t *")
        api.call("ti_get_runtime_capabilities", self._live(), count, ffi.NULL)
        caps = ffi.new("TiCapabilityLevelInfo[]", count[0])
        api.call("ti_get_runtime_capabilities", self._live(), count, caps)
        return {CAPABILITY_NAMES.get(c.capability, str(c.capability)): c.level for c in caps[0 : count[0]]}

    def set_capabilities(self, capabilities: dict[str, int]) -> None:
        """Tell Taichi what the device enabled for it (names as `capabilities()` gives them); ArgumentError
        for a name Taichi does not know."""
        unknown = sorted(set(capabilities) - set(CAPABILITY_IDS))
        if unknown:
            raise ArgumentError(f"unknown Taichi capabilities {unknown}; known: {sorted(CAPABILITY_IDS)}")
        items = ffi.new("TiCapabilityLevelInfo[]", len(capabilities))
        for item, (name, level) in zip(items, sorted(capabilities.items()), strict=True):
            item.capability, item.level = CAPABILITY_IDS[name], level
        api.call("ti_set_runtime_capabilities_ext", self._live(), len(capabilities), items)

    # -- memory

    def import_memory(self, buffer) -> TaichiMemory:
        """A renderer buffer (memory.Buffer) as Taichi memory; it must have STORAGE usage."""
        if not buffer.usage & vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT:
            raise ArgumentError(
                f"{buffer.name} cannot be imported into Taichi: its usage {buffer.usage:#x} lacks "
                "VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, which kernels need to write it"
            )
        if buffer.handle is None:
            raise ArgumentError(f"{buffer.name} was destroyed; it cannot be imported")
        info = ffi.new("TiVulkanMemoryInteropInfo *")
        info.buffer = api.vk_handle("VkBuffer", buffer.handle)
        info.size = buffer.size
        info.usage = buffer.usage
        info.memory = api.vk_handle("VkDeviceMemory", buffer.memory)
        info.offset = 0
        handle = api.call("ti_import_vulkan_memory", self._live(), info, context=buffer.name)
        return TaichiMemory(self, handle, buffer.size, owned=False, buffer=buffer)

    def import_image(self, image) -> TaichiImage:
        """A renderer image (memory.Image, 2D, STORAGE usage, in GENERAL layout) as a Taichi image.

        Taichi 1.7.4 files the layout given to ti_import_vulkan_image under the wrong enum (it casts a
        VkImageLayout to its own ImageLayout), so the image is imported as UNDEFINED and its real layout is then
        declared with ti_track_image_ext."""
        if image.format not in TI_IMAGE_FORMATS:
            raise ArgumentError(
                f"{image.name}: format {image.format} cannot be a kernel's texture; use one of "
                f"{sorted(TI_IMAGE_FORMATS)}"
            )
        if not image.usage & vk.VK_IMAGE_USAGE_STORAGE_BIT:
            raise ArgumentError(
                f"{image.name} lacks VK_IMAGE_USAGE_STORAGE_BIT, which kernels need to write it"
            )
        info = ffi.new("TiVulkanImageInteropInfo *")
        info.image = api.vk_handle("VkImage", image.handle)
        info.image_type = vk.VK_IMAGE_TYPE_2D
        info.format = image.format
        info.extent.width, info.extent.height, info.extent.depth = image.width, image.height, 1
        info.mip_level_count = info.array_layer_count = 1
        info.sample_count = vk.VK_SAMPLE_COUNT_1_BIT
        info.tiling = vk.VK_IMAGE_TILING_OPTIMAL
        info.usage = image.usage
        handle = api.call(
            "ti_import_vulkan_image",
            self._live(),
            info,
            vk.VK_IMAGE_VIEW_TYPE_2D,
            vk.VK_IMAGE_LAYOUT_UNDEFINED,
            context=image.name,
        )
        api.call("ti_track_image_ext", self._live(), handle, lib.TI_IMAGE_LAYOUT_SHADER_READ_WRITE)
        return TaichiImage(self, handle, image)

    def allocate_memory(
        self,
        size: int,
        usage: int = lib.TI_MEMORY_USAGE_STORAGE_BIT,
        *,
        host_read: bool = False,
        host_write: bool = False,
    ) -> TaichiMemory:
        """Memory Taichi allocates (the exported-device direction); usage is TI_MEMORY_USAGE_* flags."""
        if size <= 0:
            raise ArgumentError(f"allocate_memory: size must be positive, not {size}")
        info = ffi.new(
            "TiMemoryAllocateInfo *",
            {
                "size": size,
                "host_read": host_read,
                "host_write": host_write,
                "export_sharing": 0,
                "usage": usage,
            },
        )
        handle = api.call("ti_allocate_memory", self._live(), info)
        return TaichiMemory(self, handle, size, owned=True)

    def export_memory(self, memory: TaichiMemory) -> MemoryInterop:
        """The VkBuffer and VkDeviceMemory behind a TiMemory (ti_export_vulkan_memory)."""
        info = ffi.new("TiVulkanMemoryInteropInfo *")
        api.call("ti_export_vulkan_memory", self._live(), memory.handle, info)
        return MemoryInterop(
            api.handle_int(info.buffer), info.size, info.usage, api.handle_int(info.memory), info.offset
        )

    # -- submission

    def launch(self, kernel, args) -> None:
        """Launch `kernel` (a kernels.Kernel) with its checked argument array (kernels.BoundLaunch), counted for
        flush() and the frames' reclaim. Every launch comes through here: to count or time launches, wrap this
        method on the runtime object (as the benchmark does)."""
        lib.ti_launch_kernel(self._live(), kernel.handle, len(kernel.args), args)
        api.check("ti_launch_kernel", kernel.name)
        self.launches_since_wait += 1
        self.launches_since_flush += 1

    def flush(self) -> None:
        """Submit the recorded launches to the shared queue (no host wait). With nothing launched since the
        last flush it does nothing: Taichi would submit an empty command buffer with a new fence. (Launches are
        the only commands the renderer has Taichi record; count any other that records one as `launch` does.)"""
        if self.launches_since_flush == 0:
            return
        lib.ti_flush(self.handle)
        api.check("ti_flush")
        self.launches_since_flush = 0

    def wait(self) -> None:
        """Flush and wait the queue idle (and let Taichi free what it submitted): never per frame."""
        api.call("ti_wait", self._live())
        self.launches_since_wait = self.launches_since_flush = 0

    def load_module(self, tcm: bytes, name: str):
        """The compiled module, loaded once and kept until the runtime is destroyed. Taichi builds a module's
        pipelines on the device, and lavapipe keeps about 0.4 MiB of every pipeline it compiles until the
        device goes, so loading a scene's module again on every switch grew the process each time."""
        key = (hashlib.sha256(tcm).digest(), name)
        if key not in self._modules:
            self._modules[key] = AotModule(self, tcm, name)
        return self._modules[key]

    def _live(self):
        if self.handle is None:
            raise RendererError("this Taichi runtime was destroyed")
        return self.handle

    def destroy(self) -> None:
        """Wait for Taichi's work, release the loaded modules, then the runtime (idempotent)."""
        if self.handle is not None:
            api.call("ti_wait", self.handle)
        for module in self._modules.values():
            module.destroy()
        self._modules.clear()
        handle, self.handle = self.handle, None
        if handle is not None:
            api.call("ti_destroy_runtime", handle)
            handles.closed("TiRuntime")

    def __enter__(self) -> TaichiRuntime:
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()
