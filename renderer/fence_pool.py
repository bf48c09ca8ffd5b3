"""Recycled fences for Taichi's submissions.

Taichi 1.7.4 creates a VkFence for every submission (each `ti_flush`, so every frame) and destroys them all at
`ti_wait`. On the NVIDIA driver measured (an H100 in a virtual machine) vkCreateFence and vkDestroyFence cost
about 0.27 ms each: together more than the rest of a 10k-particle frame. So the runtime the renderer imports
loads its Vulkan functions through `instance_proc_addr()`, which resolves vkCreateFence and vkDestroyFence to
this pool: a fence Taichi destroys is reset and kept (Taichi destroys a fence only after waiting for it), and a
fence it creates is taken from the pool when one is there. Every other function is the loader's own.

Pools exist only for the devices the renderer owns (`register`): Taichi keeps the functions it loaded in
process-wide tables, so a device it creates itself later reaches these functions too and gets the loader's.
`drain(device)` destroys what a pool holds and must run before the device is destroyed.
"""

from __future__ import annotations

import cffi
import vulkan as vk

MAX_POOLED = 4096  # fences kept per device (Taichi holds at most one per submission between two ti_wait)

_ffi = cffi.FFI()
_ffi.cdef(
    """
    typedef struct VkInstance_T *VkInstance;
    typedef struct VkDevice_T *VkDevice;
    typedef uint64_t VkFence;
    typedef int32_t VkResult;
    typedef void (*PFN_vkVoidFunction)(void);
    typedef struct { int32_t sType; const void *pNext; uint32_t flags; } VkFenceCreateInfo;
    PFN_vkVoidFunction vkGetInstanceProcAddr(VkInstance instance, const char *pName);
    PFN_vkVoidFunction vkGetDeviceProcAddr(VkDevice device, const char *pName);
    VkResult vkCreateFence(VkDevice device, const VkFenceCreateInfo *pCreateInfo, const void *pAllocator,
                           VkFence *pFence);
    void vkDestroyFence(VkDevice device, VkFence fence, const void *pAllocator);
    VkResult vkResetFences(VkDevice device, uint32_t fenceCount, const VkFence *pFences);
    """
)
_loader = None  # libvulkan, opened on first use; its device functions dispatch to the device's driver
_pools: dict[int, list[int]] = {}  # device -> fences ready for reuse (unsignalled)


def _lib():
    global _loader
    if _loader is None:
        _loader = _ffi.dlopen("libvulkan.so.1")
    return _loader


# an exception in a callback cannot propagate into Taichi: it becomes VK_ERROR_OUT_OF_HOST_MEMORY (or a NULL
# function), which Taichi reports as a failed call
@_ffi.callback("VkResult(VkDevice, const VkFenceCreateInfo *, const void *, VkFence *)", error=-1)
def _create_fence(device, info, allocator, fence):
    pool = _pools.get(int(_ffi.cast("uintptr_t", device)))
    if pool and info.flags == 0 and info.pNext == _ffi.NULL and allocator == _ffi.NULL:
        fence[0] = pool.pop()
        return 0  # VK_SUCCESS
    return _lib().vkCreateFence(device, info, allocator, fence)


@_ffi.callback("void(VkDevice, VkFence, const void *)")
def _destroy_fence(device, fence, allocator):
    if fence == 0:
        return
    pool = _pools.get(int(_ffi.cast("uintptr_t", device)))
    if pool is not None and allocator == _ffi.NULL and len(pool) < MAX_POOLED:
        kept = _ffi.new("VkFence *", fence)
        if _lib().vkResetFences(device, 1, kept) == 0:
            pool.append(fence)
            return
    _lib().vkDestroyFence(device, fence, allocator)


_OURS = {b"vkCreateFence": _create_fence, b"vkDestroyFence": _destroy_fence}


@_ffi.callback("PFN_vkVoidFunction(VkDevice, const char *)")
def _device_proc_addr(device, name):
    ours = _OURS.get(_ffi.string(name))
    return _ffi.cast("PFN_vkVoidFunction", ours) if ours else _lib().vkGetDeviceProcAddr(device, name)


@_ffi.callback("PFN_vkVoidFunction(VkInstance, const char *)")
def _instance_proc_addr(instance, name):
    wanted = _ffi.string(name)
    if wanted == b"vkGetDeviceProcAddr":
        return _ffi.cast("PFN_vkVoidFunction", _device_proc_addr)
    ours = _OURS.get(wanted)
    return _ffi.cast("PFN_vkVoidFunction", ours) if ours else _lib().vkGetInstanceProcAddr(instance, name)


def instance_proc_addr() -> int:
    """The vkGetInstanceProcAddr to give Taichi: the loader's, with fences from the pool."""
    return int(_ffi.cast("uintptr_t", _instance_proc_addr))


def register(device) -> None:
    """Keep the fences Taichi destroys on this device (one the renderer owns) for reuse."""
    _pools.setdefault(_device_key(device), [])


def pooled(device) -> int:
    return len(_pools.get(_device_key(device), []))


def drain(device) -> None:
    """Destroy the fences kept for this device and stop pooling for it (before the device is destroyed)."""
    for fence in _pools.pop(_device_key(device), []):
        _lib().vkDestroyFence(_ffi.cast("VkDevice", _device_key(device)), fence, _ffi.NULL)


def _device_key(device) -> int:
    return int(vk.ffi.cast("uintptr_t", device))
