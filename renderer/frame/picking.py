"""Picking: which draw and element (particle, triangle, instance) is nearest at one pixel of a frame.

Nothing of it runs per frame: the frames' recorded command buffers stay as they are. On a pick, a one-off
command buffer draws the pickable draws again for the frame's slot (its uniforms: the view of the frame just
submitted) into an R32G32_UINT image of the frame's size, depth tested, each fragment writing (the draw's index
+ 1, the element's index) with the id variants of the draws' shaders (PICK defined: shaders/oit_output.glsl).
The render area and scissor are the one pixel asked, so the rasterizer shades nothing else:

    vkCmdSetEvent / vkCmdWaitEvents            the kernels' writes before the reads, as in a frame (offscreen.py)
    the splatting particle draws' SPLAT pass    into a splat buffer of the pick's own (point_splat.py)
    render pass (1 pixel): the pickable draws   ids and depth
    copy the pixel's id, depth and splat word to a host buffer
    barrier, vkCmdResetEvent                    the next kernels' writes wait for these reads

The host waits for it (a click may wait). Particles the frame splats are picked from the splat buffer, which
holds each pixel's nearest (depth, particle id): where its depth is nearer than the id pass's, its particle
wins, as it would in the frame's shading pass. Custom draws, lines and quads are not pickable
(`Drawable.pick_kind` None); neither is a mesh where the device has no geometry shaders (gl_PrimitiveID).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from ..device import vk
from ..device.handles import hinted, vk_create, vk_destroy
from ..device.memory import Buffer, Image, copy_region, layout_barrier, pipeline_barrier
from ..device.pipelines import DEPTH_AFTER_PASS, create_depth_image, create_framebuffer, create_render_pass
from ..draw.base import RenderTarget
from ..draw.point_splat import SPLAT_BUFFER
from ..errors import ArgumentError
from .offscreen import COMPUTE, record_kernel_wait
from .target import Released

PICK_FORMAT = vk.VK_FORMAT_R32G32_UINT
EMPTY64 = 0xFFFFFFFFFFFFFFFF  # a pixel no particle was splatted into
WAIT_NS = 60 * 10**9
TRANSFER = vk.VK_PIPELINE_STAGE_TRANSFER_BIT


class PixelPick(NamedTuple):
    """What is nearest at a pixel: the draw (its index in the frame's drawables), the element's index in it, and
    the depth there (0 near .. 1 far, the frame's depth)."""

    draw: int
    element: int
    depth: float


def pixel(x, y) -> tuple[int, int]:
    """(`x`, `y`) as Python ints, or ArgumentError: numpy integers too, converted (the splat buffer's offset,
    `tiled`, would overflow in their width); a bool or a float is not a pixel."""
    if not (isinstance(x, (bool, np.bool_)) or isinstance(y, (bool, np.bool_))):
        try:
            return operator.index(x), operator.index(y)
        except TypeError:
            pass
    raise ArgumentError(f"a pick needs whole pixel coordinates, not ({x!r}, {y!r})")


def tiled(x: int, y: int, width: int) -> int:
    """The splat buffer's word for pixel (x, y) (particles_splat.comp's `tiled`: tiles of 32x16 pixels)."""
    return ((y >> 4) * ((width + 31) >> 5) + (x >> 5)) * 512 + (y & 15) * 32 + (x & 31)


class Picker:
    """The id pass of one frame target; its render pass (and with it the id pipelines) is made on the first
    pick and kept until `destroy()`."""

    def __init__(self, context):
        self.context = context
        self.render_pass = None

    def pick(self, frames, slot, x: int, y: int, storage: bool) -> PixelPick | None:
        """The nearest pickable element at pixel (`x`, `y`) of the frame that `slot` rendered last (its
        uniforms), or None; waits for the slot first, then for the pick. `storage`: the frame's colour image
        is a storage image (where the frame splats, so does the pick)."""
        width, height = frames.extent
        x, y = pixel(x, y)
        if not (0 <= x < width and 0 <= y < height):
            raise ArgumentError(f"pixel ({x}, {y}) is outside the {width}x{height} frame")
        frames.wait_slot(slot)
        pickable = [(i, d) for i, d in enumerate(frames.drawables) if d.pick_kind is not None]
        if not pickable:
            return None
        context, device = self.context, self.context.device
        if self.render_pass is None:
            self.render_pass = create_render_pass(
                device, PICK_FORMAT, vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL
            )
        lower = f"make the window smaller than {width}x{height}"
        made: list = []  # what to release, last made first
        framebuffer = cb = fence = None
        try:
            ids = Image(
                context,
                width,
                height,
                PICK_FORMAT,
                vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                name="pick ids",
                lower=lower,
            )
            made.append(ids)
            depth = create_depth_image(
                context,
                width,
                height,
                "pick depth",
                lower,
                usage=vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
            )
            made.append(depth)
            host = Buffer(context, 24, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="pick readback")
            made.append(host)
            framebuffer = create_framebuffer(device, self.render_pass, [ids.view, depth.view], width, height)
            per_slot: dict = {}  # the pick's own splat buffer
            made.append(Released(per_slot))
            target = RenderTarget(
                ids.handle,
                ids.view,
                depth.handle,
                depth.view,
                width,
                height,
                vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                storage,
                per_slot,
                transparent=any(d.transparent for d in frames.drawables),  # as the frame: then no splat
            )
            (cb,) = frames.renew_command_buffers([], 1)
            vk.vkBeginCommandBuffer(
                cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
            )
            stages = self._record(cb, slot, framebuffer, target, pickable, x, y, ids, depth, host)
            slot.event.record_reset(cb, stages | COMPUTE | TRANSFER)
            vk.vkEndCommandBuffer(cb)
            frames.runtime.flush()  # Taichi's launches so far go first (the event's first scope)
            fence = vk_create("Fence", vk.vkCreateFence, device, vk.VkFenceCreateInfo(), None)
            submit = vk.VkSubmitInfo(pCommandBuffers=[cb])
            vk.vkQueueSubmit(context.queue, 1, [submit], fence)
            hinted(
                "the pick did not finish within 60 s", vk.vkWaitForFences, device, 1, [fence], True, WAIT_NS
            )
            raw = host.read(np.uint8)
        finally:
            if fence is not None:
                vk_destroy("Fence", vk.vkDestroyFence, device, fence, None)
            if cb is not None:
                vk.vkFreeCommandBuffers(device, frames.pool, 1, [cb])
            if framebuffer is not None:
                vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, device, framebuffer, None)
            for obj in reversed(made):
                obj.destroy()
        return self._decide(raw, pickable)

    def _record(self, cb, slot, framebuffer, target, pickable, x, y, ids, depth, host) -> int:
        """The id pass at pixel (x, y) and the copies of what it found (see the module's docstring); the stages
        that read the kernels' output."""
        draws = [d for _, d in pickable]
        slot.event.record_signal(cb)
        stages = record_kernel_wait(cb, slot.event, draws)
        for draw in draws:
            draw.record_pick_before_pass(cb, slot.index, target)
        clear = [
            vk.VkClearValue(color=vk.VkClearColorValue(uint32=[0, 0, 0, 0])),  # draw 0: nothing
            vk.VkClearValue(depthStencil=vk.VkClearDepthStencilValue(depth=1.0, stencil=0)),
        ]
        pixel = vk.VkRect2D(vk.VkOffset2D(x, y), vk.VkExtent2D(1, 1))
        begin = vk.VkRenderPassBeginInfo(
            renderPass=self.render_pass.handle, framebuffer=framebuffer, renderArea=pixel, pClearValues=clear
        )
        vk.vkCmdBeginRenderPass(cb, begin, vk.VK_SUBPASS_CONTENTS_INLINE)
        vk.vkCmdSetViewport(cb, 0, 1, [vk.VkViewport(0, 0, target.width, target.height, 0.0, 1.0)])
        vk.vkCmdSetScissor(cb, 0, 1, [pixel])
        for index, draw in pickable:
            draw.record_pick(cb, slot.index, self.render_pass, index + 1)
        vk.vkCmdEndRenderPass(cb)
        # the render pass's dependency after it covers TRANSFER; the depth goes to a layout a copy reads, and the
        # SPLAT pass's atomics (before the pass) are made visible to the copy too
        to_copy = layout_barrier(
            depth.handle,
            DEPTH_AFTER_PASS,
            vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            0,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
            vk.VK_IMAGE_ASPECT_DEPTH_BIT,
        )
        pipeline_barrier(
            cb,
            TRANSFER | COMPUTE,
            TRANSFER,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_TRANSFER_READ_BIT,
            images=[to_copy],
        )
        for image, aspect, offset in (
            (ids, vk.VK_IMAGE_ASPECT_COLOR_BIT, 0),
            (depth, vk.VK_IMAGE_ASPECT_DEPTH_BIT, 8),
        ):
            region = copy_region(1, 1, aspect, x, y, offset)
            layout = vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL
            vk.vkCmdCopyImageToBuffer(cb, image.handle, layout, host.handle, 1, [region])
        splat = target.per_slot.get(SPLAT_BUFFER)
        if splat is not None:
            word = vk.VkBufferCopy(srcOffset=8 * tiled(x, y, target.width), dstOffset=16, size=8)
            vk.vkCmdCopyBuffer(cb, splat.handle, host.handle, 1, [word])
        else:
            vk.vkCmdFillBuffer(cb, host.handle, 16, 8, 0xFFFFFFFF)  # no splat: an empty word
        pipeline_barrier(
            cb,
            TRANSFER,
            vk.VK_PIPELINE_STAGE_HOST_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            vk.VK_ACCESS_HOST_READ_BIT,
        )
        return stages

    @staticmethod
    def _decide(raw: np.ndarray, pickable: list) -> PixelPick | None:
        """The id pass's (draw + 1, element) and depth at the pixel, or the splat's particle where it is nearer."""
        draw_id, element = (int(v) for v in raw[:8].view(np.uint32))
        depth = float(raw[8:12].view(np.float32)[0])
        word = int(raw[16:24].view(np.uint64)[0])
        if word != EMPTY64:
            splat_depth = float(np.array([word >> 32], np.uint32).view(np.float32)[0])
            particle = word & 0xFFFFFFFF
            if splat_depth < depth:
                for index, draw in pickable:
                    ids = getattr(draw, "pick_ids", None)
                    if ids is not None and ids[0] <= particle < ids[0] + ids[1]:
                        return PixelPick(index, particle - ids[0], splat_depth)
        if draw_id == 0:
            return None
        return PixelPick(draw_id - 1, element, depth)

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the picks (they are waited for)."""
        if self.render_pass is not None:
            self.render_pass.destroy()
            self.render_pass = None
