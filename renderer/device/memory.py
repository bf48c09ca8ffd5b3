"""Renderer-owned buffers and images, and the choice of memory type for them.

Buffers that kernels write and the pipeline reads live in device-local memory where the device has it;
readback buffers are host-visible (cached where possible, since the host reads them). Each object owns its
Vulkan handles and frees them once: `destroy()` is idempotent.

Host memory the host reads in place (`host_owned=True`: frames handed out without a copy) is Python's own, an
anonymous mapping the device imports (VK_EXT_external_memory_host): an array viewing it keeps it alive after the
buffer, and the device, are gone, so it can never read freed memory.
"""

from __future__ import annotations

import errno
import mmap
import resource

import numpy as np

from ..errors import OutOfMemoryError, RendererError, VulkanError
from . import vk
from .handles import create_command_pool, create_fence, hinted, vk_create, vk_destroy

DEVICE_LOCAL = vk.VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
HOST_VISIBLE = vk.VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | vk.VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
HOST_CACHED = vk.VK_MEMORY_PROPERTY_HOST_CACHED_BIT

# Usage every buffer shared with Taichi needs: kernels bind it as a storage buffer; Taichi may copy it.
TAICHI_USAGE = (
    vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
    | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT
    | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
)
USAGE_NAMES = {
    "vertex": vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
    "index": vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT,
    "storage": vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
    "uniform": vk.VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
    "transfer_src": vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
    "transfer_dst": vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
}
# the formats a scene's images may have (`gpu.image(format=...)`)
IMAGE_FORMATS = {
    "rgba8": vk.VK_FORMAT_R8G8B8A8_UNORM,
    "r32f": vk.VK_FORMAT_R32_SFLOAT,
    "rgba32f": vk.VK_FORMAT_R32G32B32A32_SFLOAT,
}


def find_memory_type(memory_properties, type_bits: int, required: int, preferred: int = 0) -> int:
    """The first allowed memory type with `required` flags, preferring one that also has `preferred`."""
    allowed = [i for i in range(memory_properties.memoryTypeCount) if type_bits & (1 << i)]
    flags = {i: memory_properties.memoryTypes[i].propertyFlags for i in allowed}
    for want in (required | preferred, required):
        for i in allowed:
            if flags[i] & want == want:
                return i
    raise RendererError(f"no memory type with flags {required:#x} among the allowed types {type_bits:#x}")


OUT_OF_MEMORY = ("VK_ERROR_OUT_OF_DEVICE_MEMORY", "VK_ERROR_OUT_OF_HOST_MEMORY")
GENERIC_LOWER = "lower what sets its size (an array's shape, an image's or the frame's width x height)"


def byte_text(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count:,} bytes ({count / scale:.1f} {unit})"
    return f"{count:,} bytes"


def too_large(name: str, nbytes: int, limit: str, lower: str) -> OutOfMemoryError:
    return OutOfMemoryError(f"{name} needs {byte_text(nbytes)}, more than {limit}: {lower or GENERIC_LOWER}")


def host_memory_available() -> int | None:
    """Bytes this process can still map: the system's available memory, and its address-space limit (ulimit -v)
    less what it maps already; None if unknown."""
    limits = []
    try:
        with open("/proc/meminfo") as info:
            fields = dict(line.split(":", 1) for line in info)
        limits.append(int(fields["MemAvailable"].split()[0]) * 1024)
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/status") as status:
                mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
            limits.append(soft - mapped)
    except (OSError, KeyError, ValueError, StopIteration):
        pass
    return min(limits) if limits else None


def check_fits(context, nbytes: int, type_index: int, name: str, lower: str) -> None:
    """Refuse an allocation larger than its memory heap, or (on a CPU driver, whose device memory is this
    process's) than the host can still give: the driver would fail later, or mid-frame."""
    props = context.memory_properties
    heap = int(props.memoryHeaps[props.memoryTypes[type_index].heapIndex].size)
    if nbytes > heap:
        raise too_large(name, nbytes, f"the device's memory heap ({byte_text(heap)})", lower)
    if context.device_type == "CPU":
        available = host_memory_available()
        if available is not None and nbytes > available:
            raise too_large(
                name, nbytes, f"this process can still allocate ({byte_text(max(available, 0))})", lower
            )


def allocate(context, info, name: str, lower: str):
    """vkAllocateMemory for `info`, an out-of-memory result raised as OutOfMemoryError."""
    check_fits(context, info.allocationSize, info.memoryTypeIndex, name, lower)
    try:
        return vk_create("Memory", vk.vkAllocateMemory, context.device, info, None)
    except VulkanError as exc:
        if exc.result not in OUT_OF_MEMORY:
            raise
        raise too_large(
            name, info.allocationSize, f"the device could allocate ({exc.result})", lower
        ) from exc


def allocate_memory(context, requirements, host: bool, name: str, lower: str = ""):
    """Counted memory for `requirements` (a VkMemoryRequirements): host-visible (and cached where it can be)
    for `host`, else device-local where it can be. `name` and `lower` (what to make smaller) are for the
    error if it does not fit."""
    required, preferred = (HOST_VISIBLE, HOST_CACHED) if host else (0, DEVICE_LOCAL)
    type_index = find_memory_type(context.memory_properties, requirements.memoryTypeBits, required, preferred)
    info = vk.VkMemoryAllocateInfo(allocationSize=requirements.size, memoryTypeIndex=type_index)
    return allocate(context, info, name, lower)


HOST_ALLOCATION = vk.VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT


def import_host_memory(context, requirements, name: str, lower: str = ""):
    """(device memory, the mmap it is) for `requirements`, from a new anonymous mapping the device imports; None
    where the device cannot use host memory for it (then allocate_memory)."""
    align = context.host_import_alignment
    if not align:
        return None
    size = -(-requirements.size // align) * align
    try:
        block = mmap.mmap(-1, size)  # page-aligned, zero-filled
    except OSError as exc:
        if exc.errno != errno.ENOMEM:
            raise
        raise too_large(name, size, "this process can map (ENOMEM)", lower) from exc
    pointer = vk.ffi.from_buffer(block)
    try:
        if int(vk.ffi.cast("uintptr_t", pointer)) % align:
            return None
        properties = vk.VkMemoryHostPointerPropertiesEXT()  # made here: the package's has no sType
        get = vk.vkGetDeviceProcAddr(context.device, "vkGetMemoryHostPointerPropertiesEXT")
        get(context.device, HOST_ALLOCATION, pointer, properties)
        try:
            type_index = find_memory_type(
                context.memory_properties,
                requirements.memoryTypeBits & properties.memoryTypeBits,
                HOST_VISIBLE,
                HOST_CACHED,
            )
        except RendererError:
            return None
        source = vk.VkImportMemoryHostPointerInfoEXT(handleType=HOST_ALLOCATION, pHostPointer=pointer)
        info = vk.VkMemoryAllocateInfo(pNext=source, allocationSize=len(block), memoryTypeIndex=type_index)
        try:
            return allocate(context, info, name, lower), block
        except OutOfMemoryError:
            raise
        except VulkanError:  # e.g. VK_ERROR_INVALID_EXTERNAL_HANDLE: the driver refuses this memory
            return None
    finally:
        vk.ffi.release(pointer)


def can_import_image(context, fields: dict) -> bool:
    """Whether an image made with these VkImageCreateInfo `fields` can be bound to imported host memory."""
    if not context.host_import_alignment:
        return False
    external = vk.VkExternalImageFormatProperties()
    query = vk.VkPhysicalDeviceImageFormatInfo2(
        pNext=vk.VkPhysicalDeviceExternalImageFormatInfo(handleType=HOST_ALLOCATION),
        format=fields["format"],
        type=fields["imageType"],
        tiling=fields["tiling"],
        usage=fields["usage"],
        flags=fields["flags"],
    )
    try:
        vk.vkGetPhysicalDeviceImageFormatProperties2(
            context.physical_device, query, vk.VkImageFormatProperties2(pNext=external)
        )
    except RendererError:  # VK_ERROR_FORMAT_NOT_SUPPORTED
        return False
    features = external.externalMemoryProperties.externalMemoryFeatures
    return bool(features & vk.VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)


class Buffer:
    """A VkBuffer with its own memory. `host=True` makes it mappable (readback, tests); `host_owned=True` too,
    with the memory Python's where the device can import it (see the module's docstring; `self.host_owned`
    says whether it is)."""

    def __init__(
        self,
        context,
        size: int,
        usage: int,
        *,
        host: bool = False,
        host_owned: bool = False,
        name: str = "buffer",
        lower: str = "",
    ):
        """`lower`: what to make smaller if it does not fit (the error says it)."""
        if size <= 0:
            raise RendererError(f"{name}: buffer size must be positive, not {size}")
        if usage & vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT and size > context.max_storage_buffer_range:
            limit = f"this device can bind as one storage buffer (maxStorageBufferRange {context.max_storage_buffer_range:,} bytes)"
            raise too_large(name, size, limit, lower)
        host = host or host_owned
        self.context, self.size, self.usage, self.name, self.host = context, int(size), int(usage), name, host
        self.handle = self.memory = None
        self._mapped = self._block = None
        self._views: dict = {}  # view()'s arrays
        self.owned = True
        self.host_owned = host_owned and bool(context.host_import_alignment)
        device = context.device
        self._create_info = vk.VkBufferCreateInfo(
            pNext=vk.VkExternalMemoryBufferCreateInfo(handleTypes=HOST_ALLOCATION)
            if self.host_owned
            else None,
            size=self.size,
            usage=self.usage,
            sharingMode=vk.VK_SHARING_MODE_EXCLUSIVE,
        )
        self.handle = vk_create("Buffer", vk.vkCreateBuffer, device, self._create_info, None)
        try:
            req = vk.vkGetBufferMemoryRequirements(device, self.handle)
            imported = import_host_memory(context, req, name, lower) if self.host_owned else None
            self.host_owned = imported is not None
            if imported is None:
                self.memory = allocate_memory(context, req, host, name, lower)
            else:
                self.memory, self._block = imported
            vk.vkBindBufferMemory(device, self.handle, self.memory, 0)
        except BaseException:
            self.destroy()
            raise

    @classmethod
    def adopt(
        cls, context, handle: int, memory: int, size: int, usage: int, *, name: str = "buffer"
    ) -> Buffer:
        """A buffer someone else (a Taichi runtime) owns, to draw from; destroy() leaves it alone."""
        self = cls.__new__(cls)
        self.context, self.size, self.usage, self.name, self.host = (
            context,
            int(size),
            int(usage),
            name,
            False,
        )
        self.handle, self.memory, self.owned = vk.ffi.cast("VkBuffer", handle), memory, False
        self._mapped = self._block = None
        self._views: dict = {}  # view()'s arrays
        self.host_owned = False
        return self

    def map(self) -> memoryview:
        """The whole buffer as host memory (host buffers only); mapped once, kept mapped."""
        if not self.host:
            raise RendererError(f"{self.name} is device-local; create it with host=True to map it")
        if self._block is not None:
            return memoryview(self._block)[: self.size]
        if self._mapped is None:
            hint = f"{self.name}: its {self.size} bytes of host-visible memory could not be mapped"
            self._mapped = hinted(hint, vk.vkMapMemory, self.context.device, self.memory, 0, self.size, 0)
        return self._mapped

    def read(self, dtype=np.uint8, count: int = -1) -> np.ndarray:
        """A copy of the contents (host buffers only)."""
        return self.view(dtype, count).copy()

    def view(self, dtype=np.uint8, count: int = -1) -> np.ndarray:
        """The contents in place, read-only (host buffers only): no copy, valid until the GPU writes again. Made
        once per (dtype, count): the frame loop asks for its readback's every frame."""
        key = (np.dtype(dtype), count)
        array = self._views.get(key)
        if array is None:
            array = self._views[key] = np.frombuffer(self.map(), dtype=dtype, count=count)
            array.flags.writeable = False
        return array

    def write(self, data: np.ndarray) -> None:
        raw = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
        if raw.size > self.size:
            raise RendererError(f"{self.name}: {raw.size} bytes do not fit in {self.size}")
        np.frombuffer(self.map(), dtype=np.uint8, count=raw.size)[:] = raw

    def destroy(self) -> None:
        if not self.owned:
            self.handle = self.memory = None
            return
        device = self.context.device
        self._views = {}
        if self._mapped is not None:
            vk.vkUnmapMemory(device, self.memory)
            self._mapped = None
        self._block = None  # never closed: arrays viewing it keep it
        handle, self.handle = self.handle, None
        if handle is not None:
            vk_destroy("Buffer", vk.vkDestroyBuffer, device, handle, None)
        memory, self.memory = self.memory, None
        if memory is not None:
            vk_destroy("Memory", vk.vkFreeMemory, device, memory, None)


class Image:
    """A 2D image with its own memory and one view (colour or depth). `host=True`: linear tiling in
    host-visible memory, so that the host reads its texels in place (`pixels()`, 4 bytes a texel)."""

    def __init__(
        self,
        context,
        width: int,
        height: int,
        format: int,
        usage: int,
        *,
        aspect: int = vk.VK_IMAGE_ASPECT_COLOR_BIT,
        name: str = "image",
        host: bool = False,
        host_owned: bool = False,
        lower: str = "",
    ):
        if width <= 0 or height <= 0:
            raise RendererError(f"{name}: image size must be positive, not {width}x{height}")
        if max(width, height) > context.max_image_dimension:
            raise OutOfMemoryError(
                f"{name}: {width}x{height} is larger than this device's largest image "
                f"({context.max_image_dimension} on a side): {lower or GENERIC_LOWER}"
            )
        self.context, self.width, self.height, self.format, self.usage = context, width, height, format, usage
        host = host or host_owned
        self.name, self.aspect, self.host = name, aspect, host
        self.handle = self.memory = self.view = self._mapped = self._pixels = None
        device = context.device
        fields = dict(
            imageType=vk.VK_IMAGE_TYPE_2D,
            format=format,
            extent=vk.VkExtent3D(width, height, 1),
            mipLevels=1,
            arrayLayers=1,
            samples=vk.VK_SAMPLE_COUNT_1_BIT,
            tiling=vk.VK_IMAGE_TILING_LINEAR if host else vk.VK_IMAGE_TILING_OPTIMAL,
            usage=usage,
            flags=0,
            sharingMode=vk.VK_SHARING_MODE_EXCLUSIVE,
            initialLayout=vk.VK_IMAGE_LAYOUT_UNDEFINED,
        )
        self.host_owned = host_owned and can_import_image(context, fields)
        external = (
            vk.VkExternalMemoryImageCreateInfo(handleTypes=HOST_ALLOCATION) if self.host_owned else None
        )
        self._info = vk.VkImageCreateInfo(pNext=external, **fields)
        self.handle = vk_create("Image", vk.vkCreateImage, device, self._info, None)
        try:
            req = vk.vkGetImageMemoryRequirements(device, self.handle)
            name = f"{name} of {width}x{height}"
            imported = import_host_memory(context, req, name, lower) if self.host_owned else None
            self.host_owned = imported is not None
            if imported is None:
                self.memory = allocate_memory(context, req, host, name, lower)
            else:
                self.memory, self._mapped = imported  # read through the mmap itself
            vk.vkBindImageMemory(device, self.handle, self.memory, 0)
            if host:
                where = vk.VkImageSubresource(aspectMask=aspect, mipLevel=0, arrayLayer=0)
                layout = vk.vkGetImageSubresourceLayout(device, self.handle, where)
                self.offset, self.row_pitch = int(layout.offset), int(layout.rowPitch)
            if host and self._mapped is None:
                hint = f"{name}: its host-visible memory could not be mapped"
                self._mapped = hinted(hint, vk.vkMapMemory, device, self.memory, 0, req.size, 0)
            self.subresource_range = vk.VkImageSubresourceRange(
                aspectMask=aspect, baseMipLevel=0, levelCount=1, baseArrayLayer=0, layerCount=1
            )
            self._view_info = vk.VkImageViewCreateInfo(
                image=self.handle,
                viewType=vk.VK_IMAGE_VIEW_TYPE_2D,
                format=format,
                subresourceRange=self.subresource_range,
            )
            self.view = vk_create("ImageView", vk.vkCreateImageView, device, self._view_info, None)
        except BaseException:
            self.destroy()
            raise

    def pixels(self) -> np.ndarray:
        """The texels in place, read-only, height x width x 4 bytes (host images only; the image must be in
        GENERAL layout and the GPU done writing it)."""
        if self._pixels is None:  # made once: the frame loop asks for it every frame
            rows = np.frombuffer(self._mapped, np.uint8, count=self.offset + self.row_pitch * self.height)
            array = rows[self.offset :].reshape(self.height, self.row_pitch)[:, : 4 * self.width]
            self._pixels = array.reshape(self.height, self.width, 4)
            self._pixels.flags.writeable = False
        return self._pixels

    def destroy(self) -> None:
        device = self.context.device
        self._mapped = self._pixels = (
            None  # unmapped with its memory; an imported mmap is never closed: arrays viewing it keep it
        )
        view, self.view = self.view, None
        if view is not None:
            vk_destroy("ImageView", vk.vkDestroyImageView, device, view, None)
        handle, self.handle = self.handle, None
        if handle is not None:
            vk_destroy("Image", vk.vkDestroyImage, device, handle, None)
        memory, self.memory = self.memory, None
        if memory is not None:
            vk_destroy("Memory", vk.vkFreeMemory, device, memory, None)


def run_once(context, record) -> None:
    """Record commands with `record(cb)`, submit them and wait (set-up only, never per frame)."""
    device = context.device
    pool = create_command_pool(context)
    fence = None
    try:
        cb = vk.vkAllocateCommandBuffers(
            device,
            vk.VkCommandBufferAllocateInfo(
                commandPool=pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=1
            ),
        )[0]
        vk.vkBeginCommandBuffer(
            cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
        )
        record(cb)
        vk.vkEndCommandBuffer(cb)
        fence = create_fence(device)
        submit = vk.VkSubmitInfo(pCommandBuffers=[cb])
        vk.vkQueueSubmit(context.queue, 1, [submit], fence)
        hint = "set-up commands did not finish within 60 s"
        hinted(hint, vk.vkWaitForFences, device, 1, [fence], vk.VK_TRUE, 60 * 10**9)
    finally:
        if fence is not None:
            vk_destroy("Fence", vk.vkDestroyFence, device, fence, None)
        vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, pool, None)


def read_device_buffer(context, buffer: Buffer, dtype) -> np.ndarray:
    """A copy of a device-local buffer's contents after everything submitted so far (tests and diagnostics;
    it waits for the GPU, so never per frame)."""
    host = Buffer(context, buffer.size, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="readback")

    def record(cb):
        transfer = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
        pipeline_barrier(
            cb,
            vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
            transfer,
            vk.VK_ACCESS_MEMORY_WRITE_BIT,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
        )
        region = vk.VkBufferCopy(srcOffset=0, dstOffset=0, size=buffer.size)
        vk.vkCmdCopyBuffer(cb, buffer.handle, host.handle, 1, [region])
        pipeline_barrier(
            cb,
            transfer,
            vk.VK_PIPELINE_STAGE_HOST_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            vk.VK_ACCESS_HOST_READ_BIT,
        )

    try:
        run_once(context, record)
        return host.read(dtype)
    finally:
        host.destroy()


def pipeline_barrier(cb, src_stages, dst_stages, src_access=0, dst_access=0, images=()) -> None:
    """One vkCmdPipelineBarrier: a global memory barrier where an access mask is given, and `images`
    (VkImageMemoryBarriers, e.g. from layout_barrier)."""
    memory = [vk.VkMemoryBarrier(srcAccessMask=src_access, dstAccessMask=dst_access)]
    if not (src_access or dst_access):
        memory = []
    images = list(images)
    vk.vkCmdPipelineBarrier(
        cb, src_stages, dst_stages, 0, len(memory), memory or None, 0, None, len(images), images or None
    )


def copy_region(
    width: int,
    height: int,
    aspect: int = vk.VK_IMAGE_ASPECT_COLOR_BIT,
    x: int = 0,
    y: int = 0,
    buffer_offset: int = 0,
):
    """A VkBufferImageCopy of `width` x `height` texels from (`x`, `y`) of a one-level, one-layer image's
    `aspect`, tightly packed in the buffer from `buffer_offset`."""
    return vk.VkBufferImageCopy(
        bufferOffset=buffer_offset,
        bufferRowLength=0,
        bufferImageHeight=0,
        imageSubresource=vk.VkImageSubresourceLayers(
            aspectMask=aspect, mipLevel=0, baseArrayLayer=0, layerCount=1
        ),
        imageOffset=vk.VkOffset3D(x, y, 0),
        imageExtent=vk.VkExtent3D(width, height, 1),
    )


def layout_barrier(
    image, old: int, new: int, src_access: int, dst_access: int, aspect: int = vk.VK_IMAGE_ASPECT_COLOR_BIT
):
    """A VkImageMemoryBarrier for the whole of a one-level, one-layer image (a VkImage handle: swapchain
    images have no Image object)."""
    return vk.VkImageMemoryBarrier(
        srcAccessMask=src_access,
        dstAccessMask=dst_access,
        oldLayout=old,
        newLayout=new,
        srcQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
        dstQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
        image=image,
        subresourceRange=vk.VkImageSubresourceRange(
            aspectMask=aspect, baseMipLevel=0, levelCount=1, baseArrayLayer=0, layerCount=1
        ),
    )


def read_ranges(context, ranges: list[tuple[Buffer, int, int]]) -> list[bytes]:
    """Copies of byte ranges (buffer, offset, size) of device buffers after everything submitted so far, in one
    submission (a pick's values: it waits for the GPU, so never per frame); the work submitted after waits for
    the copies' reads."""
    if not ranges:
        return []
    offsets = np.cumsum([0] + [size for _, _, size in ranges])
    host = Buffer(context, int(offsets[-1]), vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="readback")

    def record(cb):
        transfer = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
        everything = vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT
        pipeline_barrier(
            cb, everything, transfer, vk.VK_ACCESS_MEMORY_WRITE_BIT, vk.VK_ACCESS_TRANSFER_READ_BIT
        )
        for (buffer, offset, size), at in zip(ranges, offsets, strict=False):
            region = vk.VkBufferCopy(srcOffset=offset, dstOffset=int(at), size=size)
            vk.vkCmdCopyBuffer(cb, buffer.handle, host.handle, 1, [region])
        pipeline_barrier(
            cb,
            transfer,
            vk.VK_PIPELINE_STAGE_HOST_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            vk.VK_ACCESS_HOST_READ_BIT,
        )
        pipeline_barrier(cb, transfer, everything)  # later writes (the next kernels) after these reads

    try:
        run_once(context, record)
        raw = host.read(np.uint8).tobytes()
        return [raw[int(a) : int(b)] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    finally:
        host.destroy()


def fill_with_zeros(context, buffer: Buffer) -> None:
    """Set every byte of a new buffer to zero, before anything uses it (set-up only: it waits). Device memory
    starts with whatever it held before: a scene that reads an array before writing it would otherwise get
    another run's data (on lavapipe, the process's recycled heap)."""

    def record(cb):
        vk.vkCmdFillBuffer(cb, buffer.handle, 0, 2**64 - 1, 0)  # VK_WHOLE_SIZE (the package has it signed)
        pipeline_barrier(
            cb,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            vk.VK_ACCESS_MEMORY_READ_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT,
        )

    run_once(context, record)


def clear_to_general(context, image: Image) -> None:
    """Move a new colour image to GENERAL layout, cleared to transparent black (kernels and shaders share it
    in that layout)."""

    def record(cb):
        general = vk.VK_IMAGE_LAYOUT_GENERAL
        barrier = layout_barrier(
            image.handle, vk.VK_IMAGE_LAYOUT_UNDEFINED, general, 0, vk.VK_ACCESS_TRANSFER_WRITE_BIT
        )
        top, transfer = vk.VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, vk.VK_PIPELINE_STAGE_TRANSFER_BIT
        pipeline_barrier(cb, top, transfer, images=[barrier])
        color = vk.VkClearColorValue(float32=[0.0, 0.0, 0.0, 0.0])
        vk.vkCmdClearColorImage(
            cb, image.handle, vk.VK_IMAGE_LAYOUT_GENERAL, color, 1, [image.subresource_range]
        )
        after = layout_barrier(
            image.handle,
            general,
            general,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT,
        )
        pipeline_barrier(cb, transfer, vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, images=[after])

    run_once(context, record)
