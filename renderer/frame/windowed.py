"""Frames in flight for a window: acquire, the ordered draws, present; swapchain recreation; screenshots.

Each frame in flight (slot) has a fence, an image-available semaphore and an event; each swapchain image has
a render-finished semaphore. One command buffer per (slot, swapchain image) is recorded when the swapchain or
the drawables change, never per frame; its body is `frames.record_ordered_draws` (event set, wait before the
draws, the drawables' work before the pass, render pass, their work after it) then the barrier and event
reset; its VkSubmitInfo is made with it. The host waits on a slot's fence only when it reuses the slot, so
the kernels of frame i+1 run while frame i is presented. `vkDeviceWaitIdle` happens only at recreation and
shutdown; a screenshot waits for its own frame's fence.
"""

from __future__ import annotations

import numpy as np
import vulkan as vk

from ..compute.events import Event
from ..device.handles import create_command_pool, create_fence, vk_create, vk_destroy
from ..device.memory import Buffer, layout_barrier, pipeline_barrier
from ..device.pipelines import create_render_pass
from ..errors import RendererError
from .offscreen import (
    COMPUTE,
    FENCE_TIMEOUT_S,
    FrameTimeoutError,
    reclaim_due,
    record_copy_to_host,
    record_ordered_draws,
    reset_fence,
    submit_frame,
    wait_fence,
)
from .swapchain import Surface, Swapchain


class WindowSlot:
    def __init__(self, context, runtime, index: int):
        device = context.device
        self.index = index
        self.fence = create_fence(device, signalled=True)
        self.fences = vk.ffi.new("VkFence[1]", [self.fence])
        self.image_available = vk_create(
            "Semaphore", vk.vkCreateSemaphore, device, vk.VkSemaphoreCreateInfo(), None
        )
        self.event = Event.create(runtime)
        self.in_flight = False
        self.shared: dict = {}  # RenderTarget.per_slot

    def destroy(self, device) -> None:
        for obj in self.shared.values():
            obj.destroy()
        self.shared = {}
        self.event.destroy()
        vk_destroy("Semaphore", vk.vkDestroySemaphore, device, self.image_available, None)
        vk_destroy("Fence", vk.vkDestroyFence, device, self.fence, None)


class WindowFrames:
    def __init__(
        self,
        context,
        runtime,
        window,
        *,
        vsync: bool = True,
        frames_in_flight: int = 2,
        clear_color=(0.02, 0.02, 0.03, 1.0),
    ):
        self.context, self.runtime, self.window, self.vsync = context, runtime, window, vsync
        self.clear_color = clear_color
        self.drawables: list = []
        self.slots: list[WindowSlot] = []
        self.render_finished: list = []
        self.cbs: dict = {}
        self._submit_infos: dict = {}  # (slot, swapchain image) -> VkSubmitInfo of its command buffer
        self.pool = self.render_pass = self.swapchain = self.surface = None
        self.submitted = 0
        device = context.device
        try:
            self.surface = Surface(context.instance, window.handle)
            self.swapchain = Swapchain(context, self.surface.handle)
            self.render_pass = create_render_pass(
                device, self.swapchain.format, vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR
            )
            self.pool = create_command_pool(context)
            self.slots = [WindowSlot(context, runtime, i) for i in range(frames_in_flight)]
            self._create_swapchain()
        except BaseException:
            self.destroy()
            raise

    @property
    def frames_in_flight(self) -> int:
        return len(self.slots)

    @property
    def extent(self) -> tuple[int, int]:
        return self.swapchain.extent

    @property
    def present_mode_name(self) -> str:
        from .swapchain import PRESENT_MODE_NAMES

        return PRESENT_MODE_NAMES.get(self.swapchain.present_mode, str(self.swapchain.present_mode))

    # -- (re)building

    def _create_swapchain(self) -> None:
        width, height = self.window.framebuffer_size()
        self.swapchain.create(self.render_pass, width, height, self.vsync)
        device = self.context.device
        for semaphore in self.render_finished:
            vk_destroy("Semaphore", vk.vkDestroySemaphore, device, semaphore, None)
        self.render_finished = [
            vk_create("Semaphore", vk.vkCreateSemaphore, device, vk.VkSemaphoreCreateInfo(), None)
            for _ in self.swapchain.images
        ]
        self._record_all()

    def recreate(self, vsync: bool | None = None) -> bool:
        """Rebuild the swapchain for the window's current size (and vsync). False while the window is 0x0."""
        if vsync is not None:
            self.vsync = vsync
        width, height = self.window.framebuffer_size()
        if width == 0 or height == 0:
            return False
        self.wait_idle()
        self._create_swapchain()
        return True

    def set_drawables(self, drawables: list) -> None:
        self.wait_idle()
        self.drawables = list(drawables)
        self._record_all()

    def _record_all(self) -> None:
        device = self.context.device
        if self.cbs:
            old = list(self.cbs.values())
            vk.vkFreeCommandBuffers(device, self.pool, len(old), old)
            self.cbs, self._submit_infos = {}, {}
        if not self.drawables and not self.swapchain.images:
            return
        count = len(self.slots) * len(self.swapchain.images)
        cbs = vk.vkAllocateCommandBuffers(
            device,
            vk.VkCommandBufferAllocateInfo(
                commandPool=self.pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=count
            ),
        )
        it = iter(cbs)
        for slot in self.slots:
            for image, framebuffer in enumerate(self.swapchain.framebuffers):
                cb = next(it)
                vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
                stages = record_ordered_draws(
                    cb,
                    slot.event,
                    self.render_pass,
                    framebuffer,
                    self.swapchain.target(image, slot.shared),
                    self.clear_color,
                    self.drawables,
                    slot.index,
                )
                slot.event.record_reset(cb, stages | COMPUTE)
                vk.vkEndCommandBuffer(cb)
                self.cbs[(slot.index, image)] = cb
                self._submit_infos[(slot.index, image)] = self._submit_info(slot, image, cb)

    def _submit_info(self, slot: WindowSlot, image: int, cb):
        """Run `cb` once the slot's swapchain image is available; signal the image's render-finished."""
        return vk.VkSubmitInfo(
            pWaitSemaphores=[slot.image_available],
            pWaitDstStageMask=[vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT],
            pCommandBuffers=[cb],
            pSignalSemaphores=[self.render_finished[image]],
        )

    # -- per frame

    def begin(self, frame: int) -> tuple[WindowSlot, int] | None:
        """Wait for the frame's slot, acquire an image. None when the swapchain had to be rebuilt first."""
        slot = self.slots[frame % len(self.slots)]
        self._wait(slot)
        if self.swapchain.needs_recreate and not self.recreate():
            return None
        index = self.swapchain.acquire(slot.image_available)
        if index is None:
            self.recreate()
            return None
        return slot, index

    def submit(self, slot: WindowSlot, index: int, capture: bool = False) -> np.ndarray | None:
        """After the frame's launches: flush Taichi, submit the frame's command buffer, present.
        With `capture`, this frame's image is also copied out and returned (HxWx4 RGBA; waits for the frame)."""
        readback = cb = None
        if capture:
            readback, cb = self._record_capture(slot, index)
        self.runtime.flush()
        reset_fence(self.context.device, slot.fences)
        if cb is None:
            info = self._submit_infos[(slot.index, index)]
        else:  # the capture's own command buffer, recorded for this frame
            info = self._submit_info(slot, index, cb)
        submit_frame(self.context.queue, info, slot.fence)
        slot.in_flight = True
        self.swapchain.present(self.context.queue, index, self.render_finished[index])
        self.submitted += 1
        if reclaim_due(self.submitted, self.runtime):
            self.runtime.wait()  # Taichi frees what it submitted only here (see frames.py)
        if not capture:
            return None
        try:
            self._wait(slot)
            width, height = self.swapchain.extent
            pixels = readback.read(np.uint8).reshape(height, width, 4)
        finally:
            vk.vkFreeCommandBuffers(self.context.device, self.pool, 1, [cb])
            readback.destroy()
        if self.swapchain.format == vk.VK_FORMAT_B8G8R8A8_UNORM:
            pixels = pixels[..., [2, 1, 0, 3]]
        return np.ascontiguousarray(pixels)

    def _record_capture(self, slot: WindowSlot, index: int):
        """A one-off command buffer: the frame as usual, then its image copied to a host buffer before it is
        presented (the image is ours until the present, so no hazard against the presentation engine)."""
        if not self.swapchain.can_screenshot:
            raise RendererError("this surface's images cannot be copied (no TRANSFER_SRC usage)")
        width, height = self.swapchain.extent
        device = self.context.device
        readback = Buffer(
            self.context,
            width * height * 4,
            vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
            host=True,
            name="screenshot",
        )
        cb = vk.vkAllocateCommandBuffers(
            device,
            vk.VkCommandBufferAllocateInfo(
                commandPool=self.pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=1
            ),
        )[0]
        image = self.swapchain.images[index]

        def transition(old, new, src_access, dst_access, src_stage, dst_stage):
            pipeline_barrier(
                cb, src_stage, dst_stage, images=[layout_barrier(image, old, new, src_access, dst_access)]
            )

        vk.vkBeginCommandBuffer(
            cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
        )
        stages = record_ordered_draws(
            cb,
            slot.event,
            self.render_pass,
            self.swapchain.framebuffers[index],
            self.swapchain.target(index, slot.shared),
            self.clear_color,
            self.drawables,
            slot.index,
        )
        # after the render pass's final layout change (its external dependency's TRANSFER | COMPUTE scope) and
        # whatever the drawables wrote after the pass
        transition(
            vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
            vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
            vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
            | vk.VK_PIPELINE_STAGE_TRANSFER_BIT
            | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
        )
        record_copy_to_host(cb, image, readback, width, height)
        transition(
            vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
            0,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
        )
        slot.event.record_reset(cb, stages | COMPUTE)
        vk.vkEndCommandBuffer(cb)
        return readback, cb

    def _wait(self, slot: WindowSlot) -> None:
        if not slot.in_flight:
            return
        try:
            wait_fence(self.context.device, slot.fences, int(FENCE_TIMEOUT_S * 1e9))
        except vk.VkTimeout as exc:
            raise FrameTimeoutError(f"a frame did not finish within {FENCE_TIMEOUT_S:.0f} s") from exc
        slot.in_flight = False

    def wait_idle(self) -> None:
        """Resize, screenshots and shutdown only."""
        for slot in self.slots:
            self._wait(slot)
        self.context.wait_idle()

    def destroy(self) -> None:
        device = self.context.device
        if device is None:
            return
        for slot in self.slots:
            slot.destroy(device)
        self.slots = []
        for semaphore in self.render_finished:
            vk_destroy("Semaphore", vk.vkDestroySemaphore, device, semaphore, None)
        self.render_finished = []
        if self.pool is not None:
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, self.pool, None)
            self.pool = None
        if self.swapchain is not None:
            self.swapchain.destroy()
            self.swapchain = None
        if self.surface is not None:
            self.surface.destroy()
            self.surface = None
        if self.render_pass is not None:
            self.render_pass.destroy()
            self.render_pass = None
