"""Render passes, graphics pipelines and per-frame uniforms: what every drawable is built from.

A drawable (particles.py, ...) records its draw into a frame's command buffer once and says which buffers it
reads, so the frame can make that read wait for the kernels' writes (`frame/offscreen.py`). Per-frame values (camera,
colour, radius) live in one small host-visible uniform buffer per frame in flight (draw/uniforms.py): changing
them never re-records anything.

Pipelines belong to their render pass, not to the drawable: one per distinct description, made on first use and
destroyed with the render pass (`RenderPass.destroy`). lavapipe keeps about 0.4 MiB of every pipeline it
compiles until its device is destroyed, even after vkDestroyPipeline (measured: 200 create/destroy cycles grew
the process by 78 MiB), so a scene switch that compiled its pipelines anew grew the process each time; now a
switch back to a scene compiles nothing.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..errors import RendererError
from . import vk
from .handles import vk_create, vk_destroy
from .memory import Buffer, Image
from .shaders import create_module

COLOR_FORMAT = vk.VK_FORMAT_R8G8B8A8_UNORM
DEPTH_FORMAT = vk.VK_FORMAT_D32_SFLOAT
DEPTH_AFTER_PASS = vk.VK_IMAGE_LAYOUT_DEPTH_STENCIL_READ_ONLY_OPTIMAL  # the depth image's layout after a pass
# what clears a frame's attachments (create_render_pass): the render pass itself, transfer commands before it
# (colour and depth), or a compute shader before it (colour; the pass clears the depth)
CLEARS = ("pass", "transfer", "compute")
# colour blending presets: name -> (source factor, destination factor), for colour and alpha alike but "alpha",
# whose alpha is source alpha + destination alpha * (1 - source alpha)
BLENDS = {
    "alpha": (vk.VK_BLEND_FACTOR_SRC_ALPHA, vk.VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA),
    "additive": (vk.VK_BLEND_FACTOR_ONE, vk.VK_BLEND_FACTOR_ONE),
}
# weighted blended order-independent transparency (McGuire & Bavoil 2013; draw/transparency.py). The transparent
# subpass adds up premultiplied, weighted colours (rgb of ACCUM_FORMAT) and weights (WEIGHT_FORMAT), and
# multiplies the revealage, the product of (1 - alpha) (a of ACCUM_FORMAT): one blend for both attachments, so
# that devices without `independentBlend` (and a device Taichi made) can draw them. The composite lays the
# average colour over the frame by the revealage (src.a). Per attachment: (colour source, colour destination,
# alpha source, alpha destination, write mask)
ACCUM_FORMAT = vk.VK_FORMAT_R16G16B16A16_SFLOAT
WEIGHT_FORMAT = vk.VK_FORMAT_R16_SFLOAT
_ONE, _ZERO = vk.VK_BLEND_FACTOR_ONE, vk.VK_BLEND_FACTOR_ZERO
_ADD_AND_MULTIPLY = (_ONE, _ONE, _ZERO, vk.VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA, 0xF)
OIT_BLENDS = {
    "transparent": (_ADD_AND_MULTIPLY, _ADD_AND_MULTIPLY),
    # the frame's alpha is left as the opaque pass wrote it
    "composite": ((vk.VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA, vk.VK_BLEND_FACTOR_SRC_ALPHA, _ZERO, _ONE, 0x7),),
}
CULL_MODES = {
    "none": vk.VK_CULL_MODE_NONE,
    "back": vk.VK_CULL_MODE_BACK_BIT,
    "front": vk.VK_CULL_MODE_FRONT_BIT,
}
DEPTH_COMPARES = {
    "less": vk.VK_COMPARE_OP_LESS,
    "less_or_equal": vk.VK_COMPARE_OP_LESS_OR_EQUAL,
    "greater": vk.VK_COMPARE_OP_GREATER,
    "greater_or_equal": vk.VK_COMPARE_OP_GREATER_OR_EQUAL,
    "equal": vk.VK_COMPARE_OP_EQUAL,
    "always": vk.VK_COMPARE_OP_ALWAYS,
}


class RenderPass:
    """A VkRenderPass (`handle`) and what was made for it: its pipelines with their layouts (one per
    description, see `create_pipeline`) and its push-descriptor set layouts (`push_set_layout`). `destroy()`
    (idempotent; the GPU must be done with them) destroys them all and the render pass."""

    def __init__(
        self, device, handle, color_formats: tuple = (COLOR_FORMAT,), final_layout=None, cleared_before="pass"
    ):
        self.device, self.handle = device, handle
        self.color_formats = tuple(color_formats)  # of its (first subpass's) colour attachments, in order
        self.final_layout = final_layout  # where the frame's colour image is left
        self.pipelines: dict = {}  # description -> (pipeline, layout)
        self.push_set_layouts: dict = {}  # name -> push-descriptor set layout
        self._transparent: RenderPass | None = None
        self.cleared_before = cleared_before  # what clears its attachments (CLEARS, create_render_pass)

    def transparent_pass(self) -> RenderPass:
        """The pass of this frame's transparent draws (create_transparent_pass), made on first use: a frame
        without transparent draws has none."""
        if self.handle is None:
            raise RendererError("a transparent pass was asked of a render pass that was destroyed")
        if self._transparent is None:
            self._transparent = create_transparent_pass(self.device, self.color_formats[0], self.final_layout)
        return self._transparent

    def destroy(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        device = self.device
        if self._transparent is not None:
            self._transparent.destroy()
            self._transparent = None
        for pipeline, layout in self.pipelines.values():
            vk_destroy("Pipeline", vk.vkDestroyPipeline, device, pipeline, None)
            vk_destroy("PipelineLayout", vk.vkDestroyPipelineLayout, device, layout, None)
        self.pipelines.clear()
        for set_layout in self.push_set_layouts.values():
            vk_destroy("DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout, device, set_layout, None)
        self.push_set_layouts.clear()
        vk_destroy("RenderPass", vk.vkDestroyRenderPass, device, handle, None)


def create_framebuffer(device, render_pass: RenderPass, views: list, width: int, height: int):
    """A counted framebuffer of `render_pass` over the attachments' image `views`, in order."""
    info = vk.VkFramebufferCreateInfo(
        renderPass=render_pass.handle, pAttachments=views, width=width, height=height, layers=1
    )
    return vk_create("Framebuffer", vk.vkCreateFramebuffer, device, info, None)


def create_depth_image(
    context, width: int, height: int, name: str, lower: str, usage: int = vk.VK_IMAGE_USAGE_SAMPLED_BIT
) -> Image:
    """A depth attachment of DEPTH_FORMAT for frames of width x height, with `usage` beside (SAMPLED: drawables
    read it after the pass, point_splat.py); `lower` says what to make smaller if it does not fit."""
    return Image(
        context,
        width,
        height,
        DEPTH_FORMAT,
        vk.VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | usage,
        aspect=vk.VK_IMAGE_ASPECT_DEPTH_BIT,
        name=name,
        lower=lower,
    )


def create_render_pass(
    device, color_format: int, final_layout: int, cleared_before: str = "pass", depth_loaded: bool = False
) -> RenderPass:
    """One subpass, colour + depth, cleared each frame; colour ends in `final_layout`. `cleared_before` (CLEARS):
    "pass": the pass clears both; "transfer": it loads both, which transfer commands cleared before it
    (frame/offscreen.py record_clears), from TRANSFER_DST_OPTIMAL; "compute": it loads the colour, which a
    compute shader cleared (record_compute_clear), from GENERAL, and clears the depth. `depth_loaded`: the
    depth is loaded as the last pass left it (DEPTH_AFTER_PASS), cleared inside the pass if at all (a variant
    compatible with the pass without it)."""
    if cleared_before not in CLEARS:
        raise RendererError(f"cleared_before must be one of {CLEARS}, not {cleared_before!r}")
    clear, load = vk.VK_ATTACHMENT_LOAD_OP_CLEAR, vk.VK_ATTACHMENT_LOAD_OP_LOAD
    undefined, transfer_dst = vk.VK_IMAGE_LAYOUT_UNDEFINED, vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL
    color_initial = {"pass": undefined, "transfer": transfer_dst, "compute": vk.VK_IMAGE_LAYOUT_GENERAL}
    transfer = cleared_before == "transfer"
    color = vk.VkAttachmentDescription(
        format=color_format,
        samples=vk.VK_SAMPLE_COUNT_1_BIT,
        loadOp=clear if cleared_before == "pass" else load,
        storeOp=vk.VK_ATTACHMENT_STORE_OP_STORE,
        stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        initialLayout=color_initial[cleared_before],
        finalLayout=final_layout,
    )
    depth_initial = DEPTH_AFTER_PASS if depth_loaded else transfer_dst if transfer else undefined
    depth = vk.VkAttachmentDescription(
        format=DEPTH_FORMAT,
        samples=vk.VK_SAMPLE_COUNT_1_BIT,
        loadOp=load if transfer or depth_loaded else clear,
        # drawables may sample it after the pass (point_splat.py)
        storeOp=vk.VK_ATTACHMENT_STORE_OP_STORE,
        stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        initialLayout=depth_initial,
        finalLayout=DEPTH_AFTER_PASS,
    )
    color_ref = vk.VkAttachmentReference(attachment=0, layout=vk.VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL)
    depth_ref = vk.VkAttachmentReference(
        attachment=1, layout=vk.VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL
    )
    subpass = vk.VkSubpassDescription(
        pipelineBindPoint=vk.VK_PIPELINE_BIND_POINT_GRAPHICS,
        pColorAttachments=[color_ref],
        pDepthStencilAttachment=depth_ref,
    )
    attachment_stages = (
        vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
        | vk.VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT
        | vk.VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT
    )
    attachment_writes = (
        vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT
    )
    after_stages = vk.VK_PIPELINE_STAGE_TRANSFER_BIT | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
    dependencies = [
        # the previous use of these attachments (last frame's copy, present, or compute work after the pass; or
        # this frame's clears, by transfer or compute) before this frame's loads and writes
        vk.VkSubpassDependency(
            srcSubpass=vk.VK_SUBPASS_EXTERNAL,
            dstSubpass=0,
            srcStageMask=attachment_stages | after_stages,
            dstStageMask=attachment_stages,
            srcAccessMask=attachment_writes | vk.VK_ACCESS_SHADER_WRITE_BIT | vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            dstAccessMask=attachment_writes
            | vk.VK_ACCESS_COLOR_ATTACHMENT_READ_BIT
            | vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT,
        ),
        # this frame's attachment writes before the copy that reads the colour back, or the drawables'
        # compute work after the pass (Drawable.record_after_pass)
        vk.VkSubpassDependency(
            srcSubpass=0,
            dstSubpass=vk.VK_SUBPASS_EXTERNAL,
            srcStageMask=attachment_stages,
            dstStageMask=after_stages,
            srcAccessMask=attachment_writes,
            dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT
            | vk.VK_ACCESS_SHADER_READ_BIT
            | vk.VK_ACCESS_SHADER_WRITE_BIT,
        ),
    ]
    info = vk.VkRenderPassCreateInfo(
        pAttachments=[color, depth], pSubpasses=[subpass], pDependencies=dependencies
    )
    handle = vk_create("RenderPass", vk.vkCreateRenderPass, device, info, None)
    return RenderPass(device, handle, (color_format,), final_layout, cleared_before)


def create_transparent_pass(device, color_format: int, final_layout: int) -> RenderPass:
    """The pass after the opaque one in a frame with transparent draws. Attachments: the frame's colour (kept,
    left in `final_layout`), its depth (tested, not written), the accumulation (ACCUM_FORMAT, cleared to
    (0, 0, 0, 1): no colour, all revealed) and the weights (WEIGHT_FORMAT, cleared to 0), both thrown away
    after the pass. Subpass 0: the transparent draws into both (OIT_BLENDS["transparent"]); subpass 1: the
    composite reads both as input attachments and blends over the frame's colour."""
    keep, clear = vk.VK_ATTACHMENT_LOAD_OP_LOAD, vk.VK_ATTACHMENT_LOAD_OP_CLEAR
    store, discard = vk.VK_ATTACHMENT_STORE_OP_STORE, vk.VK_ATTACHMENT_STORE_OP_DONT_CARE
    read_only = vk.VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL
    attachment = vk.VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL

    def described(fmt, load, store_op, initial, final):
        return vk.VkAttachmentDescription(
            format=fmt,
            samples=vk.VK_SAMPLE_COUNT_1_BIT,
            loadOp=load,
            storeOp=store_op,
            stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
            stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
            initialLayout=initial,
            finalLayout=final,
        )

    attachments = [
        described(color_format, keep, store, final_layout, final_layout),
        described(DEPTH_FORMAT, keep, discard, DEPTH_AFTER_PASS, DEPTH_AFTER_PASS),
        described(ACCUM_FORMAT, clear, discard, vk.VK_IMAGE_LAYOUT_UNDEFINED, read_only),
        described(WEIGHT_FORMAT, clear, discard, vk.VK_IMAGE_LAYOUT_UNDEFINED, read_only),
    ]
    ref = vk.VkAttachmentReference
    subpasses = [
        vk.VkSubpassDescription(
            pipelineBindPoint=vk.VK_PIPELINE_BIND_POINT_GRAPHICS,
            pColorAttachments=[ref(attachment=2, layout=attachment), ref(attachment=3, layout=attachment)],
            pDepthStencilAttachment=ref(attachment=1, layout=DEPTH_AFTER_PASS),
            pPreserveAttachments=[0],
        ),
        vk.VkSubpassDescription(
            pipelineBindPoint=vk.VK_PIPELINE_BIND_POINT_GRAPHICS,
            pInputAttachments=[ref(attachment=2, layout=read_only), ref(attachment=3, layout=read_only)],
            pColorAttachments=[ref(attachment=0, layout=attachment)],
        ),
    ]
    output = vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
    tests = vk.VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT | vk.VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT
    fragment = vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT
    outside = vk.VK_PIPELINE_STAGE_TRANSFER_BIT | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
    writes = (
        vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT
        | vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT
        | vk.VK_ACCESS_SHADER_WRITE_BIT
    )
    color_rw = vk.VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT
    before = (
        output | tests | fragment | outside
    )  # the opaque pass, the work after it, the last composite's reads
    dependencies = [
        vk.VkSubpassDependency(
            srcSubpass=vk.VK_SUBPASS_EXTERNAL,
            dstSubpass=0,
            srcStageMask=before,
            dstStageMask=output | tests,
            srcAccessMask=writes,
            dstAccessMask=color_rw | vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT,
        ),
        # the frame's colour is first used (and its layout changed) in subpass 1
        vk.VkSubpassDependency(
            srcSubpass=vk.VK_SUBPASS_EXTERNAL,
            dstSubpass=1,
            srcStageMask=before,
            dstStageMask=output,
            srcAccessMask=writes,
            dstAccessMask=color_rw,
        ),
        vk.VkSubpassDependency(
            srcSubpass=0,
            dstSubpass=1,
            srcStageMask=output,
            dstStageMask=fragment,
            srcAccessMask=vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
            dstAccessMask=vk.VK_ACCESS_INPUT_ATTACHMENT_READ_BIT,
            dependencyFlags=vk.VK_DEPENDENCY_BY_REGION_BIT,
        ),
        # as the opaque pass's: before the copy that reads the colour back, or compute work after the pass
        vk.VkSubpassDependency(
            srcSubpass=1,
            dstSubpass=vk.VK_SUBPASS_EXTERNAL,
            srcStageMask=output | tests,
            dstStageMask=outside,
            srcAccessMask=vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT
            | vk.VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
            dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT
            | vk.VK_ACCESS_SHADER_READ_BIT
            | vk.VK_ACCESS_SHADER_WRITE_BIT,
        ),
    ]
    info = vk.VkRenderPassCreateInfo(
        pAttachments=attachments, pSubpasses=subpasses, pDependencies=dependencies
    )
    handle = vk_create("RenderPass", vk.vkCreateRenderPass, device, info, None)
    return RenderPass(device, handle, (ACCUM_FORMAT, WEIGHT_FORMAT), final_layout)


def push_descriptor_command(device):
    """vkCmdPushDescriptorSetKHR of `device` (VK_KHR_push_descriptor's, loaded through the device): it writes the
    descriptors of a set laid out by `push_set_layout` into a command buffer."""
    return vk.vkGetDeviceProcAddr(device, "vkCmdPushDescriptorSetKHR")


def push_set_layout(device, render_pass: RenderPass, name: str, bindings: dict, stages: int):
    """The render pass's push-descriptor set layout called `name` (`bindings`: binding -> descriptor type),
    made on first use and kept until the render pass is destroyed. Unlike an ordinary set, which any set
    layout defined alike can fill, pushed descriptors are written through the pipeline layout's own set
    layout, so it must live as long as the pipeline layouts kept here."""
    made = render_pass.push_set_layouts
    if name not in made:
        push = vk.VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR
        made[name] = create_set_layout(device, bindings, stages, flags=push)
    return made[name]


def create_set_layout(device, bindings: dict, stages: int, flags: int = 0):
    """A counted descriptor set layout of one descriptor per binding (`bindings`: binding -> descriptor type),
    each seen by `stages`."""
    info = vk.VkDescriptorSetLayoutCreateInfo(
        flags=flags,
        pBindings=[
            vk.VkDescriptorSetLayoutBinding(binding=b, descriptorType=t, descriptorCount=1, stageFlags=stages)
            for b, t in bindings.items()
        ],
    )
    return vk_create("DescriptorSetLayout", vk.vkCreateDescriptorSetLayout, device, info, None)


def create_descriptor_sets(device, set_layout, bindings: dict, count: int) -> tuple:
    """A descriptor pool that holds `count` sets of `set_layout` (`bindings`: binding -> descriptor type, one
    descriptor each), and those sets: (pool, sets). The caller destroys the pool."""
    types = list(bindings.values())
    sizes = [vk.VkDescriptorPoolSize(type=t, descriptorCount=count * types.count(t)) for t in set(types)]
    info = vk.VkDescriptorPoolCreateInfo(maxSets=count, pPoolSizes=sizes)
    pool = vk_create("DescriptorPool", vk.vkCreateDescriptorPool, device, info, None)
    try:
        allocate = vk.VkDescriptorSetAllocateInfo(descriptorPool=pool, pSetLayouts=[set_layout] * count)
        return pool, vk.vkAllocateDescriptorSets(device, allocate)
    except BaseException:
        vk_destroy("DescriptorPool", vk.vkDestroyDescriptorPool, device, pool, None)
        raise


def write_buffers(device, descriptor_set, bindings: dict, buffers: list) -> None:
    """Point binding i of `descriptor_set` at the whole of `buffers`[i] (`bindings`: binding -> descriptor type)."""
    writes = [
        vk.VkWriteDescriptorSet(
            dstSet=descriptor_set,
            dstBinding=binding,
            descriptorCount=1,
            descriptorType=bindings[binding],
            pBufferInfo=[vk.VkDescriptorBufferInfo(buffer=b.handle, offset=0, range=b.size)],
        )
        for binding, b in enumerate(buffers)
    ]
    vk.vkUpdateDescriptorSets(device, len(writes), writes, 0, None)


def constant_vec3(context, value, name: str) -> Buffer:
    """One vec3 in a vertex buffer, read at instance rate (one instance): the same value for every vertex, with
    the same pipeline layout as a per-vertex array."""
    buffer = Buffer(context, 12, vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, host=True, name=name)
    buffer.write(np.asarray(value, dtype=np.float32))
    return buffer


def create_pipeline_layout(device, set_layouts: list, push_stages: int = 0, push_constants: int = 0):
    ranges = []
    if push_constants:
        ranges.append(vk.VkPushConstantRange(stageFlags=push_stages, offset=0, size=push_constants))
    info = vk.VkPipelineLayoutCreateInfo(pSetLayouts=set_layouts, pPushConstantRanges=ranges)
    return vk_create("PipelineLayout", vk.vkCreatePipelineLayout, device, info, None)


def _made_once(device, render_pass, description, set_layouts, push_stages: int, push_constants: int, build):
    """The render pass's (pipeline, layout) for this description; on first use a layout for `set_layouts`
    and the push constants, and `build(layout)` for the pipeline."""
    if render_pass.handle is None:
        raise RendererError("a pipeline was asked of a render pass that was destroyed")
    made = render_pass.pipelines
    if description not in made:
        layout = create_pipeline_layout(device, set_layouts, push_stages, push_constants)
        try:
            made[description] = build(layout), layout
        except BaseException:
            vk_destroy("PipelineLayout", vk.vkDestroyPipelineLayout, device, layout, None)
            raise
    return made[description]


def create_pipeline(
    device,
    render_pass,
    set_layout,
    set_layout_key,
    vertex_spirv: bytes,
    fragment_spirv: bytes,
    *,
    bindings,
    attributes,
    topology: int,
    cull_mode: int = vk.VK_CULL_MODE_NONE,
    depth_write: bool = True,
    push_constants: int = 0,
    blend: str | None = None,
    depth_test: bool = True,
    depth_compare: int = vk.VK_COMPARE_OP_LESS,
    subpass: int = 0,
    push_stages: int = vk.VK_SHADER_STAGE_FRAGMENT_BIT,
):
    """A graphics pipeline with depth test (unless `depth_test` is False; `depth_compare` a VkCompareOp),
    dynamic viewport and scissor, for `subpass` of `render_pass`. `bindings`: (stride, input rate) per vertex
    binding; `attributes`: (location, binding, format, offset); `push_constants`: bytes the `push_stages`
    (the fragment shader) get; `blend`: None (the colour replaces what is there), a name of BLENDS, or of OIT_BLENDS (a blend per
    attachment of the transparent pass's subpasses). Returns (pipeline, layout), made once per render pass
    and description, so `set_layout_key` must name how `set_layout` is defined: the descriptor sets of any
    set layout defined alike fit the pipeline's layout."""
    # what the pipeline is made of beside its shaders: in its description and its build alike
    if blend is not None and blend not in BLENDS and blend not in OIT_BLENDS:
        raise RendererError(f"blend must be None or one of {sorted(BLENDS)}, not {blend!r}")
    shape = (
        tuple(bindings),
        tuple(attributes),
        topology,
        cull_mode,
        depth_write,
        blend,
        depth_test,
        depth_compare,
        subpass,
    )
    sources = hashlib.sha256(vertex_spirv + fragment_spirv).digest(), len(vertex_spirv)
    description = ("graphics", set_layout_key, *sources, *shape, push_constants, push_stages)

    def build(layout):
        return _build_graphics(device, render_pass, layout, vertex_spirv, fragment_spirv, *shape)

    return _made_once(device, render_pass, description, [set_layout], push_stages, push_constants, build)


def create_compute_pipeline(
    device, render_pass, set_layouts: list, set_layouts_key, spirv: bytes, push_constants: int = 0
):
    """A compute pipeline recorded with the render pass's frames (before or after the pass), kept like its
    graphics pipelines: made once per render pass and description (`set_layouts_key` names how the set
    layouts are defined). Returns (pipeline, layout)."""
    compute = vk.VK_SHADER_STAGE_COMPUTE_BIT

    def build(layout):
        module = create_module(device, spirv)
        try:
            stage = vk.VkPipelineShaderStageCreateInfo(stage=compute, module=module, pName="main")
            info = vk.VkComputePipelineCreateInfo(stage=stage, layout=layout)
            return vk_create("Pipeline", vk.vkCreateComputePipelines, device, None, 1, [info], None)[0]
        finally:
            vk_destroy("ShaderModule", vk.vkDestroyShaderModule, device, module, None)

    description = ("compute", set_layouts_key, hashlib.sha256(spirv).digest(), push_constants)
    return _made_once(device, render_pass, description, set_layouts, compute, push_constants, build)


def _build_graphics(
    device,
    render_pass,
    layout,
    vertex_spirv,
    fragment_spirv,
    bindings,
    attributes,
    topology,
    cull_mode,
    depth_write,
    blend,
    depth_test,
    depth_compare,
    subpass,
):
    vert = create_module(device, vertex_spirv)
    frag = create_module(device, fragment_spirv)
    try:
        stages = [
            vk.VkPipelineShaderStageCreateInfo(
                stage=vk.VK_SHADER_STAGE_VERTEX_BIT, module=vert, pName="main"
            ),
            vk.VkPipelineShaderStageCreateInfo(
                stage=vk.VK_SHADER_STAGE_FRAGMENT_BIT, module=frag, pName="main"
            ),
        ]
        vertex_input = vk.VkPipelineVertexInputStateCreateInfo(
            pVertexBindingDescriptions=[
                vk.VkVertexInputBindingDescription(binding=i, stride=stride, inputRate=rate)
                for i, (stride, rate) in enumerate(bindings)
            ],
            pVertexAttributeDescriptions=[
                vk.VkVertexInputAttributeDescription(location=loc, binding=b, format=fmt, offset=off)
                for loc, b, fmt, off in attributes
            ],
        )
        assembly = vk.VkPipelineInputAssemblyStateCreateInfo(topology=topology)
        viewport = vk.VkPipelineViewportStateCreateInfo(viewportCount=1, scissorCount=1)
        raster = vk.VkPipelineRasterizationStateCreateInfo(
            polygonMode=vk.VK_POLYGON_MODE_FILL,
            cullMode=cull_mode,
            frontFace=vk.VK_FRONT_FACE_COUNTER_CLOCKWISE,
            lineWidth=1.0,
        )
        multisample = vk.VkPipelineMultisampleStateCreateInfo(rasterizationSamples=vk.VK_SAMPLE_COUNT_1_BIT)
        depth = vk.VkPipelineDepthStencilStateCreateInfo(
            depthTestEnable=vk.VK_TRUE if depth_test else vk.VK_FALSE,
            depthWriteEnable=vk.VK_TRUE if depth_write else vk.VK_FALSE,
            depthCompareOp=depth_compare,
        )
        if blend is None:
            factors = [None]
        elif blend in OIT_BLENDS:
            factors = OIT_BLENDS[blend]
        else:
            source, destination = BLENDS[blend]
            factors = [(source, destination, vk.VK_BLEND_FACTOR_ONE, destination, 0xF)]
        blend_attachments = [
            vk.VkPipelineColorBlendAttachmentState(colorWriteMask=0xF)
            if f is None
            else vk.VkPipelineColorBlendAttachmentState(
                blendEnable=vk.VK_TRUE,
                srcColorBlendFactor=f[0],
                dstColorBlendFactor=f[1],
                colorBlendOp=vk.VK_BLEND_OP_ADD,
                srcAlphaBlendFactor=f[2],
                dstAlphaBlendFactor=f[3],
                alphaBlendOp=vk.VK_BLEND_OP_ADD,
                colorWriteMask=f[4],
            )
            for f in factors
        ]
        blend = vk.VkPipelineColorBlendStateCreateInfo(pAttachments=blend_attachments)
        dynamic = vk.VkPipelineDynamicStateCreateInfo(
            pDynamicStates=[vk.VK_DYNAMIC_STATE_VIEWPORT, vk.VK_DYNAMIC_STATE_SCISSOR]
        )
        info = vk.VkGraphicsPipelineCreateInfo(
            pStages=stages,
            pVertexInputState=vertex_input,
            pInputAssemblyState=assembly,
            pViewportState=viewport,
            pRasterizationState=raster,
            pMultisampleState=multisample,
            pDepthStencilState=depth,
            pColorBlendState=blend,
            pDynamicState=dynamic,
            layout=layout,
            renderPass=render_pass.handle,
            subpass=subpass,
        )
        return vk_create("Pipeline", vk.vkCreateGraphicsPipelines, device, None, 1, [info], None)[0]
    finally:
        vk_destroy("ShaderModule", vk.vkDestroyShaderModule, device, vert, None)
        vk_destroy("ShaderModule", vk.vkDestroyShaderModule, device, frag, None)
