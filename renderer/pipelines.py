"""Render passes and graphics pipelines, and the particle drawable that uses them.

A drawable records its draw into a frame's command buffer once and says which buffers it reads, so the frame
can make that read wait for the kernels' writes (`frames.py`). Per-frame values (camera, colour, radius) live
in one small host-visible uniform buffer per frame in flight: changing them never re-records anything.
"""

from __future__ import annotations

import numpy as np
import vulkan as vk

from . import shaders
from .errors import RendererError, vk_call
from .memory import Buffer

COLOR_FORMAT = vk.VK_FORMAT_R8G8B8A8_UNORM
DEPTH_FORMAT = vk.VK_FORMAT_D32_SFLOAT
UNIFORM_BYTES = 64 + 3 * 16  # mat4 view_proj, vec4 color, vec4 light, vec4 params (std140)


def create_render_pass(device, color_format: int, final_layout: int):
    """One subpass, colour + depth, cleared each frame; colour ends in `final_layout`."""
    color = vk.VkAttachmentDescription(
        format=color_format,
        samples=vk.VK_SAMPLE_COUNT_1_BIT,
        loadOp=vk.VK_ATTACHMENT_LOAD_OP_CLEAR,
        storeOp=vk.VK_ATTACHMENT_STORE_OP_STORE,
        stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        initialLayout=vk.VK_IMAGE_LAYOUT_UNDEFINED,
        finalLayout=final_layout,
    )
    depth = vk.VkAttachmentDescription(
        format=DEPTH_FORMAT,
        samples=vk.VK_SAMPLE_COUNT_1_BIT,
        loadOp=vk.VK_ATTACHMENT_LOAD_OP_CLEAR,
        storeOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        initialLayout=vk.VK_IMAGE_LAYOUT_UNDEFINED,
        finalLayout=vk.VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
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
    dependencies = [
        # the previous use of these attachments (last frame's copy or present) before this frame's writes
        vk.VkSubpassDependency(
            srcSubpass=vk.VK_SUBPASS_EXTERNAL,
            dstSubpass=0,
            srcStageMask=attachment_stages | vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            dstStageMask=attachment_stages,
            srcAccessMask=attachment_writes,
            dstAccessMask=attachment_writes | vk.VK_ACCESS_COLOR_ATTACHMENT_READ_BIT,
        ),
        # this frame's colour writes before the copy that reads the image back
        vk.VkSubpassDependency(
            srcSubpass=0,
            dstSubpass=vk.VK_SUBPASS_EXTERNAL,
            srcStageMask=vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
            dstStageMask=vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            srcAccessMask=vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
            dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT,
        ),
    ]
    info = vk.VkRenderPassCreateInfo(
        pAttachments=[color, depth], pSubpasses=[subpass], pDependencies=dependencies
    )
    return vk_call(vk.vkCreateRenderPass, device, info, None)


class ParticleDraw:
    """Shaded sphere sprites for every element of a vec3 vertex buffer that kernels write."""

    def __init__(
        self,
        context,
        render_pass,
        positions: Buffer,
        count: int,
        frames_in_flight: int,
        *,
        radius: float = 0.01,
        color=(0.35, 0.65, 1.0),
        light=(0.4, 0.6, 1.0),
    ):
        if positions.size < count * 12:
            raise RendererError(f"{positions.name} holds {positions.size // 12} vec3 positions, not {count}")
        if not positions.usage & vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT:
            raise RendererError(
                f"{positions.name} lacks VK_BUFFER_USAGE_VERTEX_BUFFER_BIT; it cannot be drawn"
            )
        self.context, self.positions, self.count = context, positions, count
        self.radius, self.color, self.light = radius, color, light
        device = context.device
        self.pipeline = self.layout = self.set_layout = self.pool = None
        self.uniforms: list[Buffer] = []
        try:
            self._create_descriptors(device, frames_in_flight)
            self._create_pipeline(device, render_pass)
        except BaseException:
            self.destroy()
            raise

    def _create_descriptors(self, device, slots: int) -> None:
        binding = vk.VkDescriptorSetLayoutBinding(
            binding=0,
            descriptorType=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
            descriptorCount=1,
            stageFlags=vk.VK_SHADER_STAGE_VERTEX_BIT | vk.VK_SHADER_STAGE_FRAGMENT_BIT,
        )
        self.set_layout = vk_call(
            vk.vkCreateDescriptorSetLayout,
            device,
            vk.VkDescriptorSetLayoutCreateInfo(pBindings=[binding]),
            None,
        )
        size = vk.VkDescriptorPoolSize(type=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, descriptorCount=slots)
        self.pool = vk_call(
            vk.vkCreateDescriptorPool,
            device,
            vk.VkDescriptorPoolCreateInfo(maxSets=slots, pPoolSizes=[size]),
            None,
        )
        self.sets = vk.vkAllocateDescriptorSets(
            device,
            vk.VkDescriptorSetAllocateInfo(descriptorPool=self.pool, pSetLayouts=[self.set_layout] * slots),
        )
        for i, descriptor_set in enumerate(self.sets):
            buffer = Buffer(
                self.context,
                UNIFORM_BYTES,
                vk.VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
                host=True,
                name=f"particle uniforms {i}",
            )
            self.uniforms.append(buffer)
            info = vk.VkDescriptorBufferInfo(buffer=buffer.handle, offset=0, range=UNIFORM_BYTES)
            write = vk.VkWriteDescriptorSet(
                dstSet=descriptor_set,
                dstBinding=0,
                descriptorCount=1,
                descriptorType=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
                pBufferInfo=[info],
            )
            vk.vkUpdateDescriptorSets(device, 1, [write], 0, None)

    def _create_pipeline(self, device, render_pass) -> None:
        self.layout = vk_call(
            vk.vkCreatePipelineLayout,
            device,
            vk.VkPipelineLayoutCreateInfo(pSetLayouts=[self.set_layout]),
            None,
        )
        vert = shaders.create_module(device, shaders.load_builtin("particles.vert"))
        frag = shaders.create_module(device, shaders.load_builtin("particles.frag"))
        try:
            stages = [
                vk.VkPipelineShaderStageCreateInfo(
                    stage=vk.VK_SHADER_STAGE_VERTEX_BIT, module=vert, pName="main"
                ),
                vk.VkPipelineShaderStageCreateInfo(
                    stage=vk.VK_SHADER_STAGE_FRAGMENT_BIT, module=frag, pName="main"
                ),
            ]
            binding = vk.VkVertexInputBindingDescription(
                binding=0, stride=12, inputRate=vk.VK_VERTEX_INPUT_RATE_VERTEX
            )
            attribute = vk.VkVertexInputAttributeDescription(
                location=0, binding=0, format=vk.VK_FORMAT_R32G32B32_SFLOAT, offset=0
            )
            vertex_input = vk.VkPipelineVertexInputStateCreateInfo(
                pVertexBindingDescriptions=[binding], pVertexAttributeDescriptions=[attribute]
            )
            assembly = vk.VkPipelineInputAssemblyStateCreateInfo(topology=vk.VK_PRIMITIVE_TOPOLOGY_POINT_LIST)
            viewport = vk.VkPipelineViewportStateCreateInfo(viewportCount=1, scissorCount=1)
            raster = vk.VkPipelineRasterizationStateCreateInfo(
                polygonMode=vk.VK_POLYGON_MODE_FILL,
                cullMode=vk.VK_CULL_MODE_NONE,
                frontFace=vk.VK_FRONT_FACE_COUNTER_CLOCKWISE,
                lineWidth=1.0,
            )
            multisample = vk.VkPipelineMultisampleStateCreateInfo(
                rasterizationSamples=vk.VK_SAMPLE_COUNT_1_BIT
            )
            depth = vk.VkPipelineDepthStencilStateCreateInfo(
                depthTestEnable=vk.VK_TRUE, depthWriteEnable=vk.VK_TRUE, depthCompareOp=vk.VK_COMPARE_OP_LESS
            )
            blend_attachment = vk.VkPipelineColorBlendAttachmentState(colorWriteMask=0xF)
            blend = vk.VkPipelineColorBlendStateCreateInfo(pAttachments=[blend_attachment])
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
                layout=self.layout,
                renderPass=render_pass,
                subpass=0,
            )
            self.pipeline = vk_call(vk.vkCreateGraphicsPipelines, device, None, 1, [info], None)[0]
        finally:
            vk.vkDestroyShaderModule(device, vert, None)
            vk.vkDestroyShaderModule(device, frag, None)

    # -- per frame

    def write_uniforms(
        self, slot: int, view_projection: np.ndarray, height: int, projection_scale: float
    ) -> None:
        max_size = self.context.max_point_size if self.context.enabled_features.get("largePoints") else 1.0
        data = np.zeros(UNIFORM_BYTES // 4, dtype=np.float32)
        data[:16] = view_projection.T.reshape(-1)  # GLSL matrices are column-major
        data[16:19] = self.color
        data[20:23] = self.light
        data[24:27] = (self.radius, projection_scale * height, max_size)
        self.uniforms[slot].write(data)

    def reads(self) -> list[tuple[Buffer, int, int]]:
        """(buffer, stage, access) this draw reads, for the frame's wait on the kernels' writes."""
        return [
            (self.positions, vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT)
        ]

    def record(self, cb, slot: int) -> None:
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.pipeline)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.layout, 0, 1, [self.sets[slot]], 0, None
        )
        vk.vkCmdBindVertexBuffers(cb, 0, 1, [self.positions.handle], [0])
        vk.vkCmdDraw(cb, self.count, 1, 0, 0)

    def destroy(self) -> None:
        device = self.context.device
        for buffer in self.uniforms:
            buffer.destroy()
        self.uniforms = []
        for attr, destroy in (
            ("pipeline", vk.vkDestroyPipeline),
            ("layout", vk.vkDestroyPipelineLayout),
            ("pool", vk.vkDestroyDescriptorPool),
            ("set_layout", vk.vkDestroyDescriptorSetLayout),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                destroy(device, handle, None)
