"""Frames in flight for a window: acquire, the ordered draws, present; swapchain recreation; screenshots.

Each frame in flight (slot) has a fence, an image-available semaphore and an event; each swapchain image has
a render-finished semaphore. One command buffer per (slot, swapchain image) is recorded when the swapchain or
the drawables change, never per frame; its body is `offscreen.record_ordered_draws` (event set, wait before the
draws, the drawables' work before the pass, render pass, their work after it) then the barrier and event
reset; its VkSubmitInfo is made with it. The host waits on a slot's fence only when it reuses the slot, so
the kernels of frame i+1 run while frame i is presented. `vkDeviceWaitIdle` happens only at recreation, a
change of drawables and shutdown; a screenshot waits for its own frame's fence.

Video (`start_video`): each slot gets a readback buffer and each (slot, swapchain image) a small command buffer
that copies the presented image into it; a frame's submission lists it after the scene's command buffer (the
panel excluded) or after everything drawn over the scene (`include_overlay`). The host reads the buffer when
it next waits on the slot's fence anyway (the frame `frames_in_flight` later, a rebuild, the end): no extra
wait. A scaled screenshot (`render_still`) draws the same drawables into an offscreen image of any size.
"""

from __future__ import annotations

import numpy as np

from ..compute.events import Event
from ..device import vk
from ..device.handles import create_command_pool, vk_create, vk_destroy
from ..device.memory import Buffer, Image, layout_barrier, pipeline_barrier
from ..device.pipelines import create_depth_image, create_framebuffer, create_render_pass
from ..draw.base import RenderTarget
from ..errors import RendererError
from .offscreen import COMPUTE, record_copy_to_host, record_ordered_draws
from .swapchain import PRESENT_MODE_NAMES, Surface, Swapchain
from .target import FrameSlot, FrameTarget, Released
from .timeline import Timeline
from .ui_pass import UiPass


class WindowSlot(FrameSlot):
    def __init__(self, context, runtime, index: int):
        device = context.device
        self.image_available = self.event = None
        self.video: Buffer | None = None  # the video's readback buffer (WindowFrames.start_video)
        self.video_extent: tuple[int, int] | None = None  # of the frame in it, until the host reads it
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
        if self.video is not None:
            self.video.destroy()
            self.video = None
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
        self.video_sink = None  # while recording: called with each frame's pixels (start_video)
        self.video_overlay = False  # the video shows the panel too
        self._video_cbs: dict = {}  # (slot, swapchain image) -> the command buffer copying it for the video
        self._still_pass = self._still_timeline = None  # render_still's, made on first use
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
        if self.video_sink is not None:
            self._record_video()

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
        """Run `cbs`, then the timeline's closing copy, once the slot's swapchain image is available; signal the
        image's render-finished."""
        return vk.VkSubmitInfo(
            pWaitSemaphores=[slot.image_available],
            pWaitDstStageMask=[vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT],
            pCommandBuffers=[*cbs, *self.timeline.closing(slot.index)],
            pSignalSemaphores=[self.render_finished[image]],
        )

    # -- video

    def start_video(self, sink, include_overlay: bool = False) -> None:
        """From the next frame submitted with `video=True`, copy each frame out for `sink(pixels)`: an HxWx4
        uint8 view in the swapchain's channel order (`video_pixel_format`), valid only during the call, given
        when the host next waits on the frame's slot (frames in flight later, at a rebuild, or stop_video)."""
        if not self.swapchain.can_screenshot:
            raise RendererError("this surface's images cannot be copied (no TRANSFER_SRC usage): no video")
        self.video_sink, self.video_overlay = sink, include_overlay
        self._record_video()

    def stop_video(self) -> None:
        """Hand the frames still in flight to the sink, then release the video's buffers and command buffers."""
        if self.video_sink is None:
            return
        try:
            self.wait_all()
        finally:
            self.video_sink = None
            try:  # after a failure above: no frame in flight may still copy into what is released next
                self.wait_all()
            finally:
                self._release_video()

    @property
    def video_pixel_format(self) -> str:
        """The channel order of the video's pixels, as ffmpeg names it."""
        return "bgra" if self.swapchain.format == vk.VK_FORMAT_B8G8R8A8_UNORM else "rgba"

    def _release_video(self) -> None:
        cbs = list(self._video_cbs.values())
        if cbs and self.pool is not None:
            vk.vkFreeCommandBuffers(self.context.device, self.pool, len(cbs), cbs)
        self._video_cbs = {}
        for slot in self.slots:
            if slot.video is not None:
                slot.video.destroy()
            slot.video, slot.video_extent = None, None

    def _record_video(self) -> None:
        """Each slot's readback buffer for the swapchain's size, and the copy of each (slot, image) (the slots
        are idle: at start, or at a rebuild after wait_all)."""
        self._release_video()
        width, height = self.swapchain.extent
        keys = [(slot, image) for slot in self.slots for image in range(len(self.swapchain.images))]
        for slot in self.slots:
            slot.video = Buffer(
                self.context,
                width * height * 4,
                vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                host=True,
                name=f"video readback {slot.index}",
                lower="make the window smaller",
            )
        for (slot, image), cb in zip(keys, self.renew_command_buffers([], len(keys)), strict=True):
            vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
            self._record_copy_out(cb, image, slot.video)
            vk.vkEndCommandBuffer(cb)
            self._video_cbs[(slot.index, image)] = cb

    def wait_slot(self, slot: WindowSlot) -> int | None:
        """FrameTarget's wait, then the slot's video frame (if it has one) to the sink."""
        frame = super().wait_slot(slot)
        if slot.video_extent is not None:
            width, height = slot.video_extent
            slot.video_extent = None
            if self.video_sink is not None:
                self.video_sink(slot.video.view(np.uint8)[: width * height * 4].reshape(height, width, 4))
        return frame

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
        self,
        slot: WindowSlot,
        index: int,
        capture: bool = False,
        panel=None,
        capture_panel: bool = False,
        video: bool = False,
    ) -> np.ndarray | None:
        """After the frame's launches: flush Taichi, submit the frame's command buffer, then the panel's if
        `panel` (ImGui's draw data) is given, and present. With `capture`, this frame's image is also copied out
        and returned (HxWx4 RGBA; waits for the frame): the scene alone, or with the panel if `capture_panel`.
        With `video` (after start_video), it is copied for the video sink too (the panel in it if the video's
        `include_overlay`)."""
        key = (slot.index, index)
        if self._recorded[key] != self.recorded_state():  # a new background, count...: record again
            (new,) = self.renew_command_buffers([self.cbs[key]], 1)
            self._record(slot, index, new)
        video = video and self.video_sink is not None
        readback = copy_cb = None
        if capture:
            readback, copy_cb = self._record_copy(index)
        info = self._submit_infos[key]
        if panel is not None or capture or video:
            # the copies of the scene alone, what is drawn over it, then the copies with it
            under = [copy_cb] if capture and not capture_panel else []
            over = [copy_cb] if capture and capture_panel else []
            if video:
                (over if self.video_overlay else under).append(self._video_cbs[key])
            cbs = [self.cbs[key], *under]
            if panel is not None:
                self.ui.update_textures(panel)
                cbs.append(self.ui.record(slot.index, index, panel, self.timeline))
            info = self._submit_info(slot, index, cbs + over)
        self.submit_slot(slot, info, self.submitted)
        if video:
            slot.video_extent = self.swapchain.extent
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
        frame's."""
        if not self.swapchain.can_screenshot:
            raise RendererError("this surface's images cannot be copied (no TRANSFER_SRC usage)")
        width, height = self.swapchain.extent
        readback = Buffer(
            self.context,
            width * height * 4,
            vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
            host=True,
            name="screenshot",
        )
        (cb,) = self.renew_command_buffers([], 1)
        vk.vkBeginCommandBuffer(
            cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
        )
        self._record_copy_out(cb, index, readback)
        vk.vkEndCommandBuffer(cb)
        return readback, cb

    def render_still(self, slot: WindowSlot, width: int, height: int) -> np.ndarray:
        """The frame drawn again, offscreen at `width` x `height`, from `slot` (its uniforms the caller wrote
        for that size; waits for the slot first, and for this render): HxWx4 RGBA. The drawables are the
        window's: the image has the swapchain's format, so their pipelines fit this render pass.
        OutOfMemoryError if the image is too large for the device."""
        self.wait_slot(slot)
        context, device, fmt = self.context, self.context.device, self.swapchain.format
        if self._still_pass is None:
            self._still_pass = create_render_pass(device, fmt, vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL)
        features = vk.vkGetPhysicalDeviceFormatProperties(context.physical_device, fmt)
        storage = bool(features.optimalTilingFeatures & vk.VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT)
        usage = vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT
        usage |= vk.VK_IMAGE_USAGE_STORAGE_BIT if storage else 0  # compute may write it (point_splat.py)
        lower = f"lower the screenshot scale ({width}x{height} asked)"
        made: list = []  # what to release, last made first
        framebuffer = cb = None
        try:
            color = Image(context, width, height, fmt, usage, name="screenshot colour", lower=lower)
            made.append(color)
            depth = create_depth_image(
                context,
                width,
                height,
                "screenshot depth",
                lower,
            )
            made.append(depth)
            readback = Buffer(
                context, width * height * 4, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="screenshot"
            )
            made.append(readback)
            framebuffer = create_framebuffer(
                device, self._still_pass, [color.view, depth.view], width, height
            )
            layout = vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL
            per_slot: dict = {}  # the drawables' buffers for this size (the slot's own fit the window)
            made.append(Released(per_slot))
            target = RenderTarget(
                color.handle, color.view, depth.handle, depth.view, width, height, layout, storage, per_slot
            )
            (cb,) = self.renew_command_buffers([], 1)
            vk.vkBeginCommandBuffer(
                cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
            )
            if (
                self._still_timeline is None
            ):  # a still is not a frame of the timeline: its spans are not timed
                self._still_timeline = Timeline(
                    context, self.runtime, len(self.slots), self.calls, enabled=False
                )
            stages = record_ordered_draws(
                cb,
                slot.event,
                self._still_pass,
                framebuffer,
                target,
                self.clear_color,
                self.drawables,
                slot.index,
                self._still_timeline,
            )
            record_copy_to_host(cb, color.handle, readback, width, height)
            slot.event.record_reset(cb, stages | COMPUTE)
            vk.vkEndCommandBuffer(cb)
            self._still_info = vk.VkSubmitInfo(pCommandBuffers=[cb])  # alive until the wait
            self.submit_slot(slot, self._still_info, self.submitted)
            self.wait_slot(slot)
            pixels = readback.view(np.uint8).reshape(height, width, 4)
            bgra = fmt == vk.VK_FORMAT_B8G8R8A8_UNORM
            pixels = pixels[..., [2, 1, 0, 3]] if bgra else pixels.copy()  # a copy either way
        finally:
            if cb is not None:
                vk.vkFreeCommandBuffers(device, self.pool, 1, [cb])
            if framebuffer is not None:
                vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, device, framebuffer, None)
            for obj in reversed(made):
                obj.destroy()
        return pixels

    def _record_copy_out(self, cb, index: int, buffer: Buffer) -> None:
        """Copy swapchain image `index` into the host `buffer` before it is presented (the image is ours until
        the present, so no hazard against the presentation engine)."""
        image = self.swapchain.images[index]
        width, height = self.swapchain.extent

        def transition(old, new, src_access, dst_access, src_stage, dst_stage):
            pipeline_barrier(
                cb, src_stage, dst_stage, images=[layout_barrier(image, old, new, src_access, dst_access)]
            )

        # after the render pass's final layout change (its external dependency's TRANSFER | COMPUTE scope),
        # whatever the drawables wrote after the pass, and what earlier command buffers of the frame drew
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
        record_copy_to_host(cb, image, buffer, width, height)
        transition(
            vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            vk.VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
            0,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
        )

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
        for name in ("render_pass", "_still_pass"):
            render_pass = getattr(self, name)
            if render_pass is not None:
                render_pass.destroy()
                setattr(self, name, None)
