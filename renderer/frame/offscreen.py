"""Offscreen frames in flight: render targets, command buffers recorded once, the event wait, and readback.

Each frame in flight (a "slot") has its own colour and depth image, readback buffer, command buffer, fence and
event. The slot's command buffer is recorded once:

    vkCmdSetEvent(event, COMPUTE_SHADER)          first scope: everything submitted before, Taichi's work too
    vkCmdWaitEvents(event, COMPUTE_SHADER -> the draws' stages, buffer barriers SHADER_WRITE -> their reads)
    clear (CLEAR_BEFORE): on a GPU the colour by a compute shader (the render pass loads it, clears the depth),
        on a CPU driver colour and depth by transfer commands (the render pass loads both)
    the drawables' work before the pass (the particles' splatting compute pass)
    (on a CPU driver, where the depth's clear could hang on that work but does not: the depth's transfer clear)
    render pass: the drawables' draws (colour and depth cleared by it, or loaded as cleared before it; where
        the only draws are splatted ones' large particles or triangles, the depth loaded and cleared only if a
        SPLAT listed any, by conditional rendering on their shared count: SKIP_EMPTY_DEPTH_CLEAR)
    the drawables' work after the pass (the splatted particles' shading into the colour image)
    copy colour image -> readback buffer; barrier TRANSFER_WRITE -> HOST_READ (on a CPU driver the colour
        image is itself linear host memory, read in place: only the barrier -> HOST_READ)
    barrier(draw stages | COMPUTE_SHADER -> COMPUTE_SHADER)   the next kernels' writes wait for these reads
    vkCmdResetEvent(event, COMPUTE_SHADER)

The frame's GPU timeline (timeline.py) adds timestamps: the end of `kernels` after the wait, one pair around the
render pass and one around the readback (the drawables add theirs), and its first timestamp goes first in
Taichi's submission of the frame's launches.

`submit()` flushes the runtime (so Taichi's launches precede the set on the queue) and submits with the slot's
fence; the host waits on a fence only when it reuses that slot, F frames later, and then reads that frame's
pixels while the GPU renders the newer ones. No ti_wait, vkQueueWaitIdle or vkDeviceWaitIdle per frame.

One exception, by necessity: a `ti_wait` every `reclaim_interval` frames (or `reclaim_launches` launches), so
that Taichi frees what it submitted (target.py).
"""

from __future__ import annotations

import functools

import numpy as np

from ..compute.events import Event
from ..device import shaders, vk
from ..device.handles import create_command_pool, vk_destroy
from ..device.memory import Buffer, Image, copy_region, layout_barrier, pipeline_barrier, run_once
from ..device.pipelines import (
    CLEARS,
    COLOR_FORMAT,
    DEPTH_AFTER_PASS,
    create_compute_pipeline,
    create_depth_image,
    create_framebuffer,
    create_render_pass,
    push_descriptor_command,
    push_set_layout,
)
from ..draw.base import RenderTarget
from ..draw.transparency import record_transparent_pass
from ..errors import OutOfMemoryError, RendererError
from .target import (
    FrameSlot,
    FrameTarget,
)

COMPUTE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
# What clears offscreen frames, per kind of device (pipelines.CLEARS): "pass" (the render pass's loadOp CLEAR),
# "transfer" (colour and depth by transfer commands before a pass that loads them) or "compute" (colour by a
# compute shader before the pass, which loads it and clears the depth). CLEAR_BEFORE_PASS, where set to one of
# them, overrides it (benchmarks and tests compare them; the image is the same). Measured at 1280x720: on
# lavapipe the pass's clear fills each 64x64 tile's rows (short fills) and the transfer clear whole rows (clear
# and pass 0.29 against 0.44 ms at 10k particles); the H100 clears an image through its graphics units, in the
# pass (~0.066 ms an attachment) or by transfer (0.070 ms), where a buffer fill as large takes 0.004 ms
# (bench/h100/clear_probe.txt): a compute shader writes the colour at about a fill's cost.
CLEAR_BEFORE = {"CPU": "transfer", "GPU": "compute"}
CLEAR_BEFORE_PASS: str | None = None
# VK_FORMAT_FEATURE_TRANSFER_DST_BIT (Vulkan 1.1), which the `vulkan` package lacks: its FEATURE_2 twin's bit
TRANSFER_DST_FEATURE = vk.VK_FORMAT_FEATURE_2_TRANSFER_DST_BIT
# Where the device has conditional rendering and every draw of the frame is opaque and draws in the render pass
# only what its GPU work counted in one count they share (splatted draws' large particles or triangles;
# Drawable.pass_predicate), the pass loads the depth and clears it only if that count is not 0: on the H100 the
# pass's depth clear is ~0.066 ms of every frame, on lavapipe ~0.1 ms. False leaves the depth cleared every
# frame (tests compare both). (On the H100 frames with and without it differed in a pixel now and then, and so
# do two runs of the same frames without it: large particles' sprites at equal depths, drawn in the order SPLAT
# listed them, which a GPU's atomics decide; the first drawn wins a tie.)
SKIP_EMPTY_DEPTH_CLEAR = True
CLEAR_WORKGROUP = 16  # local_size_x and _y of clear.comp
CLEAR_BINDINGS = {0: vk.VK_DESCRIPTOR_TYPE_STORAGE_IMAGE}  # the frame's colour, pushed


def clear_mode(context, in_place: bool) -> str:
    """What clears this device's offscreen frames (CLEAR_BEFORE, or CLEAR_BEFORE_PASS where set); "pass" where
    the device cannot: a transfer clear of a linear (in-place) colour image needs the format's linear transfer
    writes, the compute clear push descriptors."""
    mode = CLEAR_BEFORE_PASS or CLEAR_BEFORE["CPU" if context.device_type == "CPU" else "GPU"]
    if mode not in CLEARS:
        raise RendererError(f"CLEAR_BEFORE_PASS must be one of {CLEARS} or None, not {mode!r}")
    if mode == "transfer" and in_place:
        props = vk.vkGetPhysicalDeviceFormatProperties(context.physical_device, COLOR_FORMAT)
        return mode if props.linearTilingFeatures & TRANSFER_DST_FEATURE else "pass"
    if mode == "compute" and not context.enabled_features.get("pushDescriptor"):
        return "pass"
    return mode


def record_kernel_wait(cb, event, drawables) -> int:
    """Wait on `event` (set after the kernels' submission) for the reads of `drawables` that kernels write
    (their `reads()`); the stages they read in."""
    draw_stages = 0
    buffer_barriers, image_barriers = [], []
    for drawable in drawables:
        for resource, stage, access in drawable.reads():
            draw_stages |= stage
            if isinstance(resource, Image):  # kernels write images in GENERAL layout; shaders sample it there
                general = vk.VK_IMAGE_LAYOUT_GENERAL
                image_barriers.append(
                    layout_barrier(
                        resource.handle,
                        general,
                        general,
                        vk.VK_ACCESS_SHADER_WRITE_BIT,
                        access,
                        resource.aspect,
                    )
                )
                continue
            buffer_barriers.append(
                vk.VkBufferMemoryBarrier(
                    srcAccessMask=vk.VK_ACCESS_SHADER_WRITE_BIT,
                    dstAccessMask=access,
                    srcQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
                    dstQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
                    buffer=resource.handle,
                    offset=0,
                    size=resource.size,
                )
            )
    draw_stages = draw_stages or vk.VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT
    event.record_wait(cb, draw_stages, buffer_barriers=buffer_barriers, image_barriers=image_barriers)
    return draw_stages


def record_clears(cb, target, clear_color, depth: bool = True) -> None:
    """Clear the frame's colour (to `clear_color`; None: not) and, with `depth`, its depth (to 1) with transfer
    commands, after the previous frame's uses of them (the pass's writes, the drawables' compute passes after
    it, the copy that read the colour back), leaving them in TRANSFER_DST_OPTIMAL for a render pass that loads
    them."""
    dst, write = vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, vk.VK_ACCESS_TRANSFER_WRITE_BIT
    depth_aspect = vk.VK_IMAGE_ASPECT_DEPTH_BIT
    earlier_color = vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
    earlier_depth = vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT
    undefined = vk.VK_IMAGE_LAYOUT_UNDEFINED
    to_clear = []
    if clear_color is not None:
        to_clear.append(layout_barrier(target.color, undefined, dst, earlier_color, write))
    if depth:
        to_clear.append(layout_barrier(target.depth, undefined, dst, earlier_depth, write, depth_aspect))
    earlier_stages = (
        vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
        | vk.VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT
        | vk.VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT
        | COMPUTE
        | vk.VK_PIPELINE_STAGE_TRANSFER_BIT
    )
    pipeline_barrier(cb, earlier_stages, vk.VK_PIPELINE_STAGE_TRANSFER_BIT, images=to_clear)
    if clear_color is not None:
        color = vk.VkClearColorValue(float32=list(clear_color))
        vk.vkCmdClearColorImage(cb, target.color, dst, color, 1, [to_clear[0].subresourceRange])
    if depth:
        far = vk.VkClearDepthStencilValue(depth=1.0, stencil=0)
        vk.vkCmdClearDepthStencilImage(cb, target.depth, dst, far, 1, [to_clear[-1].subresourceRange])


@functools.cache
def clear_spirv() -> bytes:
    return shaders.load_builtin("clear.comp")


def compute_clear_pipeline(device, render_pass) -> tuple:
    """(pipeline, layout) of clear.comp, the render pass's (made once, destroyed with it)."""
    stage = vk.VK_SHADER_STAGE_COMPUTE_BIT
    set_layout = push_set_layout(device, render_pass, "frame clear", CLEAR_BINDINGS, stage)
    return create_compute_pipeline(device, render_pass, [set_layout], "frame clear", clear_spirv(), 16)


def record_compute_clear(cb, render_pass, target, clear_color) -> None:
    """Clear the frame's colour (to `clear_color`) with clear.comp, after the previous frame's uses of it (the
    pass's writes, the drawables' compute passes after it, the copy that read it back), leaving it in GENERAL
    for a render pass that loads it; the pass's first dependency orders the write before its load."""
    device = render_pass.device
    pipeline, layout = compute_clear_pipeline(device, render_pass)
    earlier = vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | COMPUTE | vk.VK_PIPELINE_STAGE_TRANSFER_BIT
    general = vk.VK_IMAGE_LAYOUT_GENERAL
    earlier_writes = vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
    # from UNDEFINED: every pixel is written
    to_clear = layout_barrier(
        target.color, vk.VK_IMAGE_LAYOUT_UNDEFINED, general, earlier_writes, vk.VK_ACCESS_SHADER_WRITE_BIT
    )
    pipeline_barrier(cb, earlier, COMPUTE, images=[to_clear])
    bind = vk.VK_PIPELINE_BIND_POINT_COMPUTE
    vk.vkCmdBindPipeline(cb, bind, pipeline)
    image = vk.VkDescriptorImageInfo(imageView=target.color_view, imageLayout=general)
    write = vk.VkWriteDescriptorSet(
        dstBinding=0, descriptorCount=1, descriptorType=CLEAR_BINDINGS[0], pImageInfo=[image]
    )
    push_descriptor_command(device)(cb, bind, layout, 0, 1, [write])
    color = np.array(clear_color, dtype=np.float32)
    vk.vkCmdPushConstants(cb, layout, vk.VK_SHADER_STAGE_COMPUTE_BIT, 0, 16, vk.ffi.from_buffer(color))
    groups = -(-target.width // CLEAR_WORKGROUP), -(-target.height // CLEAR_WORKGROUP)
    vk.vkCmdDispatch(cb, *groups, 1)


def pass_predicate(drawables, slot: int, target):
    """After the drawables' work before the pass: where every draw of the frame is opaque and draws in the render
    pass only what that work counted in one count (Drawable.pass_predicate), that count: the pass then clears
    the depth only if it is not 0; else None. (A transparent draw is tested against the depth the opaque pass
    leaves.)"""
    if not drawables or any(d.transparent for d in drawables):
        return None
    counts = {d.pass_predicate(slot, target) for d in drawables}
    return counts.pop() if len(counts) == 1 else None  # {None} gives None too


def record_depth_clear_if(cb, device, predicate, area) -> None:
    """Inside the render pass: the depth cleared to 1 if the count at `predicate` (buffer, offset) is not 0
    (VK_EXT_conditional_rendering). Otherwise the pass draws nothing, and its depth, which it loaded, is stale:
    the splatted draws' shading after the pass knows it (RenderTarget.depth_if_drawn)."""
    buffer, offset = predicate
    begin = vk.vkGetDeviceProcAddr(device, "vkCmdBeginConditionalRenderingEXT")
    end = vk.vkGetDeviceProcAddr(device, "vkCmdEndConditionalRenderingEXT")
    begin(cb, vk.VkConditionalRenderingBeginInfoEXT(buffer=buffer.handle, offset=offset, flags=0))
    far = vk.VkClearValue(depthStencil=vk.VkClearDepthStencilValue(depth=1.0, stencil=0))
    attachment = vk.VkClearAttachment(aspectMask=vk.VK_IMAGE_ASPECT_DEPTH_BIT, clearValue=far)
    vk.vkCmdClearAttachments(
        cb, 1, [attachment], 1, [vk.VkClearRect(rect=area, baseArrayLayer=0, layerCount=1)]
    )
    end(cb)


def record_ordered_draws(
    cb,
    event,
    render_pass,
    framebuffer,
    target,
    clear_color,
    drawables,
    slot,
    timeline,
    depth_loaded_pass=None,
) -> int:
    """Record: set the event (covers Taichi's earlier submission), wait on it for the draws' reads (the end of
    the timeline's `kernels`), what the drawables do before the render pass (compute), the render pass with the
    opaque drawables, what they do after it, then, if any drawable is transparent, the transparent pass
    (draw/transparency.py); the drawables name their spans with `target.span`. `depth_loaded_pass`: the render
    pass's variant that loads the depth (where the device has conditional rendering), begun instead where the
    drawables' work named a `pass_predicate` that says whether to clear it. Returns the stages the draws read
    in, for the caller's closing barrier and event reset."""
    target.timeline, target.slot = timeline, slot
    # exactly an 8-bit value: drivers round one between two differently (0.5: NVIDIA 127, lavapipe 128)
    clear_color = tuple(round(255 * c) / 255 for c in clear_color)
    event.record_signal(cb)
    draw_stages = record_kernel_wait(cb, event, drawables)
    transparent = [d for d in drawables if d.transparent]
    target.transparent = bool(transparent)
    timeline.record_kernels_end(cb, slot)
    # the depth's clear may hang on what the drawables' work counts (pass_predicate, asked after that work)
    may_skip_depth = depth_loaded_pass is not None and not transparent
    transfer = render_pass.cleared_before == "transfer"
    if render_pass.cleared_before != "pass":  # before the drawables' compute passes, which need neither image
        with timeline.span(cb, slot, "clear"):
            if transfer:
                record_clears(cb, target, clear_color, depth=not may_skip_depth)
            else:
                record_compute_clear(cb, render_pass, target, clear_color)
    for drawable in drawables:
        drawable.record_before_pass(cb, slot, target)
    predicate = pass_predicate(drawables, slot, target) if may_skip_depth else None
    target.depth_if_drawn = predicate is not None
    if transfer and may_skip_depth and predicate is None:
        with timeline.span(cb, slot, "clear"):
            record_clears(cb, target, None, depth=True)
    width, height = target.width, target.height
    clear = [
        vk.VkClearValue(color=vk.VkClearColorValue(float32=list(clear_color))),
        vk.VkClearValue(depthStencil=vk.VkClearDepthStencilValue(depth=1.0, stencil=0)),
    ]
    area = vk.VkRect2D(vk.VkOffset2D(0, 0), vk.VkExtent2D(width, height))
    begun = render_pass if predicate is None else depth_loaded_pass
    begin = vk.VkRenderPassBeginInfo(
        renderPass=begun.handle, framebuffer=framebuffer, renderArea=area, pClearValues=clear
    )
    with timeline.span(cb, slot, "render pass"):
        vk.vkCmdBeginRenderPass(cb, begin, vk.VK_SUBPASS_CONTENTS_INLINE)
        if predicate is not None:
            record_depth_clear_if(cb, render_pass.device, predicate, area)
        vk.vkCmdSetViewport(cb, 0, 1, [vk.VkViewport(0, 0, width, height, 0.0, 1.0)])
        vk.vkCmdSetScissor(cb, 0, 1, [area])
        for drawable in drawables:
            if not drawable.transparent:
                drawable.record(cb, slot)
        vk.vkCmdEndRenderPass(cb)
    for drawable in drawables:
        drawable.record_after_pass(cb, slot, target)
    if transparent:
        with timeline.span(cb, slot, "transparent"):
            record_transparent_pass(cb, transparent[0].context, render_pass, target, transparent, slot)
    return draw_stages


def in_place_readback(context) -> bool:
    """Whether frames are read straight from their colour images: on a CPU driver, where a linear image in
    host memory renders as fast as any (lavapipe: the copy cost ~0.6 ms of CPU a 1280x720 frame), and the
    format allows linear colour attachments and storage images."""
    if context.device_type != "CPU":
        return False
    props = vk.vkGetPhysicalDeviceFormatProperties(context.physical_device, COLOR_FORMAT)
    needed = vk.VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT | vk.VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT
    return props.linearTilingFeatures & needed == needed


def record_host_read(cb, image) -> None:
    """Make the frame's writes to a host colour image (in GENERAL layout) visible to the host's reads."""
    barrier = layout_barrier(
        image,
        vk.VK_IMAGE_LAYOUT_GENERAL,
        vk.VK_IMAGE_LAYOUT_GENERAL,
        vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT,
        vk.VK_ACCESS_HOST_READ_BIT,
    )
    src_stages = vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
    pipeline_barrier(cb, src_stages, vk.VK_PIPELINE_STAGE_HOST_BIT, images=[barrier])


def record_copy_to_host(cb, image, buffer: Buffer, width: int, height: int) -> None:
    """Copy a colour image in TRANSFER_SRC layout into a host buffer, made visible to the host's reads."""
    region = copy_region(width, height)
    vk.vkCmdCopyImageToBuffer(cb, image, vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer.handle, 1, [region])
    pipeline_barrier(
        cb,
        vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
        vk.VK_PIPELINE_STAGE_HOST_BIT,
        vk.VK_ACCESS_TRANSFER_WRITE_BIT,
        vk.VK_ACCESS_HOST_READ_BIT,
    )


class Slot(FrameSlot):
    """`frame`: the frame number last submitted from this slot, until its pixels are taken."""

    def __init__(self, frames: OffscreenFrames, index: int):
        ctx = frames.context
        lower = f"lower the frame size {frames.width}x{frames.height} (or frames_in_flight)"
        self.color = self.depth = self.readback = self.framebuffer = self.event = None
        cleared = vk.VK_IMAGE_USAGE_TRANSFER_DST_BIT if frames.render_pass.cleared_before == "transfer" else 0
        super().__init__(ctx.device, index)
        try:
            self.color = Image(
                ctx,
                frames.width,
                frames.height,
                COLOR_FORMAT,
                vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT
                | vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT
                | vk.VK_IMAGE_USAGE_STORAGE_BIT  # RGBA8 storage images: every device has them
                | cleared,
                name=f"colour {index}",
                host_owned=frames.in_place,
                lower=lower,
            )
            self.depth = create_depth_image(
                ctx,
                frames.width,
                frames.height,
                f"depth {index}",
                lower,
                vk.VK_IMAGE_USAGE_SAMPLED_BIT | cleared,
            )
            if frames.depth_loaded_pass is not None:  # the layout that pass loads it from, once
                to_loaded = layout_barrier(
                    self.depth.handle, vk.VK_IMAGE_LAYOUT_UNDEFINED, DEPTH_AFTER_PASS, 0, 0, self.depth.aspect
                )
                top, bottom = vk.VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, vk.VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT
                run_once(ctx, lambda cb: pipeline_barrier(cb, top, bottom, images=[to_loaded]))
            # without readback (OffscreenFrames(readback=False)) frames stay on the GPU; read in place, the colour
            # image is the host's copy
            self.readback = None
            if frames.readback and not frames.in_place:
                self.readback = Buffer(
                    ctx,
                    frames.width * frames.height * 4,
                    vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                    host_owned=True,
                    name=f"readback {index}",
                    lower=lower,
                )
            self.framebuffer = create_framebuffer(
                ctx.device,
                frames.render_pass,
                [self.color.view, self.depth.view],
                frames.width,
                frames.height,
            )
            self.event = Event.create(frames.runtime)
            self.cb = None
            self.color_layout = frames.color_layout
        except BaseException:
            self.destroy(ctx.device)  # what was made so far
            raise

    def target(self) -> RenderTarget:
        return RenderTarget(
            self.color.handle,
            self.color.view,
            self.depth.handle,
            self.depth.view,
            self.color.width,
            self.color.height,
            self.color_layout,
            storage=True,
            per_slot=self.shared,
        )

    def destroy(self, device) -> None:
        for obj in (*self.shared.values(), self.event, self.readback, self.depth, self.color):
            if obj is not None:
                obj.destroy()
        self.shared = {}
        if self.framebuffer is not None:
            vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, device, self.framebuffer, None)
            self.framebuffer = None
        self.destroy_fence(device)


class OffscreenFrames(FrameTarget):
    """`frames_in_flight` offscreen frames of `width` x `height`, drawing `drawables`, read back to the host
    (with `readback=False`, not: the frames' pixels are then None). `options`: FrameTarget's (clear_color,
    fence_timeout_s, reclaim_interval, reclaim_launches, and calls: the hook to count or fail the frame loop's
    calls)."""

    def __init__(
        self,
        context,
        runtime,
        width: int,
        height: int,
        *,
        frames_in_flight: int = 2,
        readback: bool = True,
        **options,
    ):
        if frames_in_flight < 1:
            raise RendererError(f"frames_in_flight must be at least 1, not {frames_in_flight}")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            raise RendererError(f"frame size must be positive whole numbers, not {width!r}x{height!r}")
        largest = context.max_image_dimension
        if max(width, height) > largest:
            raise OutOfMemoryError(
                f"a {width}x{height} frame is larger than this device's largest image ({largest} on a side): "
                f"lower the frame size"
            )
        super().__init__(context, runtime, **options)
        self.width, self.height, self.readback = width, height, readback
        self.in_place = readback and in_place_readback(context)
        # where the render pass leaves the colour image: the host reads a linear image in GENERAL layout
        self.color_layout = (
            vk.VK_IMAGE_LAYOUT_GENERAL if self.in_place else vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL
        )
        cleared_before = clear_mode(context, self.in_place)
        self.render_pass = create_render_pass(context.device, COLOR_FORMAT, self.color_layout, cleared_before)
        self.depth_loaded_pass = None  # its variant that loads the depth (record_ordered_draws)
        try:
            if SKIP_EMPTY_DEPTH_CLEAR and context.enabled_features.get("conditionalRendering"):
                self.depth_loaded_pass = create_render_pass(
                    context.device, COLOR_FORMAT, self.color_layout, cleared_before, depth_loaded=True
                )
            if cleared_before == "compute":  # made now: a shader that fails to build fails here
                compute_clear_pipeline(context.device, self.render_pass)
            self.pool = create_command_pool(context)
            for i in range(frames_in_flight):
                self.slots.append(Slot(self, i))
            self.make_timeline()
        except BaseException:
            self.destroy()
            raise

    @property
    def extent(self) -> tuple[int, int]:
        return self.width, self.height

    def set_drawables(self, drawables: list) -> None:
        """What every frame draws; (re)records the slots' command buffers (idle slots only)."""
        self.wait_all()
        self.drawables = list(drawables)
        self.timeline.forget_spans()
        cbs = self.renew_command_buffers([s.cb for s in self.slots if s.cb is not None], len(self.slots))
        for slot, cb in zip(self.slots, cbs, strict=True):
            slot.cb = cb
            self._record(slot)

    def _record(self, slot: Slot) -> None:
        cb, timeline = slot.cb, self.timeline
        slot.recorded = self.recorded_state()
        vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
        with timeline.recording(slot.index):
            draw_stages = record_ordered_draws(
                cb,
                slot.event,
                self.render_pass,
                slot.framebuffer,
                slot.target(),
                self.clear_color,
                self.drawables,
                slot.index,
                timeline,
                self.depth_loaded_pass,
            )
            if self.in_place:
                with timeline.span(cb, slot.index, "readback"):
                    record_host_read(cb, slot.color.handle)
            elif slot.readback is not None:
                with timeline.span(cb, slot.index, "readback"):
                    record_copy_to_host(cb, slot.color.handle, slot.readback, self.width, self.height)
        # The next frame's kernels write what these draws read (WAR), and the event is reset after its wait.
        slot.event.record_reset(cb, draw_stages | COMPUTE)
        vk.vkEndCommandBuffer(cb)
        slot.submit_info = vk.VkSubmitInfo(pCommandBuffers=[cb, *timeline.closing(slot.index)])

    # -- the frame loop

    def acquire(self, frame: int) -> tuple[int | None, np.ndarray | None]:
        """Make the slot for `frame` ready: wait for the frame it last rendered and return (its number, pixels)."""
        slot, done = self.start_slot(frame)
        pixels = None
        if done is not None:
            pixels = self.read_pixels(slot)
        return done, pixels

    def submit(self, frame: int) -> None:
        """Flush Taichi's launches, then submit this frame's command buffer after them."""
        slot = self.slots[frame % len(self.slots)]
        if slot.cb is None:
            raise RendererError("set_drawables() must be called before the first frame")
        if slot.recorded != self.recorded_state():  # a new background, count...: this idle slot records again
            (slot.cb,) = self.renew_command_buffers([slot.cb], 1)
            self._record(slot)
        self.submit_slot(slot, slot.submit_info, frame)
        self.reclaim()

    def uniforms_slot(self, frame: int) -> int:
        return frame % len(self.slots)

    def drain(self):
        """Wait for every frame still in flight; yield (frame, pixels) in frame order."""
        pending = sorted((s for s in self.slots if s.frame is not None), key=lambda s: s.frame)
        for slot in pending:
            frame = self.wait_slot(slot)
            yield frame, self.read_pixels(slot)

    def read_pixels(self, slot: Slot) -> np.ndarray | None:
        """The slot's frame in place (read-only, no copy): rewritten when the slot renders again, that is when
        the frames iterator is advanced, and readable after the frames are destroyed (its memory is Python's,
        memory.py); where the device cannot import host memory, a copy. None without readback."""
        if self.in_place:
            pixels, owned = slot.color.pixels(), slot.color.host_owned
        elif slot.readback is not None:
            pixels = slot.readback.view(np.uint8).reshape(self.height, self.width, 4)
            owned = slot.readback.host_owned
        else:
            return None
        return pixels if owned else pixels.copy()

    def destroy(self) -> None:
        device = self.context.device
        if device is None:
            return
        self.destroy_slots(device)
        for attr in ("render_pass", "depth_loaded_pass"):
            render_pass = getattr(self, attr, None)
            setattr(self, attr, None)
            if render_pass is not None:
                render_pass.destroy()
