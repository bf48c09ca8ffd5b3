"""The renderer's Vulkan instance, physical device, logical device and its one GRAPHICS|COMPUTE queue.

The renderer owns Vulkan; Taichi is a guest on this device. The device is created with every feature from
`capabilities.FEATURES` that it has, and `taichi_capabilities` says what Taichi may use on it. `adopt()` is the
other direction: drive a device that a Taichi runtime created (the context then destroys nothing it adopted).
"""

from __future__ import annotations

import atexit
import ctypes
import os

from ..errors import DeviceNotFoundError, NoVulkanDeviceError, RendererError, VulkanError
from . import capabilities, handles, validation, vk
from .handles import vk_create, vk_destroy

API_VERSION = vk.VK_MAKE_VERSION(1, 3, 0)
HOST_MEMORY_EXTENSION = "VK_EXT_external_memory_host"
DEVICE_ENV = "RENDERER_DEVICE"  # picks a physical device whose name contains this text
DEVICE_TYPE_RANK = {
    vk.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: 0,
    vk.VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: 1,
    vk.VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: 2,
    vk.VK_PHYSICAL_DEVICE_TYPE_CPU: 3,
}
DEVICE_TYPE_NAMES = {
    vk.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: "discrete GPU",
    vk.VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: "integrated GPU",
    vk.VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: "virtual GPU",
    vk.VK_PHYSICAL_DEVICE_TYPE_CPU: "CPU",
    vk.VK_PHYSICAL_DEVICE_TYPE_OTHER: "other",
}


# The instances of contexts without instance extensions (headless ones), one per validation setting, made on
# first use and kept for the process: such a context makes and destroys only its device and messenger on one.
# NVIDIA's driver fails vkCreateInstance with VK_ERROR_INCOMPATIBLE_DRIVER after 30 instances made and destroyed
# in one process (measured on an H100, with validation and without), and has been reported to corrupt subgroup
# invocation ids after fewer. A window's context (surface extensions) has its own: Mesa's window system code
# keeps per-connection state in the instance, and a display reopened by the next window exits the process.
# Destroyed at exit.
_instances: dict[tuple, object] = {}
_instances_made = 0  # in this process, shared or not


@atexit.register
def _destroy_instances() -> None:
    if handles.live_counts().get("Instance"):  # a context left open: its device would outlive its instance
        return
    while _instances:
        vk.vkDestroyInstance(_instances.popitem()[1], None)  # not counted: handles counts contexts' uses


def handle_value(handle) -> int:
    return int(vk.ffi.cast("uintptr_t", handle)) if handle is not None else 0


def _version_text(v: int) -> str:
    return f"{v >> 22}.{(v >> 12) & 0x3FF}.{v & 0xFFF}"


def _graphics_compute_family(physical_device) -> int | None:
    want = vk.VK_QUEUE_GRAPHICS_BIT | vk.VK_QUEUE_COMPUTE_BIT
    for i, family in enumerate(vk.vkGetPhysicalDeviceQueueFamilyProperties(physical_device)):
        if family.queueFlags & want == want and family.queueCount > 0:
            return i
    return None


def pick_physical_device(instance, name: str | None = None):
    """A discrete GPU first, lavapipe when that is all there is; `name` (or $RENDERER_DEVICE) picks by name."""
    name = name or os.environ.get(DEVICE_ENV) or None
    candidates = []
    for physical in vk.vkEnumeratePhysicalDevices(instance):
        props = vk.vkGetPhysicalDeviceProperties(physical)
        family = _graphics_compute_family(physical)
        if family is not None and props.apiVersion >= vk.VK_MAKE_VERSION(1, 2, 0):
            candidates.append((DEVICE_TYPE_RANK.get(props.deviceType, 4), props.deviceName, physical, family))
    if not candidates:
        raise NoVulkanDeviceError(
            "no Vulkan 1.2 device with a graphics+compute queue: install the Debian package mesa-vulkan-drivers "
            "(lavapipe, a CPU implementation) or a GPU driver"
        )
    if name:
        named = [c for c in candidates if name.lower() in c[1].lower()]
        if not named:
            raise DeviceNotFoundError(
                f"no Vulkan device named like {name!r}; devices here: {', '.join(c[1] for c in candidates)}"
            )
        candidates = named
    candidates.sort(key=lambda c: c[0])
    _, device_name, physical, family = candidates[0]
    return physical, family


class VulkanContext:
    """Instance, device and queue. Use as a context manager or call `destroy()` (idempotent)."""

    def __init__(
        self,
        *,
        validate: bool = False,
        echo_validation: bool = False,
        device_name: str | None = None,
        instance_extensions=(),
        device_extensions=(),
        sync_between_submissions: bool = True,
    ):
        self.owns_device = True
        self.before_destroy: list = []  # callables(device) run before the device is destroyed
        self._sync_between_submissions = sync_between_submissions
        self.validation_log = validation.ValidationLog(echo=echo_validation) if validate else None
        self.instance = self.device = self._messenger = None
        self._shares_instance = False
        self.host_import_alignment = 0  # with HOST_MEMORY_EXTENSION: the alignment of host memory to import
        self._create_instance(list(instance_extensions))
        try:
            self.physical_device, self.queue_family = pick_physical_device(self.instance, device_name)
            self._read_properties()
            self._tune_for_cpu_driver()
            self._create_device(list(device_extensions))
        except BaseException:
            self.destroy()
            raise

    # -- creation

    def _create_instance(self, extensions: list[str]) -> None:
        self._shares_instance = not extensions
        key = (self.validation_log is not None, self._sync_between_submissions)
        if not self._shares_instance:
            self.instance = self._new_instance(extensions)
        else:
            if key not in _instances:
                _instances[key] = self._new_instance(extensions)
            self.instance = _instances[key]
        handles.opened("Instance")  # this context's, until its destroy()
        if self.validation_log is not None:
            create = vk.vkGetInstanceProcAddr(self.instance, "vkCreateDebugUtilsMessengerEXT")
            self._messenger_info = validation.messenger_create_info(self.validation_log)
            self._messenger = vk_create(
                "DebugUtilsMessenger", create, self.instance, self._messenger_info, None
            )

    def _new_instance(self, extensions: list[str]):
        layers, chain = [], None
        if self.validation_log is not None:
            if not validation.layer_available():
                raise NoVulkanDeviceError(
                    "validation requested but VK_LAYER_KHRONOS_validation is missing: "
                    "install the Debian package vulkan-validationlayers"
                )
            validation.enable_environment(self._sync_between_submissions)
            layers = [validation.LAYER]
            extensions = extensions + [vk.VK_EXT_DEBUG_UTILS_EXTENSION_NAME]
            self._features = vk.VkValidationFeaturesEXT(
                pEnabledValidationFeatures=[vk.VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT]
            )
            self._instance_messenger_info = validation.messenger_create_info(
                self.validation_log, self._features
            )
            chain = self._instance_messenger_info
        self._app_info = vk.VkApplicationInfo(
            pApplicationName="taichi-vulkan-renderer",
            pEngineName="taichi-vulkan-renderer",
            apiVersion=API_VERSION,
        )
        info = vk.VkInstanceCreateInfo(
            pNext=chain,
            pApplicationInfo=self._app_info,
            ppEnabledLayerNames=layers,
            ppEnabledExtensionNames=extensions,
        )
        global _instances_made
        try:
            instance = vk.vkCreateInstance(info, None)
            _instances_made += 1
            return instance
        except VulkanError as exc:
            if exc.result == "VK_ERROR_INCOMPATIBLE_DRIVER" and _instances_made:
                raise NoVulkanDeviceError(
                    f"the Vulkan driver refused a new instance after {_instances_made} made in this process "
                    "(NVIDIA's refuses the 31st; each window makes one): open fewer windows in one process"
                ) from exc
            if exc.result == "VK_ERROR_INCOMPATIBLE_DRIVER":
                raise NoVulkanDeviceError(
                    "no Vulkan driver: install the Debian package mesa-vulkan-drivers (lavapipe) or a GPU driver"
                ) from exc
            if exc.result == "VK_ERROR_EXTENSION_NOT_PRESENT":
                raise NoVulkanDeviceError(f"a required instance extension is missing: {extensions}") from exc
            raise

    def _tune_for_cpu_driver(self) -> None:
        """On a CPU driver (lavapipe) rendering runs in this process and frees tens of MB per frame; glibc's
        default trim threshold hands it back to the kernel each time and takes it back as page faults (measured:
        ~5,600 faults a frame, 40 -> 22-28 ms at 100k particles). Keep up to 64 MiB of freed memory instead."""
        if self.device_type != "CPU":
            return
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            return
        M_TRIM_THRESHOLD = -1
        libc.mallopt(M_TRIM_THRESHOLD, 64 * 2**20)

    def _read_properties(self) -> None:
        props = vk.vkGetPhysicalDeviceProperties(self.physical_device)
        self.device_name = props.deviceName
        self.device_type = DEVICE_TYPE_NAMES.get(props.deviceType, "other")
        self.api_version = min(props.apiVersion, API_VERSION) & ~0xFFF  # variant.major.minor, patch 0
        # copied out: props is a cffi struct, and views into it die with it
        self.max_point_size = float(props.limits.pointSizeRange[1])
        self.max_storage_buffer_range = int(props.limits.maxStorageBufferRange)
        self.max_image_dimension = int(props.limits.maxImageDimension2D)
        self.memory_properties = vk.vkGetPhysicalDeviceMemoryProperties(self.physical_device)

    def _create_device(self, extensions: list[str]) -> None:
        available = {
            e.extensionName for e in vk.vkEnumerateDeviceExtensionProperties(self.physical_device, None)
        }
        missing = [e for e in extensions if e not in available]
        if missing:
            raise NoVulkanDeviceError(f"{self.device_name} lacks device extension(s) {missing}")
        plan = capabilities.plan(self.physical_device, available, self.api_version)
        self.enabled_features = plan.enabled
        self.taichi_capabilities = plan.taichi_capabilities
        self.device_extensions = sorted(set(extensions) | set(plan.extensions))
        if HOST_MEMORY_EXTENSION in available:  # frames handed out in place outlive the device (memory.py)
            self.device_extensions = sorted({*self.device_extensions, HOST_MEMORY_EXTENSION})
            host = vk.VkPhysicalDeviceExternalMemoryHostPropertiesEXT()
            vk.vkGetPhysicalDeviceProperties2(
                self.physical_device, vk.VkPhysicalDeviceProperties2(pNext=host)
            )
            self.host_import_alignment = int(host.minImportedHostPointerAlignment)
        self._priorities = [1.0]
        self._queue_info = vk.VkDeviceQueueCreateInfo(
            queueFamilyIndex=self.queue_family, queueCount=1, pQueuePriorities=self._priorities
        )
        self._device_info = vk.VkDeviceCreateInfo(
            pNext=plan.features_chain,
            pQueueCreateInfos=[self._queue_info],
            ppEnabledExtensionNames=self.device_extensions,
        )
        self.device = vk_create("Device", vk.vkCreateDevice, self.physical_device, self._device_info, None)
        self.queue = vk.vkGetDeviceQueue(self.device, self.queue_family, 0)
        self._plan = plan  # the feature structs stay alive as long as the device

    @classmethod
    def adopt(
        cls,
        instance: int,
        physical_device: int,
        device: int,
        queue: int,
        queue_family: int,
        api_version: int,
        taichi_capabilities: dict[str, int],
    ) -> VulkanContext:
        """Drive a device someone else (a Taichi runtime) created; destroy() leaves it alone."""
        self = cls.__new__(cls)
        self.owns_device = False
        self.before_destroy = []
        self.validation_log = None
        self._messenger = None
        self.instance = vk.ffi.cast("VkInstance", instance)
        self.physical_device = vk.ffi.cast("VkPhysicalDevice", physical_device)
        self.device = vk.ffi.cast("VkDevice", device)
        self.queue = vk.ffi.cast("VkQueue", queue)
        self.queue_family = queue_family
        self._read_properties()
        self.api_version = api_version
        self.enabled_features = {}
        self.device_extensions = []
        self.host_import_alignment = 0
        self.taichi_capabilities = dict(taichi_capabilities)
        return self

    # -- use

    def describe(self) -> str:
        return f"{self.device_name} ({self.device_type}, Vulkan {_version_text(self.api_version)})"

    def wait_idle(self) -> None:
        """For teardown only: never in the per-frame path."""
        if self.device is not None:
            vk.vkDeviceWaitIdle(self.device)

    def check_validation(self, where: str) -> None:
        if self.validation_log is not None:
            self.validation_log.raise_if_any(where)

    # -- teardown

    def destroy(self) -> None:
        if not self.owns_device:
            self.device = self.instance = None
            return
        device, self.device = self.device, None
        if device is not None:
            for release in self.before_destroy:  # e.g. the fences kept for Taichi (compute/hooks.py)
                release(device)
            self.before_destroy.clear()
            vk_destroy("Device", vk.vkDestroyDevice, device, None)
        messenger, self._messenger = self._messenger, None
        if messenger is not None:
            destroy = vk.vkGetInstanceProcAddr(self.instance, "vkDestroyDebugUtilsMessengerEXT")
            vk_destroy("DebugUtilsMessenger", destroy, self.instance, messenger, None)
        instance, self.instance = self.instance, None
        if instance is not None:
            handles.closed("Instance")
            if not self._shares_instance:  # a shared one is kept for the process (_instances)
                vk.vkDestroyInstance(instance, None)
        if self.validation_log is not None:
            validation.release(self.validation_log)

    def __enter__(self) -> VulkanContext:
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def handles(self) -> dict:
        """Raw handle values, for interop."""
        return {
            "instance": handle_value(self.instance),
            "physical_device": handle_value(self.physical_device),
            "device": handle_value(self.device),
            "queue": handle_value(self.queue),
        }


__all__ = ["VulkanContext", "RendererError", "pick_physical_device"]
