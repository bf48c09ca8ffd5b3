"""Point splatting for small particles (Schütz et al. 2021, "Rendering Point Clouds with Compute Shaders").

Fixed-function points cost a primitive set-up each however small the sprite; a compute pass that writes
each small particle straight into the pixels it covers does not. Per frame in flight there is one buffer of
width x height uint64 (high 32 bits: depth as float bits, which order like uints for depth in [0, 1]; low 32:
particle index; empty: all ones). Before the render pass, `particles_splat.comp` (one invocation per particle)
projects as `particles.vert` does; a particle whose sprite is at most 2 px wide goes with `atomicMin` into
each pixel its sprite's disc covers (so the lowest (depth, index) wins, like the depth test LESS in primitive
order), a larger one is appended to an index list drawn by the sprite pipeline with `vkCmdDrawIndexedIndirect`.
In the render pass, `particles_resolve.frag` on a full-screen triangle shades each pixel's winner as its
sprite would be shaded there and writes its depth, so everything composes by the depth test; it also empties
the pixel for the next frame (cheaper than clearing the whole buffer: only covered pixels are written).

Needs `shaderBufferInt64Atomics` and `fragmentStoresAndAtomics` (see `supported()`); without them the particles
are drawn as sprites only.
"""

from __future__ import annotations

import numpy as np
import vulkan as vk

from . import shaders
from .errors import vk_call
from .memory import Buffer, run_once
from .pipelines import create_pipeline, create_pipeline_layout

EMPTY = 0xFFFFFFFF  # fill pattern of an empty pixel (both halves)
WORKGROUP = 128  # local_size_x of particles_splat.comp
PUSH_BYTES = 32  # vec4 base colour, uvec4 (width, height, count, 0)
DRAW_COMMAND = np.array([0, 1, 0, 0, 0], dtype=np.uint32)  # VkDrawIndexedIndirectCommand, no index yet
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE_FRAGMENT = vk.VK_SHADER_STAGE_COMPUTE_BIT | vk.VK_SHADER_STAGE_FRAGMENT_BIT
# binding -> (descriptor type, stages): frame uniforms, positions, colours, splat, draw command, indices
BINDINGS = {
    0: (vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, COMPUTE_FRAGMENT),
    1: (STORAGE, COMPUTE_FRAGMENT),
    2: (STORAGE, vk.VK_SHADER_STAGE_FRAGMENT_BIT),
    3: (STORAGE, COMPUTE_FRAGMENT),
    4: (STORAGE, vk.VK_SHADER_STAGE_COMPUTE_BIT),
    5: (STORAGE, vk.VK_SHADER_STAGE_COMPUTE_BIT),
}


def supported(context, *buffers) -> bool:
    """The device features the splat needs are enabled, and the shaders can read `buffers` as storage."""
    features = context.enabled_features
    return bool(
        features.get("shaderBufferInt64Atomics") and features.get("fragmentStoresAndAtomics")
    ) and all(b.usage & vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT for b in buffers if b is not None)


def _barrier(cb, src_stages, dst_stages, src_access, dst_access) -> None:
    memory = vk.VkMemoryBarrier(srcAccessMask=src_access, dstAccessMask=dst_access)
    vk.vkCmdPipelineBarrier(cb, src_stages, dst_stages, 0, 1, [memory], 0, None, 0, None)


class PointSplat:
    """The splat buffers, index lists and draw commands of each frame in flight, and the two pipelines.
    `uniforms` are the particle draw's FrameUniforms (read here by the compute and resolve shaders)."""

    def __init__(self, context, render_pass, positions, colors, base_color, count: int, uniforms):
        self.context, self.positions, self.colors, self.count = context, positions, colors, count
        self.uniform_buffers = uniforms.buffers
        slots = len(self.uniform_buffers)
        self.extent = None
        self.splat: list[Buffer] = []
        self.draws: list[Buffer] = []
        self.indices: list[Buffer] = []
        self.set_layout = self.pool = self.compute = self.compute_layout = None
        self.resolve = self.resolve_layout = None
        self.push = np.zeros(8, dtype=np.uint32)
        self.push[:4] = np.array([*base_color, 1.0 if colors is not None else 0.0], np.float32).view(
            np.uint32
        )
        self.push[6] = count
        device = context.device
        try:
            layout_bindings = [
                vk.VkDescriptorSetLayoutBinding(binding=b, descriptorType=t, descriptorCount=1, stageFlags=s)
                for b, (t, s) in BINDINGS.items()
            ]
            self.set_layout = vk_call(
                vk.vkCreateDescriptorSetLayout,
                device,
                vk.VkDescriptorSetLayoutCreateInfo(pBindings=layout_bindings),
                None,
            )
            pool_sizes = [
                vk.VkDescriptorPoolSize(type=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, descriptorCount=slots),
                vk.VkDescriptorPoolSize(type=STORAGE, descriptorCount=slots * (len(BINDINGS) - 1)),
            ]
            self.pool = vk_call(
                vk.vkCreateDescriptorPool,
                device,
                vk.VkDescriptorPoolCreateInfo(maxSets=slots, pPoolSizes=pool_sizes),
                None,
            )
            self.sets = vk.vkAllocateDescriptorSets(
                device,
                vk.VkDescriptorSetAllocateInfo(
                    descriptorPool=self.pool, pSetLayouts=[self.set_layout] * slots
                ),
            )
            index_usage = vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT | vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
            draw_usage = (
                vk.VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT
                | vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
                | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
            )
            for i in range(slots):
                self.indices.append(Buffer(context, 4 * count, index_usage, name=f"large particles {i}"))
                self.draws.append(Buffer(context, DRAW_COMMAND.nbytes, draw_usage, name=f"particle draw {i}"))
            self.compute_layout = create_pipeline_layout(
                device, self.set_layout, vk.VK_SHADER_STAGE_COMPUTE_BIT, PUSH_BYTES
            )
            self.compute = self._compute_pipeline(shaders.load_builtin("particles_splat.comp"))
            self.resolve, self.resolve_layout = create_pipeline(
                device,
                render_pass,
                self.set_layout,
                shaders.load_builtin("particles_resolve.vert"),
                shaders.load_builtin("particles_resolve.frag"),
                bindings=[],
                attributes=[],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
                push_constants=PUSH_BYTES,
            )
        except BaseException:
            self.destroy()
            raise

    def _compute_pipeline(self, spirv: bytes):
        module = shaders.create_module(self.context.device, spirv)
        try:
            stage = vk.VkPipelineShaderStageCreateInfo(
                stage=vk.VK_SHADER_STAGE_COMPUTE_BIT, module=module, pName="main"
            )
            info = vk.VkComputePipelineCreateInfo(stage=stage, layout=self.compute_layout)
            return vk_call(vk.vkCreateComputePipelines, self.context.device, None, 1, [info], None)[0]
        finally:
            vk.vkDestroyShaderModule(self.context.device, module, None)

    def _allocate(self, width: int, height: int) -> None:
        """Splat buffers for a frame size, emptied once (the resolve keeps them empty); GPU idle (the frames
        record their command buffers only then)."""
        for buffer in self.splat:
            buffer.destroy()
        self.splat = []
        usage = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
        for i in range(len(self.sets)):
            self.splat.append(Buffer(self.context, 8 * width * height, usage, name=f"point splat {i}"))

        def fill(cb):
            for buffer in self.splat:
                vk.vkCmdFillBuffer(cb, buffer.handle, 0, buffer.size, EMPTY)
            _barrier(
                cb,
                vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
                vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                vk.VK_ACCESS_TRANSFER_WRITE_BIT,
                vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT,
            )

        run_once(self.context, fill)
        self.extent = (width, height)
        self.push[4:6] = (width, height)
        self._write_descriptors()

    def _write_descriptors(self) -> None:
        colors = (
            self.colors if self.colors is not None else self.positions
        )  # unread without per-particle colours, but must be valid
        for i, descriptor_set in enumerate(self.sets):
            buffers = [
                self.uniform_buffers[i],
                self.positions,
                colors,
                self.splat[i],
                self.draws[i],
                self.indices[i],
            ]
            infos = [vk.VkDescriptorBufferInfo(buffer=b.handle, offset=0, range=b.size) for b in buffers]
            writes = [
                vk.VkWriteDescriptorSet(
                    dstSet=descriptor_set,
                    dstBinding=binding,
                    descriptorCount=1,
                    descriptorType=BINDINGS[binding][0],
                    pBufferInfo=[info],
                )
                for binding, info in enumerate(infos)
            ]
            vk.vkUpdateDescriptorSets(self.context.device, len(writes), writes, 0, None)

    # -- recording

    def record_compute(self, cb, slot: int, width: int, height: int) -> None:
        """Before the render pass: empty draw command, splat, then make both visible to the pass."""
        if self.extent != (width, height):
            self._allocate(width, height)
        draw = self.draws[slot]
        shader_rw = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
        # the previous frame of this slot read the draw command and indices and emptied the pixels it read
        _barrier(
            cb,
            vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT
            | vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
            | vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT | shader_rw,
        )
        vk.vkCmdUpdateBuffer(cb, draw.handle, 0, DRAW_COMMAND.nbytes, vk.ffi.from_buffer(DRAW_COMMAND))
        _barrier(
            cb,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            shader_rw,
        )
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_COMPUTE, self.compute)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_COMPUTE, self.compute_layout, 0, 1, [self.sets[slot]], 0, None
        )
        self._push(cb, self.compute_layout, vk.VK_SHADER_STAGE_COMPUTE_BIT)
        vk.vkCmdDispatch(cb, (self.count + WORKGROUP - 1) // WORKGROUP, 1, 1)
        _barrier(
            cb,
            vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT
            | vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
            | vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_INDIRECT_COMMAND_READ_BIT | vk.VK_ACCESS_INDEX_READ_BIT | shader_rw,
        )

    def record_resolve(self, cb, slot: int) -> None:
        """Inside the render pass: the full-screen resolve."""
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.resolve)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.resolve_layout, 0, 1, [self.sets[slot]], 0, None
        )
        self._push(cb, self.resolve_layout, vk.VK_SHADER_STAGE_FRAGMENT_BIT)
        vk.vkCmdDraw(cb, 3, 1, 0, 0)

    def record_large(self, cb, slot: int) -> None:
        """Inside the render pass, with the sprite pipeline and vertex buffers bound: the large particles."""
        vk.vkCmdBindIndexBuffer(cb, self.indices[slot].handle, 0, vk.VK_INDEX_TYPE_UINT32)
        vk.vkCmdDrawIndexedIndirect(cb, self.draws[slot].handle, 0, 1, DRAW_COMMAND.nbytes)

    def _push(self, cb, layout, stages: int) -> None:
        vk.vkCmdPushConstants(cb, layout, stages, 0, PUSH_BYTES, vk.ffi.from_buffer(self.push))

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the frames that used it."""
        device = self.context.device
        for attr, destroy in (
            ("compute", vk.vkDestroyPipeline),
            ("resolve", vk.vkDestroyPipeline),
            ("compute_layout", vk.vkDestroyPipelineLayout),
            ("resolve_layout", vk.vkDestroyPipelineLayout),
            ("pool", vk.vkDestroyDescriptorPool),  # frees its sets
            ("set_layout", vk.vkDestroyDescriptorSetLayout),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                destroy(device, handle, None)
        for buffer in self.splat + self.draws + self.indices:
            buffer.destroy()
        self.splat, self.draws, self.indices = [], [], []
