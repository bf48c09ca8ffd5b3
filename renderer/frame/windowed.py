"""Frames in flight for a window: acquire, the ordered draws, present; swapchain recreation; screenshots.

Each frame in flight (slot) has a fence, an image-available semaphore and an event; each swapchain image has
a render-finished semaphore. One command buffer per (slot, swapchain image) is recorded when the swapchain or
the drawables change, never per frame; its body is `offscreen.record_ordered_draws` (event set, wait before the
draws, the drawables' work before the pass, render pass, their work after it) then the barrier and event
reset; its VkSubmitInfo is made with it. The host waits on a slot's fence only when it reuses the slot, so
the kernels of frame i+1 run while frame i is presented. `vkDeviceWaitIdle` happens only at recreation, a
change of drawables and shutdown; a screenshot waits for its own frame's fence.
"""

from __future__ import annotations

import numpy as np

from ..compute.events import Event
from ..device import vk
from ..device.handles import create_command_pool, vk_create, vk_destroy
from ..device.memory import Buffer, layout_barrier, pipeline_barrier
from ..device.pipelines import create_render_pass
from ..errors import RendererError
from .offscreen import COMPUTE, record_copy_to_host, record_ordered_draws
from .swapchain import PRESENT_MODE_NAMES, Surface, Swapchain
from .target import FrameSlot, FrameTarget
from .ui_pass import UiPass


class WindowSlot(FrameSlot):
    def __init__(self, context, runtime, index: int):
        device = context.device
        self.image_available = self.event = None
        super().__init__(device, index)
        try:
            self.image_available = vk_create(
                "Semaphore", vk.vkCreateSemaphore, device, vk.VkSemaphoreCreateInfo(), None
            )
            self.event = Event.create(runtime)
        except BaseException:
            self.destroy(device)  # what was made so far
            raise

    def destroy(self, device) -> None:
        for obj in self.shared.values():
            obj.destroy()
        self.shared = {}
        if self.event is not None:
            self.event.destroy()
            self.event = None
        if self.image_available is not None:
            vk_destroy("Semaphore", vk.vkDestroySemaphore, device, self.image_available, None)
            self.image_available = None
        self.destroy_fence(device)


class WindowFrames(FrameTarget):
    """Frames in flight presented to `window`. `options`: FrameTarget's (clear_color, fence_timeout_s,
    reclaim_interval, reclaim_launches, and calls: the hook to count or fail the frame loop's calls)."""

    def __init__(
        self,
        context,
        runtime,
        window,
        *,
        vsync: bool = True,
        frames_in_flight: int = 2,
        **options,
    ):
        super().__init__(context, runtime, **options)
        self.window, self.vsync = window, vsync
        self.render_finished: list = []
        self.cbs: dict = {}
        self._submit_infos: dict = {}  # (slot, swapchain image) -> VkSubmitInfo of its command buffer
        self._recorded: dict = {}  # (slot, swapchain image) -> the recorded_state() its command buffer has
        self.render_pass = self.swapchain = self.surface = None
        self.ui: UiPass | None = None  # the panel's pass, once enable_panel() made it
        device = context.device
        try:
            self.surface = Surface(context.instance, window.handle)
            self.swapchain = Swapchain(context, self.surface.handle)
            self.render_pass = create_render_pass(
                device, self.swapchain.format, vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR
            )
            self.pool = create_command_pool(context)
            for i in range(frames_in_flight):  # one by one: destroy() releases those made if one fails
                self.slots.append(WindowSlot(context, runtime, i))
            self.make_timeline()
            self._create_swapchain()
        except BaseException:
            self.destroy()
            raise

    @property
    def extent(self) -> tuple[int, int]:
        return self.swapchain.extent

    @property
    def present_mode_name(self) -> str:
        return PRESENT_MODE_NAMES.get(self.swapchain.present_mode, str(self.swapchain.present_mode))

    # -- (re)building

    def _create_swapchain(self) -> None:
        width, height = self.window.framebuffer_size()
        for slot in self.slots:  # what the drawables made for the old images (the GPU is idle)
            for obj in slot.shared.values():
                obj.destroy()
            slot.shared = {}
        self.swapchain.create(self.render_pass, width, height, self.vsync)
        device = self.context.device
        for semaphore in self.render_finished:
            vk_destroy("Semaphore", vk.vkDestroySemaphore, device, semaphore, None)
        self.render_finished = [
            vk_create("Semaphore", vk.vkCreateSemaphore, device, vk.VkSemaphoreCreateInfo(), None)
            for _ in self.swapchain.images
        ]
        if self.ui is not None:
            self.ui.set_targets(self.swapchain.views, self.swapchain.extent)
        self._record_all()

    def enable_panel(self) -> None:
        """Make the panel's pass (ui_pass.py) for this window's images: `submit(..., panel=draw_data)` then
        draws ImGui's draw data over the frame."""
        if self.ui is None:
            self.ui = UiPass(
                self.context, self.swapchain.format, len(self.slots), vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR
            )
            self.ui.set_targets(self.swapchain.views, self.swapchain.extent)

    def recreate(self, vsync: bool | None = None) -> bool:
        """Rebuild the swapchain for the window's current size (and vsync). False while the window is 0x0."""
        if vsync is not None:
            self.vsync = vsync
        width, height = self.window.framebuffer_size()
        if width == 0 or height == 0:
            return False
        self.wait_all()
        self._create_swapchain()
        return True

    def set_drawables(self, drawables: list) -> None:
        self.wait_all()
        self.drawables = list(drawables)
        self.timeline.forget_spans()
        self._record_all()

    def _record_all(self) -> None:
        old, self.cbs, self._submit_infos = list(self.cbs.values()), {}, {}
        it = iter(self.renew_command_buffers(old, len(self.slots) * len(self.swapchain.images)))
        for slot in self.slots:
            for image in range(len(self.swapchain.framebuffers)):
                self._record(slot, image, next(it))

    def _record(self, slot: WindowSlot, image: int, cb) -> None:
        """The frame of `slot` into swapchain image `image`, recorded into `cb`."""
        vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
        timeline = self.timeline
        with timeline.recording(slot.index):
            stages = record_ordered_draws(
                cb,
                slot.event,
                self.render_pass,
                self.swapchain.framebuffers[image],
                self.swapchain.target(image, slot.shared),
                self.clear_color,
                self.drawables,
                slot.index,
                timeline,
            )
            with timeline.span(cb, slot.index, "present"):  # what is left of the frame before its present
                slot.event.record_reset(cb, stages | COMPUTE)
        vk.vkEndCommandBuffer(cb)
        self.cbs[(slot.index, image)] = cb
        self._recorded[(slot.index, image)] = self.recorded_state()
        self._submit_infos[(slot.index, image)] = self._submit_info(slot, image, [cb])

    def _submit_info(self, slot: WindowSlot, image: int, cbs: list):
        """Run `cbs` once the slot's swapchain image is available; signal the image's render-finished."""
        return vk.VkSubmitInfo(
            pWaitSemaphores=[slot.image_available],
            pWaitDstStageMask=[vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT],
            pCommandBuffers=cbs,
            pSignalSemaphores=[self.render_finished[image]],
        )

    # -- per frame

    def begin(self, frame: int) -> tuple[WindowSlot, int] | None:
        """Wait for the frame's slot, acquire an image. None when the swapchain had to be rebuilt first."""
        slot, _ = self.start_slot(frame)
        if self.swapchain.needs_recreate and not self.recreate():
            return None
        index = self.swapchain.acquire(slot.image_available)
        if index is None:
            self.recreate()
            return None
        return slot, index

    def submit(
        self, slot: WindowSlot, index: int, capture: bool = False, panel=None, capture_panel: bool = False
    ) -> np.ndarray | None:
        """After the frame's launches: flush Taichi, submit the frame's command buffer, then the panel's if
        `panel` (ImGui's draw data) is given, and present. With `capture`, this frame's image is also copied out
        and returned (HxWx4 RGBA; waits for the frame): the scene alone, or with the panel if `capture_panel`."""
        if (
            self._recorded[(slot.index, index)] != self.recorded_state()
        ):  # a new background, count...: record again
            (new,) = self.renew_command_buffers([self.cbs[(slot.index, index)]], 1)
            self._record(slot, index, new)
        info = self._submit_infos[(slot.index, index)]
        readback = copy_cb = None
        if capture:
            readback, copy_cb = self._record_copy(index)
        if panel is not None or capture:
            cbs = [self.cbs[(slot.index, index)]]
            if copy_cb is not None and not capture_panel:
                cbs.append(copy_cb)
            if panel is not None:
                self.ui.update_textures(panel)
                cbs.append(self.ui.record(slot.index, index, panel, self.timeline))
            if copy_cb is not None and capture_panel:
                cbs.append(copy_cb)
            info = self._submit_info(slot, index, cbs)
        self.submit_slot(slot, info, self.submitted)
        self.swapchain.present(self.context.queue, index, self.render_finished[index])
        self.reclaim()  # Taichi frees what it submitted only here (see target.py)
        if not capture:
            return None
        try:
            self.wait_slot(slot)
            width, height = self.swapchain.extent
            pixels = readback.read(np.uint8).reshape(height, width, 4)
        finally:
            vk.vkFreeCommandBuffers(self.context.device, self.pool, 1, [copy_cb])
            readback.destroy()
        if self.swapchain.format == vk.VK_FORMAT_B8G8R8A8_UNORM:
            pixels = pixels[..., [2, 1, 0, 3]]
        return np.ascontiguousarray(pixels)

    def _record_copy(self, index: int):
        """A one-off command buffer that copies swapchain image `index` to a new host buffer, submitted after the
        frame's (the image is ours until the present, so no hazard against the presentation engine)."""
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
        # after the render passes' final layout changes (their external dependencies' TRANSFER scope) and
        # whatever the drawables wrote after the scene's pass
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
        vk.vkEndCommandBuffer(cb)
        return readback, cb

    def wait_all(self) -> None:
        """Every frame in flight, then the device idle (the presentation engine's use of the swapchain):
        swapchain recreation, new drawables and shutdown only."""
        super().wait_all()
        self.calls.vkDeviceWaitIdle(self.context)

    def destroy(self) -> None:
        device = self.context.device
        if device is None:
            return
        if self.ui is not None:
            self.ui.destroy()
            self.ui = None
        self.destroy_slots(device)
        for semaphore in self.render_finished:
            vk_destroy("Semaphore", vk.vkDestroySemaphore, device, semaphore, None)
        self.render_finished = []
        if self.swapchain is not None:
            self.swapchain.destroy()
            self.swapchain = None
        if self.surface is not None:
            self.surface.destroy()
            self.surface = None
        if self.render_pass is not None:
            self.render_pass.destroy()
            self.render_pass = None
