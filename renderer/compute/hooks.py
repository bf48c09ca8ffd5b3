"""The Vulkan functions the imported Taichi runtime calls, with two fixes for how Taichi 1.7.4 uses them.

The runtime loads every Vulkan function through the `vkGetInstanceProcAddr` it is given (`instance_proc_addr()`);
for the renderer's devices (`register`) a few resolve to the functions here, the rest to the loader's own.

1. Fences are recycled. Taichi creates a VkFence for every submission (each `ti_flush`, so every frame) and
   destroys them all at `ti_wait`. On the NVIDIA driver measured (an H100 in a virtual machine) vkCreateFence and
   vkDestroyFence cost 0.27-0.47 ms each: more than the rest of a 10k-particle frame. A fence Taichi destroys is
   reset and kept (Taichi destroys a fence only after waiting for it); one it creates comes from the pool. The
   pool starts with `PREFILLED` fences, made when the device is registered: until the first `ti_wait` returns
   some, every submission would otherwise make a new one (measured: ti_flush 0.5 ms a frame for 256 frames).
2. Descriptor pools keep their size. Taichi allocates a descriptor set for every launch from pools of 64 sets and
   never frees one: it relies on the allocation failing with VK_ERROR_OUT_OF_POOL_MEMORY when a pool is full, then
   makes a new pool, and the old one is destroyed once its sets are no longer referenced. lavapipe never fails the
   allocation, so one pool grew forever (measured: 2,000 launches, 2,000 sets allocated, none freed, ~0.17 KiB of
   heap each). The allocation here fails when the pool's `maxSets` are used up, as the specification allows.

3. A command buffer can go first in Taichi's next submission (`prepend_to_next_submit`): the frames' GPU timeline
   (frame/timeline.py) puts its first timestamp there, right before the frame's launches, whether Taichi submits
   them at `ti_flush` or by itself mid-frame (at a launch, once its pending work is older than 2 ms), at no cost of
   a submission of its own.

Taichi keeps the functions it loaded in process-wide tables, so a device it creates itself reaches these functions
too: for a device not registered they only forward. `drain(device)` must run before a registered device is
destroyed. Those tables hold the functions of the last device Taichi was given, and every runtime calls them: a
device's own functions (with or without the validation layer in front) called with another device's handles
crashed the process (a renderer with validation and one without, in one process). So device functions resolve
to the loader's trampolines, which dispatch on the handle they are given, whichever device it is.
"""

from __future__ import annotations

import contextlib

import cffi

from .. import interrupts
from ..device import vk

MAX_POOLED = 4096  # fences kept per device (Taichi holds at most one per submission between two ti_wait)
PREFILLED = 264  # the frames' ti_wait interval (frame/target.py RECLAIM_INTERVAL) of submissions, and a few
OUT_OF_POOL_MEMORY = -1000069000  # VK_ERROR_OUT_OF_POOL_MEMORY

_ffi = cffi.FFI()
_ffi.cdef(
    """
    typedef struct VkInstance_T *VkInstance;
    typedef struct VkDevice_T *VkDevice;
    typedef uint64_t VkFence;
    typedef uint64_t VkDescriptorPool;
    typedef uint64_t VkDescriptorSet;
    typedef struct VkQueue_T *VkQueue;
    typedef struct VkCommandBuffer_T *VkCommandBuffer;
    typedef int32_t VkResult;
    typedef void (*PFN_vkVoidFunction)(void);
    typedef struct { int32_t sType; const void *pNext; uint32_t flags; } VkFenceCreateInfo;
    typedef struct {
        int32_t sType; const void *pNext; uint32_t flags; uint32_t maxSets; uint32_t poolSizeCount;
        const void *pPoolSizes;
    } VkDescriptorPoolCreateInfo;
    typedef struct {
        int32_t sType; const void *pNext; VkDescriptorPool descriptorPool; uint32_t descriptorSetCount;
        const void *pSetLayouts;
    } VkDescriptorSetAllocateInfo;
    PFN_vkVoidFunction vkGetInstanceProcAddr(VkInstance instance, const char *pName);
    PFN_vkVoidFunction vkGetDeviceProcAddr(VkDevice device, const char *pName);
    typedef struct {
        int32_t sType; const void *pNext; uint32_t waitSemaphoreCount; const void *pWaitSemaphores;
        const void *pWaitDstStageMask; uint32_t commandBufferCount; const VkCommandBuffer *pCommandBuffers;
        uint32_t signalSemaphoreCount; const void *pSignalSemaphores;
    } VkSubmitInfo;
    VkResult vkQueueSubmit(VkQueue queue, uint32_t submitCount, const VkSubmitInfo *pSubmits, VkFence fence);
    VkResult vkCreateFence(VkDevice device, const VkFenceCreateInfo *pCreateInfo, const void *pAllocator,
                           VkFence *pFence);
    void vkDestroyFence(VkDevice device, VkFence fence, const void *pAllocator);
    VkResult vkResetFences(VkDevice device, uint32_t fenceCount, const VkFence *pFences);
    VkResult vkCreateDescriptorPool(VkDevice device, const VkDescriptorPoolCreateInfo *pCreateInfo,
                                    const void *pAllocator, VkDescriptorPool *pDescriptorPool);
    void vkDestroyDescriptorPool(VkDevice device, VkDescriptorPool descriptorPool, const void *pAllocator);
    VkResult vkResetDescriptorPool(VkDevice device, VkDescriptorPool descriptorPool, uint32_t flags);
    VkResult vkAllocateDescriptorSets(VkDevice device, const VkDescriptorSetAllocateInfo *pAllocateInfo,
                                      VkDescriptorSet *pDescriptorSets);
    VkResult vkFreeDescriptorSets(VkDevice device, VkDescriptorPool descriptorPool, uint32_t count,
                                  const VkDescriptorSet *pDescriptorSets);
    """
)
_loader = None  # libvulkan, opened on first use; its device functions dispatch to the device's driver
_fences: dict[int, list[int]] = {}  # registered device -> fences ready for reuse (unsignalled)
_pools: dict[int, list[int]] = {}  # Taichi's descriptor pool -> [maxSets, sets allocated from it]
_first: dict[int, int] = {}  # queue -> a command buffer to go first in Taichi's next submission on it
_scratch: dict[int, tuple] = {}  # queue -> (VkSubmitInfo[], VkCommandBuffer[]) of its prepending submissions
_SUBMIT_INFO_SIZE, _POINTER_SIZE = _ffi.sizeof("VkSubmitInfo"), _ffi.sizeof("VkCommandBuffer")


def _lib():
    global _loader
    if _loader is None:
        _loader = _ffi.dlopen("libvulkan.so.1")
    return _loader


def _key(handle) -> int:
    return int(_ffi.cast("uintptr_t", handle))


# An exception in a callback cannot propagate into Taichi: it becomes the `error` value (an error VkResult, or
# a NULL function), which Taichi reports as a failed call.


@_ffi.callback("VkResult(VkDevice, const VkFenceCreateInfo *, const void *, VkFence *)", error=-1)
def _create_fence(device, info, allocator, fence):
    pool = _fences.get(_key(device))
    if pool and info.flags == 0 and info.pNext == _ffi.NULL and allocator == _ffi.NULL:
        fence[0] = pool.pop()
        return 0  # VK_SUCCESS
    return _lib().vkCreateFence(device, info, allocator, fence)


@_ffi.callback("void(VkDevice, VkFence, const void *)")
def _destroy_fence(device, fence, allocator):
    if fence == 0:
        return
    pool = _fences.get(_key(device))
    if pool is not None and allocator == _ffi.NULL and len(pool) < MAX_POOLED:
        kept = _ffi.new("VkFence *", fence)
        if _lib().vkResetFences(device, 1, kept) == 0:
            pool.append(fence)
            return
    _lib().vkDestroyFence(device, fence, allocator)


@_ffi.callback(
    "VkResult(VkDevice, const VkDescriptorPoolCreateInfo *, const void *, VkDescriptorPool *)", error=-1
)
def _create_descriptor_pool(device, info, allocator, pool):
    result = _lib().vkCreateDescriptorPool(device, info, allocator, pool)
    if result == 0 and _key(device) in _fences:
        _pools[pool[0]] = [info.maxSets, 0]
    return result


@_ffi.callback("void(VkDevice, VkDescriptorPool, const void *)")
def _destroy_descriptor_pool(device, pool, allocator):
    _pools.pop(pool, None)
    _lib().vkDestroyDescriptorPool(device, pool, allocator)


@_ffi.callback("VkResult(VkDevice, VkDescriptorPool, uint32_t)", error=-1)
def _reset_descriptor_pool(device, pool, flags):
    result = _lib().vkResetDescriptorPool(device, pool, flags)
    if pool in _pools:
        _pools[pool][1] = 0
    return result


@_ffi.callback("VkResult(VkDevice, const VkDescriptorSetAllocateInfo *, VkDescriptorSet *)", error=-1)
def _allocate_descriptor_sets(device, info, sets):
    counts = _pools.get(info.descriptorPool)
    if counts is not None and counts[1] + info.descriptorSetCount > counts[0]:
        return OUT_OF_POOL_MEMORY
    result = _lib().vkAllocateDescriptorSets(device, info, sets)
    if result == 0 and counts is not None:
        counts[1] += info.descriptorSetCount
    return result


@_ffi.callback("VkResult(VkDevice, VkDescriptorPool, uint32_t, const VkDescriptorSet *)", error=-1)
def _free_descriptor_sets(device, pool, count, sets):
    result = _lib().vkFreeDescriptorSets(device, pool, count, sets)
    if pool in _pools:
        _pools[pool][1] = max(0, _pools[pool][1] - count)
    return result


@_ffi.callback("VkResult(VkQueue, uint32_t, const VkSubmitInfo *, VkFence)", error=-1)
def _queue_submit(queue, count, submits, fence):
    key = _key(queue)
    first = _first.pop(key, None)
    if first is None or count == 0:
        return _lib().vkQueueSubmit(queue, count, submits, fence)
    taichi = submits[0].commandBufferCount
    infos, buffers = _scratch.get(key, (None, None))
    if infos is None or len(infos) < count or len(buffers) < taichi + 1:  # made once, kept: this is per frame
        infos, buffers = _ffi.new("VkSubmitInfo[]", count), _ffi.new("VkCommandBuffer[]", taichi + 1)
        _scratch[key] = infos, buffers
    _ffi.memmove(infos, submits, _SUBMIT_INFO_SIZE * count)
    buffers[0] = _ffi.cast("VkCommandBuffer", first)
    _ffi.memmove(buffers + 1, submits[0].pCommandBuffers, _POINTER_SIZE * taichi)
    infos[0].commandBufferCount, infos[0].pCommandBuffers = taichi + 1, buffers
    return _lib().vkQueueSubmit(queue, count, infos, fence)


interrupts.register_callbacks(__file__)  # a second Ctrl-C never raises inside them

_OURS = {
    b"vkCreateFence": _create_fence,
    b"vkDestroyFence": _destroy_fence,
    b"vkCreateDescriptorPool": _create_descriptor_pool,
    b"vkDestroyDescriptorPool": _destroy_descriptor_pool,
    b"vkResetDescriptorPool": _reset_descriptor_pool,
    b"vkAllocateDescriptorSets": _allocate_descriptor_sets,
    b"vkFreeDescriptorSets": _free_descriptor_sets,
    b"vkQueueSubmit": _queue_submit,
}


# inside `resolving()`: the instance Taichi loads functions for, its device's resolved through it
_instance = None
_resolving = False


@contextlib.contextmanager
def resolving():
    """Around a call in which Taichi loads its Vulkan functions (ti_import_vulkan_runtime,
    ti_create_vulkan_runtime_ext): its device functions then resolve to the loader's trampolines, through the
    instance it loads them for. No instance handle is kept after (it may be destroyed before the next)."""
    global _instance, _resolving
    _resolving = True
    try:
        yield
    finally:
        _instance, _resolving = None, False


@_ffi.callback("PFN_vkVoidFunction(VkDevice, const char *)")
def _device_proc_addr(device, name):
    ours = _OURS.get(_ffi.string(name))
    if ours:
        return _ffi.cast("PFN_vkVoidFunction", ours)
    # the loader's trampoline, which dispatches on the handle it is called with, not the device's own function
    # (unlike the device's lookup, it is not NULL for an extension the device did not enable: Taichi calls
    # only those it enabled)
    trampoline = _lib().vkGetInstanceProcAddr(_instance, name) if _instance is not None else _ffi.NULL
    return trampoline if trampoline != _ffi.NULL else _lib().vkGetDeviceProcAddr(device, name)


@_ffi.callback("PFN_vkVoidFunction(VkInstance, const char *)")
def _instance_proc_addr(instance, name):
    global _instance
    if _resolving and instance != _ffi.NULL:
        _instance = instance
    wanted = _ffi.string(name)
    if wanted == b"vkGetDeviceProcAddr":
        return _ffi.cast("PFN_vkVoidFunction", _device_proc_addr)
    ours = _OURS.get(wanted)
    return _ffi.cast("PFN_vkVoidFunction", ours) if ours else _lib().vkGetInstanceProcAddr(instance, name)


def instance_proc_addr() -> int:
    """The vkGetInstanceProcAddr to give Taichi: the loader's, with the functions above."""
    return int(_ffi.cast("uintptr_t", _instance_proc_addr))


def register(device) -> bool:
    """Apply the fixes on this device (one the renderer owns), with `PREFILLED` fences ready. True the first
    time for a device: `drain(device)` must then run before it is destroyed."""
    first = _device_key(device) not in _fences
    pool = _fences.setdefault(_device_key(device), [])
    handle = _ffi.cast("VkDevice", _device_key(device))
    info = _ffi.new("VkFenceCreateInfo *", {"sType": vk.VK_STRUCTURE_TYPE_FENCE_CREATE_INFO})
    fence = _ffi.new("VkFence *")
    while len(pool) < PREFILLED:
        if _lib().vkCreateFence(handle, info, _ffi.NULL, fence) != 0:
            break  # Taichi makes its own then
        pool.append(fence[0])
    return first


def prepend_to_next_submit(queue, command_buffer) -> None:
    """`command_buffer` (recorded with SIMULTANEOUS_USE) goes first in Taichi's next submission on `queue`;
    `take_prepended(queue)` takes it back if Taichi has submitted nothing meanwhile."""
    _first[_device_key(queue)] = _device_key(command_buffer)


def take_prepended(queue) -> bool:
    """Withdraw what `prepend_to_next_submit` left for `queue`: True if it was still waiting (Taichi submitted
    nothing since), False if Taichi's submission took it."""
    return _first.pop(_device_key(queue), None) is not None


def prepend_waiting(queue) -> bool:
    """Whether what `prepend_to_next_submit` left for `queue` still waits for Taichi's next submission."""
    return _device_key(queue) in _first


def registered(device) -> bool:
    """Whether the fixes apply on this device (`register`): Taichi's submissions on it come through here."""
    return _device_key(device) in _fences


def pooled_fences(device) -> int:
    return len(_fences.get(_device_key(device), []))


def descriptor_pools() -> dict[int, tuple[int, int]]:
    """Taichi's live descriptor pools: {pool: (maxSets, sets allocated)}."""
    return {pool: (limit, used) for pool, (limit, used) in _pools.items()}


def drain(device) -> None:
    """Destroy the fences kept for this device and stop applying the fixes (before the device is destroyed)."""
    for fence in _fences.pop(_device_key(device), []):
        _lib().vkDestroyFence(_ffi.cast("VkDevice", _device_key(device)), fence, _ffi.NULL)


def _device_key(device) -> int:
    return int(vk.ffi.cast("uintptr_t", device))
