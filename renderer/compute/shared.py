"""Resources shared by the renderer and Taichi: a buffer kernels write and draws read, an image kernels write
and draws sample. On the renderer's device the renderer allocates and Taichi imports; on a device Taichi created,
Taichi allocates and the renderer draws what it exports."""

from __future__ import annotations

from ..device import vk
from ..device.memory import IMAGE_FORMATS, TAICHI_USAGE, USAGE_NAMES, Buffer, Image, clear_to_general
from .runtime import TI_USAGE


def share_buffer(context, runtime, nbytes: int, usage: tuple[str, ...], name: str, lower: str = ""):
    """(buffer, Taichi's record of it, whether the caller owns the buffer). `usage`: names of USAGE_NAMES
    (KeyError names an unknown one); `lower`: what to make smaller if it does not fit."""
    bits = TAICHI_USAGE
    for u in usage:
        bits |= USAGE_NAMES[u]
    if runtime.imported:
        buffer = Buffer(context, nbytes, bits, name=name, lower=lower)
        try:
            return buffer, runtime.import_memory(buffer), True
        except BaseException:
            buffer.destroy()
            raise
    ti_bits = sum(ti_bit for ti_bit, vk_bit in TI_USAGE.items() if bits & vk_bit)
    memory = runtime.allocate_memory(nbytes, ti_bits)
    info = runtime.export_memory(memory)
    return Buffer.adopt(context, info.buffer, info.memory, nbytes, info.usage, name=name), memory, False


def share_image(context, runtime, width: int, height: int, format: str, name: str):
    """(image, Taichi's record of it) for a format name of IMAGE_FORMATS, in GENERAL layout, cleared."""
    usage = vk.VK_IMAGE_USAGE_STORAGE_BIT | vk.VK_IMAGE_USAGE_SAMPLED_BIT | vk.VK_IMAGE_USAGE_TRANSFER_DST_BIT
    lower = f"make the image smaller than {width}x{height}"
    image = Image(context, width, height, IMAGE_FORMATS[format], usage, name=name, lower=lower)
    try:
        clear_to_general(context, image)
        return image, runtime.import_image(image)
    except BaseException:
        image.destroy()
        raise
