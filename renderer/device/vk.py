"""The one way this framework calls Vulkan: the `vulkan` package with every `vk*` function checked.

Modules write `from ..device import vk` and use it like the `vulkan` package: constants, structs, `ffi` and `lib`
are the package's own; each `vk*` function is wrapped so that a result other than VK_SUCCESS becomes one typed
exception naming the function, the result's name and what to do (`errors.VulkanError`; `DeviceLostError` for a
lost device). Non-error results (VK_TIMEOUT, VK_NOT_READY, VK_SUBOPTIMAL_KHR, VK_EVENT_SET, ...) raise
`VulkanStatus`, caught where such a result is expected. Functions fetched with `vkGetInstanceProcAddr` /
`vkGetDeviceProcAddr` are wrapped alike.

The frame loop's few per-frame calls go to the compiled functions (`vk.lib`) with arguments made once, and
pass their integer result to `check(result, name)`: the same exceptions, without the wrappers' cost (~8 us a
call in the package's argument conversion).
"""

from __future__ import annotations

import functools
import sys

from ..errors import DeviceLostError, NoVulkanDeviceError, VulkanError, VulkanStatus

try:
    import vulkan as _vulkan
except OSError as exc:  # the `vulkan` package raises this when libvulkan.so.1 is absent
    raise NoVulkanDeviceError(
        f"no Vulkan loader ({exc}): install the Debian packages libvulkan1 and mesa-vulkan-drivers"
    ) from exc
from vulkan import *  # noqa: E402, F403  (constants, structs, ffi, lib: the package's own)

ffi, lib = _vulkan.ffi, _vulkan.lib

# What to do about a result, said in the error it raises.
HINTS = {
    "VK_ERROR_DEVICE_LOST": "the GPU was reset or its driver failed (a kernel or shader may have run too long, "
    "or read out of bounds); the device cannot be used again: restart the program",
    "VK_ERROR_OUT_OF_DEVICE_MEMORY": "the GPU's memory is full: use smaller arrays, images or frames",
    "VK_ERROR_OUT_OF_HOST_MEMORY": "the host's memory is full",
    "VK_ERROR_INITIALIZATION_FAILED": "the driver could not start: check the Vulkan driver installation",
    "VK_ERROR_LAYER_NOT_PRESENT": "install the Debian package vulkan-validationlayers",
    "VK_ERROR_EXTENSION_NOT_PRESENT": "the driver lacks an extension this needs: try another device (--device)",
    "VK_ERROR_FEATURE_NOT_PRESENT": "the device lacks a feature this needs: try another device (--device)",
    "VK_ERROR_INCOMPATIBLE_DRIVER": "the driver does not support the Vulkan version needed (1.2)",
    "VK_ERROR_SURFACE_LOST_KHR": "the window's surface is gone: reopen the window",
    "VK_ERROR_OUT_OF_POOL_MEMORY": "a descriptor pool is full (a bug in this framework: please report it)",
}


def result_name(code: int) -> str:
    """VK_ERROR_DEVICE_LOST for -4, from the `vulkan` package's exception of that code."""
    exc = _vulkan.exception_codes.get(code)
    return _exception_result(exc.__name__) if exc is not None else f"VkResult {code}"


def _exception_result(class_name: str) -> str:
    """VkErrorDeviceLost -> VK_ERROR_DEVICE_LOST."""
    return "VK_" + "".join("_" + c if c.isupper() else c.upper() for c in class_name[2:]).lstrip("_")


def error_for(call: str, result: str) -> VulkanError:
    """The exception a result of `call` raises (not raised here)."""
    if not result.startswith("VK_ERROR"):
        return VulkanStatus(call, result)
    kind = DeviceLostError if result == "VK_ERROR_DEVICE_LOST" else VulkanError
    return kind(call, result, HINTS.get(result, ""))


def check(result: int, call: str) -> None:
    """Raise the typed exception of a raw `lib` call's result unless it is VK_SUCCESS."""
    if result != _vulkan.VK_SUCCESS:
        raise error_for(call, result_name(result))


def checked(fn, name: str | None = None):
    """`fn` (a function of the `vulkan` package, or one it fetched) with its result exceptions made typed."""
    call = name or getattr(fn, "__name__", "a Vulkan function")

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except (_vulkan.VkException, _vulkan.VkError) as exc:  # non-error results, and errors
            raise error_for(call, _exception_result(type(exc).__name__)) from exc
        except KeyError as exc:  # a result the package has no exception for
            if not _raised_by_package(exc):
                raise
            raise VulkanError(call, f"an unknown VkResult ({exc.args[0]})") from exc
        except (_vulkan.ProcedureNotFoundError, _vulkan.ExtensionNotSupportedError) as exc:
            raise VulkanError(
                call, "not found", "its extension is not enabled on this instance or device"
            ) from exc
        if call in _PROC_ADDR:  # what it fetched is checked too
            return checked(result, args[1] if len(args) > 1 else kwargs.get("pName"))
        return result

    return wrapper


_PROC_ADDR = ("vkGetInstanceProcAddr", "vkGetDeviceProcAddr")


def _raised_by_package(exc: BaseException) -> bool:
    """Whether the innermost frame of `exc` is the `vulkan` package's (its result check: exception_codes[r])."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "").startswith("vulkan")


def _wrap_all(module) -> None:
    for name in dir(_vulkan):
        value = getattr(_vulkan, name)
        if name.startswith("vk") and callable(value):
            setattr(module, name, checked(value, name))


_wrap_all(sys.modules[__name__])
