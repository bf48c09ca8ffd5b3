"""Resources shared by the renderer and Taichi: a buffer kernels write and draws read, an image kernels write
and draws sample. On the renderer's device the renderer allocates and Taichi imports; on a device Taichi created,
Taichi allocates and the renderer draws what it exports."""

from __future__ import annotations

import math

import numpy as np

from ..checks import checked_flag
from ..device import vk
from ..device.memory import (
    IMAGE_FORMATS,
    TAICHI_USAGE,
    USAGE_NAMES,
    Buffer,
    Image,
    clear_to_general,
    fill_with_zeros,
    read_device_buffer,
    too_large,
)
from ..device.uploads import Uploader
from ..errors import ArgumentError
from .kernels import NdArray
from .runtime import TI_USAGE

# Taichi's SPIR-V kernels address an ndarray with 32-bit signed offsets (its code generator's linear offsets are
# i32): a larger array would be read and written at wrapped-around offsets
TAICHI_MAX_BYTES = 2**31


def share_buffer(context, runtime, nbytes: int, usage: tuple[str, ...], name: str, lower: str = ""):
    """(buffer, Taichi's record of it, whether the caller owns the buffer), the buffer filled with zeros. `usage`: names of USAGE_NAMES
    (KeyError names an unknown one); `lower`: what to make smaller if it does not fit."""
    if nbytes > TAICHI_MAX_BYTES:
        limit = (
            "a Taichi kernel can address in one ndarray (2^31 bytes: its offsets are 32-bit signed integers)"
        )
        raise too_large(name, nbytes, limit, lower)
    bits = TAICHI_USAGE
    for u in usage:
        bits |= USAGE_NAMES[u]
    if runtime.imported:
        buffer = Buffer(context, nbytes, bits, name=name, lower=lower)
        try:
            fill_with_zeros(context, buffer)  # arrays start as zeros, whatever the memory held
            return buffer, runtime.import_memory(buffer), True
        except BaseException:
            buffer.destroy()
            raise
    ti_bits = sum(ti_bit for ti_bit, vk_bit in TI_USAGE.items() if bits & vk_bit)
    memory = runtime.allocate_memory(nbytes, ti_bits)
    info = runtime.export_memory(memory)
    buffer = Buffer.adopt(context, info.buffer, info.memory, nbytes, info.usage, name=name)
    fill_with_zeros(context, buffer)
    return buffer, memory, False


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


def check_data(name: str, data, shape: tuple, dtype, element_shape: tuple = ()) -> None:
    """Refuse host data that is not exactly what an array of `shape` x `element_shape` `dtype` holds, naming what
    was expected and what was given (ArgumentError). Any memory layout is fine (a non-contiguous array is
    copied); the values are never converted: an int64 array for a float32 one is refused, not cast."""
    if not isinstance(data, np.ndarray):
        raise ArgumentError(
            f"{name}: data must be a numpy array, not {type(data).__name__} "
            f"(np.asarray(data, dtype=np.{np.dtype(dtype).name}) makes one)"
        )
    full, dtype = tuple(shape) + tuple(element_shape), np.dtype(dtype)
    if data.dtype != dtype:
        raise ArgumentError(
            f"{name}: data is {data.dtype}, the array holds {dtype} (convert it: data.astype(np.{dtype.name}))"
        )
    expected = math.prod(int(s) for s in full)  # Python ints: a product of numpy ints wraps
    if data.size != expected:
        raise ArgumentError(
            f"{name}: data holds {data.size} values, the array {expected} (shape {full}); give exactly that many"
        )
    if data.shape != full:
        raise ArgumentError(f"{name}: data has shape {data.shape}, the array {full}; reshape it to that")


class SharedArray(NdArray):
    """An array shared by the renderer and Taichi that the host can also fill and read back.

    - `write(data)`: copy a numpy array of exactly the array's shape and dtype into it, through a staging
      buffer. The copy is ordered on the GPU after everything submitted before the call (the frames in flight,
      the kernels launched so far) and before everything after it (later kernels, the next frames' draws); the
      host does not wait. Taichi's launches so far are submitted first.
    - `read()` (or `to_numpy()`): a copy of the contents after everything submitted before the call; it waits
      for that work to finish (a GPU sync: for tests and debugging, not every frame)."""

    def __init__(
        self, memory, shape, dtype, element_shape, *, buffer, runtime, uploader: Uploader, name: str
    ):
        super().__init__(memory, shape, dtype, element_shape, name=name)
        self.buffer, self.runtime, self.uploader = buffer, runtime, uploader

    @property
    def released(self) -> bool:
        """True once its scene has released it (the renderer closed, or switched to another scene)."""
        return self.buffer.handle is None or self.memory.handle is None or self.runtime.handle is None

    def _live(self, what: str) -> None:
        if self.released:
            raise ArgumentError(
                f"{self.name} was released with its scene (the renderer was closed or switched scenes); "
                f"it cannot be {what}"
            )

    def write(self, data: np.ndarray, *, wait: bool = False) -> None:
        """Replace the contents with `data` (see the class's docstring for the ordering); `wait`: return once
        the copy is done."""
        self._live("written")
        wait = checked_flag("write's wait", wait)
        check_data(self.name, data, self.shape, self.dtype, self.element_shape)
        self.runtime.flush()  # the kernels launched so far go first
        self.uploader.upload(self.buffer, data, wait=wait)

    def read(self) -> np.ndarray:
        """A copy of the contents, shape + element_shape, after all work submitted before the call (it waits)."""
        self._live("read")
        self.runtime.flush()
        self.uploader.reclaim()
        raw = read_device_buffer(self.buffer.context, self.buffer, np.uint8)[: self.nbytes]
        return raw.view(self.dtype).reshape(self.shape + self.element_shape)

    to_numpy = read
