"""The window's swapchain: images, depth buffers and framebuffers, recreated on resize or when out of date.

Present modes: FIFO with vsync (always available); without vsync MAILBOX, else IMMEDIATE, where the surface
offers them. The checked calls (device/vk.py) raise for every result but VK_SUCCESS, so acquire and present
turn VK_SUBOPTIMAL_KHR (`VulkanStatus`) and VK_ERROR_OUT_OF_DATE_KHR (`VulkanError`) into a `needs_recreate`
flag instead of exceptions, and the acquired index is read from our own `uint32_t*` (the package would lose
it with the suboptimal result). Any other failure (a lost device, a lost surface) is raised as it is: one
typed error naming the call.
"""

from __future__ import annotations

import glfw

from ..device import handles, vk
from ..device.handles import vk_create, vk_destroy
from ..device.memory import Image
from ..device.pipelines import create_depth_image, create_framebuffer
from ..draw.base import RenderTarget
from ..errors import RendererError, VulkanError, WindowError

SUBOPTIMAL, OUT_OF_DATE = "VK_SUBOPTIMAL_KHR", "VK_ERROR_OUT_OF_DATE_KHR"

PREFERRED_FORMATS = (vk.VK_FORMAT_B8G8R8A8_UNORM, vk.VK_FORMAT_R8G8B8A8_UNORM)  # same output as headless
PRESENT_MODE_NAMES = {
    vk.VK_PRESENT_MODE_FIFO_KHR: "FIFO (vsync)",
    vk.VK_PRESENT_MODE_MAILBOX_KHR: "MAILBOX (no vsync)",
    vk.VK_PRESENT_MODE_IMMEDIATE_KHR: "IMMEDIATE (no vsync)",
    vk.VK_PRESENT_MODE_FIFO_RELAXED_KHR: "FIFO relaxed",
}


class Surface:
    """The Vulkan surface of a glfw window. Destroy it after the swapchain, before the window and instance."""

    def __init__(self, instance, window_handle):
        surface = vk.ffi.new("VkSurfaceKHR *")
        result = glfw.create_window_surface(instance, window_handle, None, surface)
        if result != vk.VK_SUCCESS:
            raise WindowError(f"glfwCreateWindowSurface failed with {vk.result_name(result)}")
        self.handle, self.instance = surface[0], instance
        handles.opened("Surface")

    def destroy(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            destroy = vk.vkGetInstanceProcAddr(self.instance, "vkDestroySurfaceKHR")
            vk_destroy("Surface", destroy, self.instance, handle, None)


class Swapchain:
    def __init__(self, context, surface):
        self.context, self.surface = context, surface
        instance, device = context.instance, context.device
        get_i = vk.vkGetInstanceProcAddr
        get_d = vk.vkGetDeviceProcAddr
        self._caps = get_i(instance, "vkGetPhysicalDeviceSurfaceCapabilitiesKHR")
        self._formats = get_i(instance, "vkGetPhysicalDeviceSurfaceFormatsKHR")
        self._modes = get_i(instance, "vkGetPhysicalDeviceSurfacePresentModesKHR")
        self._support = get_i(instance, "vkGetPhysicalDeviceSurfaceSupportKHR")
        self._create = get_d(device, "vkCreateSwapchainKHR")
        self._destroy = get_d(device, "vkDestroySwapchainKHR")
        self._images = get_d(device, "vkGetSwapchainImagesKHR")
        self._acquire = get_d(device, "vkAcquireNextImageKHR")
        self._present = get_d(device, "vkQueuePresentKHR")
        if not self._support(context.physical_device, context.queue_family, surface):
            raise RendererError(
                f"{context.device_name} cannot present to this window from its graphics queue"
            )
        formats = self._formats(context.physical_device, surface)
        by_format = {f.format: f for f in formats}
        chosen = next((by_format[f] for f in PREFERRED_FORMATS if f in by_format), formats[0])
        self.format, self.color_space = chosen.format, chosen.colorSpace
        self.available_modes = set(self._modes(context.physical_device, surface))
        self.handle = None
        self.images: list = []
        self.views: list = []
        self.depths: list[Image] = []
        self.framebuffers: list = []
        self.storage = False  # the images have STORAGE usage
        self.extent = (0, 0)
        self.present_mode = vk.VK_PRESENT_MODE_FIFO_KHR
        self.needs_recreate = False
        self._index = vk.ffi.new("uint32_t *")
        self.generation = 0  # bumped on each (re)creation (the tests count rebuilds by it)

    def choose_present_mode(self, vsync: bool) -> int:
        if vsync:
            return vk.VK_PRESENT_MODE_FIFO_KHR
        for mode in (vk.VK_PRESENT_MODE_MAILBOX_KHR, vk.VK_PRESENT_MODE_IMMEDIATE_KHR):
            if mode in self.available_modes:
                return mode
        return vk.VK_PRESENT_MODE_FIFO_KHR

    def create(self, render_pass, width: int, height: int, vsync: bool) -> None:
        """(Re)create for a framebuffer of width x height; the caller has waited for the device to be idle."""
        caps = self._caps(self.context.physical_device, self.surface)
        if caps.currentExtent.width != 0xFFFFFFFF:
            width, height = caps.currentExtent.width, caps.currentExtent.height
        width = max(caps.minImageExtent.width, min(caps.maxImageExtent.width, width))
        height = max(caps.minImageExtent.height, min(caps.maxImageExtent.height, height))
        if width == 0 or height == 0:
            raise RendererError("cannot create a swapchain for a zero-sized window (minimized?)")
        count = caps.minImageCount + 1
        if caps.maxImageCount:
            count = min(count, caps.maxImageCount)
        usage = vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT
        if caps.supportedUsageFlags & vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT:
            usage |= vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT  # screenshots
        self.can_screenshot = bool(usage & vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT)
        features = vk.vkGetPhysicalDeviceFormatProperties(self.context.physical_device, self.format)
        if caps.supportedUsageFlags & vk.VK_IMAGE_USAGE_STORAGE_BIT and (
            features.optimalTilingFeatures & vk.VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT
        ):
            usage |= vk.VK_IMAGE_USAGE_STORAGE_BIT  # compute shaders may write the frame (point_splat.py)
        self.storage = bool(usage & vk.VK_IMAGE_USAGE_STORAGE_BIT)
        alpha = vk.VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
        if not caps.supportedCompositeAlpha & alpha:
            alpha = caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha  # lowest supported bit
        self.present_mode = self.choose_present_mode(vsync)
        old = self.handle
        self._destroy_targets()
        self._info = vk.VkSwapchainCreateInfoKHR(
            surface=self.surface,
            minImageCount=count,
            imageFormat=self.format,
            imageColorSpace=self.color_space,
            imageExtent=vk.VkExtent2D(width, height),
            imageArrayLayers=1,
            imageUsage=usage,
            imageSharingMode=vk.VK_SHARING_MODE_EXCLUSIVE,
            preTransform=caps.currentTransform,
            compositeAlpha=alpha,
            presentMode=self.present_mode,
            clipped=vk.VK_TRUE,
            oldSwapchain=old,
        )
        self.handle = vk_create("Swapchain", self._create, self.context.device, self._info, None)
        if old is not None:
            vk_destroy("Swapchain", self._destroy, self.context.device, old, None)
        self.extent = (width, height)
        self.images = self._images(self.context.device, self.handle)
        device = self.context.device
        for image in self.images:
            rng = vk.VkImageSubresourceRange(
                aspectMask=vk.VK_IMAGE_ASPECT_COLOR_BIT,
                baseMipLevel=0,
                levelCount=1,
                baseArrayLayer=0,
                layerCount=1,
            )
            info = vk.VkImageViewCreateInfo(
                image=image, viewType=vk.VK_IMAGE_VIEW_TYPE_2D, format=self.format, subresourceRange=rng
            )
            self.views.append(vk_create("ImageView", vk.vkCreateImageView, device, info, None))
            depth = create_depth_image(
                self.context,
                width,
                height,
                "window depth",
                "make the window smaller",
            )
            self.depths.append(depth)
            self.framebuffers.append(
                create_framebuffer(device, render_pass, [self.views[-1], depth.view], width, height)
            )
        self.needs_recreate = False
        self.generation += 1

    def target(self, index: int, per_slot: dict):
        """Swapchain image `index` and its depth as the frames' RenderTarget."""
        depth = self.depths[index]
        return RenderTarget(
            self.images[index],
            self.views[index],
            depth.handle,
            depth.view,
            *self.extent,
            vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
            self.storage,
            per_slot,
        )

    def acquire(self, semaphore) -> int | None:
        """The next image's index, or None when the swapchain is out of date (then recreate)."""
        try:
            self._acquire(self.context.device, self.handle, 2**64 - 1, semaphore, None, self._index)
        except VulkanError as exc:  # device lost, surface lost...: raised as they are
            if exc.result not in (SUBOPTIMAL, OUT_OF_DATE):
                raise
            self.needs_recreate = True
            if exc.result == OUT_OF_DATE:
                return None
            # suboptimal: the image is acquired and usable; recreate after presenting it
        return self._index[0]

    def present(self, queue, index: int, wait_semaphore) -> None:
        self._present_info = vk.VkPresentInfoKHR(
            pWaitSemaphores=[wait_semaphore], pSwapchains=[self.handle], pImageIndices=[index]
        )
        try:
            self._present(queue, self._present_info)
        except VulkanError as exc:
            if exc.result not in (SUBOPTIMAL, OUT_OF_DATE):
                raise
            self.needs_recreate = True

    def _destroy_targets(self) -> None:
        device = self.context.device
        for fb in self.framebuffers:
            vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, device, fb, None)
        for depth in self.depths:
            depth.destroy()
        for view in self.views:
            vk_destroy("ImageView", vk.vkDestroyImageView, device, view, None)
        self.framebuffers, self.depths, self.views, self.images = [], [], [], []

    def destroy(self) -> None:
        self._destroy_targets()
        handle, self.handle = self.handle, None
        if handle is not None:
            vk_destroy("Swapchain", self._destroy, self.context.device, handle, None)
