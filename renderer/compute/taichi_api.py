"""The Taichi C API, bound from the headers of the installed `taichi` wheel.

The declarations come from the wheel's own `taichi_core.h` and `taichi_vulkan.h` (preprocessor lines and
export macros stripped, then parsed by cffi), so every struct layout is the header's, never hand-written.
Only the handful of Vulkan types those headers mention are declared here, as the Vulkan ABI defines them.
Every call goes through `call()`, which reads `ti_get_last_error` and raises `TaichiError`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import cffi

from .. import cache
from ..device import vk
from ..errors import RendererError

# The Vulkan types taichi_vulkan.h uses. Handles are pointers on 64-bit targets (dispatchable or not),
# enums are `int`, flags are uint32_t: the Vulkan ABI, not a Taichi layout.
VULKAN_PRELUDE = """
typedef struct VkInstance_T *VkInstance;
typedef struct VkPhysicalDevice_T *VkPhysicalDevice;
typedef struct VkDevice_T *VkDevice;
typedef struct VkQueue_T *VkQueue;
typedef struct VkBuffer_T *VkBuffer;
typedef struct VkDeviceMemory_T *VkDeviceMemory;
typedef struct VkImage_T *VkImage;
typedef uint32_t VkFlags;
typedef VkFlags VkBufferUsageFlags;
typedef VkFlags VkImageUsageFlags;
typedef int VkImageType;
typedef int VkFormat;
typedef int VkSampleCountFlagBits;
typedef int VkImageTiling;
typedef int VkImageViewType;
typedef int VkImageLayout;
typedef struct VkExtent3D { uint32_t width; uint32_t height; uint32_t depth; } VkExtent3D;
typedef void (*PFN_vkVoidFunction)(void);
typedef PFN_vkVoidFunction (*PFN_vkGetInstanceProcAddr)(VkInstance instance, const char *pName);
"""

HEADERS = ("taichi_core.h", "taichi_vulkan.h")

# The structs this project passes to or reads from the library: checked against a C compiler by a test.
USED_STRUCTS = (
    "TiVulkanRuntimeInteropInfo",
    "TiVulkanMemoryInteropInfo",
    "TiVulkanImageInteropInfo",
    "TiCapabilityLevelInfo",
    "TiMemoryAllocateInfo",
    "TiNdShape",
    "TiNdArray",
    "TiTexture",
    "TiScalar",
    "TiTensor",
    "TiArgument",
    "TiImageExtent",
)


def c_api_dir() -> Path:
    """The C API folder inside the installed taichi wheel (found without importing taichi)."""
    spec = importlib.util.find_spec("taichi")
    if spec is None or not spec.submodule_search_locations:
        raise RendererError(
            "the `taichi` package is not installed: run `python3 run_demo.py` once to set up .venv"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "_lib" / "c_api"
    if not (path / "lib" / "libtaichi_c_api.so").exists():
        raise RendererError(
            f"{path} has no lib/libtaichi_c_api.so: this taichi wheel ships no C API (need 1.7.4)"
        )
    return path


def header_text(include_dir: Path) -> str:
    """The declarations of the Taichi headers, in a form cffi parses."""
    parts = []
    for name in HEADERS:
        text = (include_dir / name).read_text()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        text = text.replace('extern "C" {', "").replace("TI_DLL_EXPORT", "").replace("TI_API_CALL", "")
        text = re.sub(r"^\}\s*$", "", text, flags=re.M)  # the closing brace of extern "C"
        parts.append(text)
    return "\n".join(parts)


def _load():
    # libtaichi_c_api computes its cache folder from XDG_CACHE_HOME or HOME as it loads, and aborts the process
    # (a failed assertion, no Python exception) when neither is set: see that one of them is, first.
    cache.prepare_taichi_environment()
    ffi = cffi.FFI()
    root = c_api_dir()
    ffi.cdef(VULKAN_PRELUDE + header_text(root / "include" / "taichi"))
    lib = ffi.dlopen(str(root / "lib" / "libtaichi_c_api.so"))
    return ffi, lib


ffi, lib = _load()

ERROR_NAMES = {
    getattr(lib, name): name
    for name in dir(lib)
    if name.startswith("TI_ERROR_") and name != "TI_ERROR_MAX_ENUM"
}

# What to do about each error, shown after Taichi's own message.
HINTS = {
    "TI_ERROR_NOT_SUPPORTED": "the device or this Taichi build does not support it; see the capabilities the renderer declared",
    "TI_ERROR_CORRUPTED_DATA": "the compiled module is damaged or was built for other capabilities; delete it so it is rebuilt",
    "TI_ERROR_NAME_NOT_FOUND": "no such name in the module; check the kernel names the scene declares",
    "TI_ERROR_INVALID_ARGUMENT": "an argument does not match what the call expects",
    "TI_ERROR_ARGUMENT_NULL": "a required handle or pointer was null",
    "TI_ERROR_ARGUMENT_OUT_OF_RANGE": "a value is outside the range the call accepts",
    "TI_ERROR_ARGUMENT_NOT_FOUND": "an argument the kernel needs was not given",
    "TI_ERROR_INVALID_INTEROP": "the Vulkan handles given to Taichi are not valid for this runtime's device",
    "TI_ERROR_INVALID_STATE": "the runtime is in a state that does not allow this call (already destroyed?)",
    "TI_ERROR_INCOMPATIBLE_MODULE": "the module needs capabilities the runtime lacks; recompile it for this device",
    "TI_ERROR_OUT_OF_MEMORY": "the device is out of memory; use smaller buffers",
}


class TaichiError(RendererError):
    """A Taichi C API call failed. `code_name` is the TiError name, `message` Taichi's own text."""

    def __init__(self, call: str, code: int, message: str, context: str = ""):
        self.call, self.code, self.message = call, code, message
        self.code_name = ERROR_NAMES.get(code, f"TiError({code})")
        hint = HINTS.get(self.code_name, "")
        where = f" ({context})" if context else ""
        super().__init__(
            f"{call}{where} failed with {self.code_name}: {message or 'no message'}"
            + (f". What to do: {hint}" if hint else "")
        )


_message = ffi.new("char[]", 4096)
_message_size = ffi.new("uint64_t *")


def last_error() -> tuple[int, str]:
    """Taichi's last error on this thread, then cleared (success does not clear it by itself)."""
    _message_size[0] = len(_message)
    code = lib.ti_get_last_error(_message_size, _message)
    if code == lib.TI_ERROR_SUCCESS:
        return code, ""
    text = ffi.string(_message).decode(errors="replace")
    lib.ti_set_last_error(lib.TI_ERROR_SUCCESS, ffi.NULL)
    return code, text


def check(call_name: str, context: str = "") -> None:
    """Raise TaichiError if the last call left an error."""
    code, text = last_error()
    if code != lib.TI_ERROR_SUCCESS:
        raise TaichiError(call_name, code, text, context)


def call(name: str, *args, context: str = ""):
    """Call a C API function and check Taichi's last error afterwards."""
    result = getattr(lib, name)(*args)
    check(name, context)
    return result


def version() -> int:
    return lib.ti_get_version()


def vk_handle(ctype: str, handle) -> object:
    """A Vulkan handle of the `vulkan` package (or an int) as this binding's C type."""
    return ffi.cast(ctype, handle_int(handle))


def handle_int(handle) -> int:
    """The raw value of a handle from the `vulkan` package, this binding, or an int."""
    if handle is None:
        return 0
    if isinstance(handle, int):
        return handle
    if isinstance(handle, ffi.CData):
        return int(ffi.cast("uintptr_t", handle))
    return int(vk.ffi.cast("uintptr_t", handle))
