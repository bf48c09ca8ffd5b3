"""Taichi's records of memory and images (TiMemory, TiImage): renderer resources imported into Taichi, or memory
Taichi allocated. Kernels take them as ndarray (through `kernels.NdArray`) and texture arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..device import handles, vk
from ..device.memory import IMAGE_FORMATS
from . import taichi_api as api
from .taichi_api import lib

if TYPE_CHECKING:  # annotations only: the runtime imports this module
    from .runtime import TaichiRuntime


class TaichiMemory:
    """A TiMemory: renderer memory imported into Taichi, or memory Taichi allocated (then it owns it)."""

    def __init__(self, runtime: TaichiRuntime, handle, size: int, *, owned: bool, buffer=None):
        self.runtime, self.handle, self.size, self.owned, self.buffer = runtime, handle, size, owned, buffer
        handles.opened("TiMemory")

    def destroy(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        # For imported memory this frees only Taichi's record of it: the VkBuffer stays the renderer's.
        if self.runtime.handle is not None:  # else the runtime's destruction freed it
            api.call("ti_free_memory", self.runtime.handle, handle)
        handles.closed("TiMemory")


# Vulkan formats a kernel's rw_texture can be bound to, and the Taichi format each one is.
TI_IMAGE_FORMATS = {
    vk.VK_FORMAT_R8G8B8A8_UNORM: lib.TI_FORMAT_RGBA8,
    vk.VK_FORMAT_R32_SFLOAT: lib.TI_FORMAT_R32F,
    vk.VK_FORMAT_R32G32B32A32_SFLOAT: lib.TI_FORMAT_RGBA32F,
}


class TaichiImage:
    """A renderer image imported into Taichi (a TiImage); kernels take it as a texture argument."""

    def __init__(self, runtime: TaichiRuntime, handle, image):
        self.runtime, self.handle, self.image = runtime, handle, image
        self.ti_format = TI_IMAGE_FORMATS[image.format]
        handles.opened("TiImage")

    @property
    def format_name(self) -> str:
        """The image's format by the scene API's name for it ("rgba8", "r32f", "rgba32f")."""
        return next(name for name, vk_format in IMAGE_FORMATS.items() if vk_format == self.image.format)

    def destroy(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        # frees Taichi's view and record; the VkImage stays the renderer's
        if self.runtime.handle is not None:
            api.call("ti_free_image", self.runtime.handle, handle)
        handles.closed("TiImage")
