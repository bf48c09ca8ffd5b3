"""Exception types. Every native failure becomes one of these, naming the call, the result and what to do."""

import warnings


class RendererError(Exception):
    """Base class of every error this framework raises."""


class VulkanError(RendererError):
    """A Vulkan call failed: `call` is the function, `result` the VkResult's name."""

    def __init__(self, call: str, result: str, hint: str = ""):
        self.call, self.result, self.hint = call, result, hint
        super().__init__(f"{call} failed with {result}" + (f": {hint}" if hint else ""))


class VulkanStatus(VulkanError):
    """A Vulkan call returned a result that is not an error but not VK_SUCCESS either (VK_TIMEOUT,
    VK_NOT_READY, VK_SUBOPTIMAL_KHR, ...): caught where it is expected; elsewhere it is a failure."""


class DeviceLostError(VulkanError):
    """The Vulkan device was lost (VK_ERROR_DEVICE_LOST): nothing on it can be used again."""


class OutOfMemoryError(RendererError):
    """A buffer or image larger than the device or this process can give: the message says how many bytes were
    asked, the limit met and what to lower."""


class NoVulkanDeviceError(RendererError):
    """No usable Vulkan device (or no Vulkan loader) on this machine."""


class DeviceNotFoundError(NoVulkanDeviceError):
    """No Vulkan device's name contains the text asked for (the message lists the devices there are)."""


class ValidationError(RendererError):
    """The Khronos validation layer reported warnings or errors."""


class EventError(RendererError):
    """An event was used out of order: waited on without a signal, or not signalled in time."""


class TimelineError(RendererError):
    """A span of the frames' GPU timeline was recorded out of order: inside another span, or for a
    frame-in-flight slot that does not exist."""


class WindowError(RendererError):
    """No window could be opened (no display, or glfw/Vulkan cannot present here)."""


class ArgumentError(RendererError):
    """A kernel launch or resource import was rejected before it reached the driver."""


class OutputError(RendererError):
    """A file the renderer was asked to write (a frame's PNG, a screenshot, a frame log) could not be written:
    the message names the file, the system's reason and what to do."""


def plain_warnings() -> None:
    """Show warnings (the cache's: a damaged entry rebuilt, a read-only cache folder) as one line "warning:
    ..." on stderr, like the command line's errors, not in Python's file-and-line form. For the command
    line's entry points, before they import the rest (the Taichi library's environment check warns as it
    loads)."""
    warnings.formatwarning = lambda message, category, filename, lineno, line=None: f"warning: {message}\n"
