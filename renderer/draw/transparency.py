"""Order-independent transparency: weighted blended OIT (McGuire & Bavoil 2013, "Weighted Blended
Order-Independent Transparency").

A draw made with an opacity (`opacity=` of particles, meshes, lines and instances, RGBA colour arrays, or a custom
draw's `transparent=True`) is transparent: it is not drawn in the frame's render pass but after it, in the
render pass's `transparent_pass()` (device/pipelines.py), in any order:

    subpass 0: each transparent fragment that passes the depth test against the opaque depth (not written)
               adds rgb * a * w(depth, a) into the accumulation's rgb (RGBA16F, cleared to (0, 0, 0, 1)) and
               a * w into the weights (R16F, cleared to 0), and multiplies the accumulation's alpha, the
               revealage, by (1 - a)                                      shaders/oit_output.glsl
    subpass 1: one full-screen triangle reads both (input attachments) and blends the average colour
               rgb / weights over the frame: colour * (1 - revealage) + frame * revealage
                                                                         shaders/oit_composite.frag

Sums and products do not depend on the order, so the result does not either (up to rounding); one layer of
colour c and alpha a over the frame's colour f gives exactly c * a + f * (1 - a), the usual blend. A frame
without a transparent draw records neither this pass nor its images: its command buffers are what they were.

The accumulation and weight images belong to each frame-in-flight slot (`RenderTarget.per_slot`), made when
a frame with transparent draws is first recorded and made again when the frame's size changes. Particles are
drawn as sprites in frames with transparent draws (particles.py): their splat writes no depth, which the
transparent draws must be tested against.
"""

from __future__ import annotations

import numbers

from ..device import shaders, vk
from ..device.handles import vk_destroy
from ..device.memory import Image
from ..device.pipelines import (
    ACCUM_FORMAT,
    WEIGHT_FORMAT,
    create_descriptor_sets,
    create_framebuffer,
    create_pipeline,
    create_set_layout,
)
from ..errors import ArgumentError

TARGETS = "transparency"  # the slot's TransparencyTargets in RenderTarget.per_slot
INPUT = vk.VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT
COMPOSITE_BINDINGS = {0: INPUT, 1: INPUT}  # oit_composite.frag: accumulation (and revealage), weights


def check_opacity(value, what: str = "opacity") -> float:
    """`value` as a float in [0, 1], or ArgumentError naming `what`."""
    # a number only: float() would also take the string "0.5"
    number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else None
    if number is None or not 0.0 <= number <= 1.0:
        raise ArgumentError(f"{what} must be a number from 0 (invisible) to 1 (opaque), not {value!r}")
    return number


class TransparencyTargets:
    """One slot's accumulation and weight images, the composite's descriptor set reading them, and the
    transparent pass's framebuffer for each colour image the slot renders into (a window's slot renders
    into every swapchain image)."""

    def __init__(self, context, width: int, height: int):
        self.context, self.width, self.height = context, width, height
        self.accum = self.weight = self.set_layout = self.pool = None
        self.framebuffers: dict = {}  # colour view -> VkFramebuffer
        device = context.device
        usage = vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | vk.VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT
        lower = f"lower the frame size {width}x{height}"
        try:
            self.accum = Image(context, width, height, ACCUM_FORMAT, usage, name="accumulation", lower=lower)
            self.weight = Image(context, width, height, WEIGHT_FORMAT, usage, name="oit weights", lower=lower)
            self.set_layout = create_set_layout(device, COMPOSITE_BINDINGS, vk.VK_SHADER_STAGE_FRAGMENT_BIT)
            self.pool, (self.set,) = create_descriptor_sets(device, self.set_layout, COMPOSITE_BINDINGS, 1)
            read_only = vk.VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL
            writes = [
                vk.VkWriteDescriptorSet(
                    dstSet=self.set,
                    dstBinding=binding,
                    descriptorCount=1,
                    descriptorType=INPUT,
                    pImageInfo=[vk.VkDescriptorImageInfo(imageView=image.view, imageLayout=read_only)],
                )
                for binding, image in enumerate((self.accum, self.weight))
            ]
            vk.vkUpdateDescriptorSets(device, len(writes), writes, 0, None)
        except BaseException:
            self.destroy()
            raise

    def framebuffer(self, render_pass, target):
        """The transparent pass's framebuffer over the target's colour and depth, made on first use (a window
        drops the slots' shared objects when it makes new swapchain images)."""
        made = self.framebuffers.get(target.color_view)
        if made is None:
            views = [target.color_view, target.depth_view, self.accum.view, self.weight.view]
            made = create_framebuffer(self.context.device, render_pass, views, self.width, self.height)
            self.framebuffers[target.color_view] = made
        return made

    def destroy(self) -> None:
        device = self.context.device
        for framebuffer in self.framebuffers.values():
            vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, device, framebuffer, None)
        self.framebuffers = {}
        if self.pool is not None:
            vk_destroy("DescriptorPool", vk.vkDestroyDescriptorPool, device, self.pool, None)  # frees its set
            self.pool = None
        if self.set_layout is not None:
            vk_destroy("DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout, device, self.set_layout, None)
            self.set_layout = None
        for attr in ("weight", "accum"):
            image = getattr(self, attr)
            setattr(self, attr, None)
            if image is not None:
                image.destroy()


def slot_targets(context, target) -> TransparencyTargets:
    """The slot's TransparencyTargets for the target's size: made when missing or of another size (while
    recording, so the slot is idle)."""
    made = target.per_slot.get(TARGETS)
    if made is not None and (made.width, made.height) == (target.width, target.height):
        return made
    if made is not None:
        made.destroy()
        del target.per_slot[TARGETS]
    made = TransparencyTargets(context, target.width, target.height)
    target.per_slot[TARGETS] = made
    return made


def record_transparent_pass(cb, context, render_pass, target, drawables, slot: int) -> None:
    """The transparent pass of a frame (the module's docstring): `drawables` (the transparent ones) into
    accumulation and weights, then the composite over the frame's colour. After the frame's render pass and
    the drawables' work after it; the colour image is in the render pass's final layout before and after."""
    oit = render_pass.transparent_pass()
    targets = slot_targets(context, target)
    framebuffer = targets.framebuffer(oit, target)
    width, height = target.width, target.height
    clear = [
        vk.VkClearValue(color=vk.VkClearColorValue(float32=[0.0, 0.0, 0.0, 0.0])),  # not cleared: kept
        vk.VkClearValue(depthStencil=vk.VkClearDepthStencilValue(depth=1.0, stencil=0)),  # kept
        vk.VkClearValue(color=vk.VkClearColorValue(float32=[0.0, 0.0, 0.0, 1.0])),  # accumulation, revealage
        vk.VkClearValue(color=vk.VkClearColorValue(float32=[0.0, 0.0, 0.0, 0.0])),  # weights
    ]
    area = vk.VkRect2D(vk.VkOffset2D(0, 0), vk.VkExtent2D(width, height))
    begin = vk.VkRenderPassBeginInfo(
        renderPass=oit.handle, framebuffer=framebuffer, renderArea=area, pClearValues=clear
    )
    vk.vkCmdBeginRenderPass(cb, begin, vk.VK_SUBPASS_CONTENTS_INLINE)
    vk.vkCmdSetViewport(cb, 0, 1, [vk.VkViewport(0, 0, width, height, 0.0, 1.0)])
    vk.vkCmdSetScissor(cb, 0, 1, [area])
    for drawable in drawables:
        drawable.record(cb, slot)
    vk.vkCmdNextSubpass(cb, vk.VK_SUBPASS_CONTENTS_INLINE)
    pipeline, layout = create_pipeline(
        context.device,
        oit,
        targets.set_layout,
        "transparency composite",
        shaders.load_builtin("oit_composite.vert"),
        shaders.load_builtin("oit_composite.frag"),
        bindings=[],
        attributes=[],
        topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
        depth_test=False,
        depth_write=False,
        blend="composite",
        subpass=1,
    )
    graphics = vk.VK_PIPELINE_BIND_POINT_GRAPHICS
    vk.vkCmdBindPipeline(cb, graphics, pipeline)
    vk.vkCmdBindDescriptorSets(cb, graphics, layout, 0, 1, [targets.set], 0, None)
    vk.vkCmdDraw(cb, 3, 1, 0, 0)
    vk.vkCmdEndRenderPass(cb)
