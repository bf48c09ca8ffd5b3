"""Point splatting for small particles (Schütz et al. 2021, "Rendering Point Clouds with Compute Shaders").

Fixed-function points cost a primitive set-up each however small the sprite; a compute pass that writes each
small particle straight into the pixels it covers does not. Per frame in flight there is one buffer of width x
height uint64 (high 32 bits: depth as float bits, which order like uints for depth in [0, 1]; low 32: particle
index, then its colour; empty: all ones). Before the render pass: the buffer is emptied (vkCmdFillBuffer), then
`particles_splat.comp` runs twice over the particles. Pass 0 projects as `particles.vert` does; a particle whose
sprite is at most 2 px wide goes with `atomicMin` into each pixel its sprite's disc covers (the lowest (depth,
index) wins, like the depth test LESS in primitive order); a larger one is appended to an index list that the
sprite pipeline draws with `vkCmdDrawIndexedIndirect`. Pass 1 replaces each winner's index with its shaded
colour. In the render pass, `particles_resolve.frag` on a full-screen triangle writes those colours at their
depth, so everything composes by the depth test. It reads the buffer as a texel buffer and does nothing else:
on lavapipe each instruction there costs once per pixel of the frame (shading there, or storage-buffer loads,
cost ~5-15 ms a frame at 1280x720).

Needs `shaderInt64`, `shaderBufferInt64Atomics`, storage usage on the particle buffers and a count one dispatch
covers (see `supported()`); without them, or for a frame larger than the device's texel or storage buffers, the
particles are drawn as sprites only.
"""

from __future__ import annotations

import numpy as np
import vulkan as vk

from . import shaders
from .handles import vk_create, vk_destroy
from .memory import Buffer
from .pipelines import create_compute_pipeline, create_pipeline

EMPTY = 0xFFFFFFFF  # fill pattern of an empty pixel (both halves)
WORKGROUP = 128  # local_size_x of particles_splat.comp
PUSH_BYTES = 32  # vec4 base colour, uvec4 (width, height, count, pass)
DRAW_COMMAND = np.array([0, 1, 0, 0, 0], dtype=np.uint32)  # VkDrawIndexedIndirectCommand, no index yet
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE = vk.VK_SHADER_STAGE_COMPUTE_BIT
# binding -> (descriptor type, stages): frame uniforms, positions, colours, splat, draw command, indices, and
# the splat again as the resolve reads it
BINDINGS = {
    0: (vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, COMPUTE),
    1: (STORAGE, COMPUTE),
    2: (STORAGE, COMPUTE),
    3: (STORAGE, COMPUTE),
    4: (STORAGE, COMPUTE),
    5: (STORAGE, COMPUTE),
    6: (vk.VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, vk.VK_SHADER_STAGE_FRAGMENT_BIT),
}
SHADER_RW = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
# what the render pass does with the splat's results: the indirect draw of the large ones and the resolve
DRAW_STAGES = (
    vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT
    | vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
    | vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT
)
DRAW_READS = (
    vk.VK_ACCESS_INDIRECT_COMMAND_READ_BIT | vk.VK_ACCESS_INDEX_READ_BIT | vk.VK_ACCESS_SHADER_READ_BIT
)


def supported(context, count: int, *buffers) -> bool:
    """The device can do 64-bit integers and their atomics, one dispatch covers `count` particles, and the
    shaders can read `buffers` as storage buffers (usage and size)."""
    limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
    features = context.enabled_features
    return (
        bool(features.get("shaderInt64") and features.get("shaderBufferInt64Atomics"))
        and (count + WORKGROUP - 1) // WORKGROUP <= limits.maxComputeWorkGroupCount[0]
        and 4 * count <= limits.maxStorageBufferRange  # the list of large particles
        and all(
            b.usage & vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT and b.size <= limits.maxStorageBufferRange
            for b in buffers
            if b is not None
        )
    )


def _barrier(cb, src_stages, dst_stages, src_access, dst_access) -> None:
    memory = vk.VkMemoryBarrier(srcAccessMask=src_access, dstAccessMask=dst_access)
    vk.vkCmdPipelineBarrier(cb, src_stages, dst_stages, 0, 1, [memory], 0, None, 0, None)


class PointSplat:
    """The splat buffers, index lists and draw commands of each frame in flight, and the two pipelines.
    `uniforms` are the particle draw's FrameUniforms (read here by the compute shader). `active` is False for
    a frame size the device's texel buffers cannot hold: the caller then draws sprites only."""

    def __init__(self, context, render_pass, positions, colors, base_color, count: int, uniforms):
        self.context, self.positions, self.colors, self.count = context, positions, colors, count
        self.uniform_buffers = uniforms.buffers
        slots = len(self.uniform_buffers)
        self.extent, self.active = None, False
        self.splat: list[Buffer] = []
        self.views: list = []
        self.draws: list[Buffer] = []
        self.indices: list[Buffer] = []
        self.set_layout = self.pool = self.compute = self.compute_layout = None
        self.resolve = self.resolve_layout = None
        self.push = np.zeros(8, dtype=np.uint32)
        self.push[:4] = np.array([*base_color, 1.0 if colors is not None else 0.0], np.float32).view(
            np.uint32
        )
        self.push[6] = count
        limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
        # the splat buffer is both a texel buffer (R32G32_UINT) and a storage buffer
        self.max_pixels = min(int(limits.maxTexelBufferElements), int(limits.maxStorageBufferRange) // 8)
        device = context.device
        try:
            layout_bindings = [
                vk.VkDescriptorSetLayoutBinding(binding=b, descriptorType=t, descriptorCount=1, stageFlags=s)
                for b, (t, s) in BINDINGS.items()
            ]
            self.set_layout = vk_create(
                "DescriptorSetLayout",
                vk.vkCreateDescriptorSetLayout,
                device,
                vk.VkDescriptorSetLayoutCreateInfo(pBindings=layout_bindings),
                None,
            )
            types = [t for t, _ in BINDINGS.values()]
            pool_sizes = [
                vk.VkDescriptorPoolSize(type=t, descriptorCount=slots * types.count(t)) for t in set(types)
            ]
            self.pool = vk_create(
                "DescriptorPool",
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
                | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT  # to read the count back (tests)
            )
            for i in range(slots):
                self.indices.append(Buffer(context, 4 * count, index_usage, name=f"large particles {i}"))
                self.draws.append(Buffer(context, DRAW_COMMAND.nbytes, draw_usage, name=f"particle draw {i}"))
            # pipelines and their layouts are the render pass's (pipelines.py): not destroyed here
            self.compute, self.compute_layout = create_compute_pipeline(
                device,
                render_pass,
                self.set_layout,
                "point splat",
                shaders.load_builtin("particles_splat.comp"),
                PUSH_BYTES,
            )
            self.resolve, self.resolve_layout = create_pipeline(
                device,
                render_pass,
                self.set_layout,
                "point splat",
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

    def _allocate(self, width: int, height: int) -> None:
        """Splat buffers for a frame size. Called while recording, when the GPU is idle (the frames record
        their command buffers only then)."""
        self._free_splat()
        self.extent, self.active = (width, height), width * height <= self.max_pixels
        if not self.active:
            return
        device = self.context.device
        usage = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
        usage |= vk.VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT
        for i in range(len(self.sets)):
            buffer = Buffer(self.context, 8 * width * height, usage, name=f"point splat {i}")
            self.splat.append(buffer)
            info = vk.VkBufferViewCreateInfo(
                buffer=buffer.handle, format=vk.VK_FORMAT_R32G32_UINT, offset=0, range=buffer.size
            )
            self.views.append(vk_create("BufferView", vk.vkCreateBufferView, device, info, None))
        self.push[4:6] = (width, height)
        self._write_descriptors()

    def _write_descriptors(self) -> None:
        colors = self.colors if self.colors is not None else self.positions  # unread, but must be valid
        for i, descriptor_set in enumerate(self.sets):
            buffers = [
                self.uniform_buffers[i],
                self.positions,
                colors,
                self.splat[i],
                self.draws[i],
                self.indices[i],
            ]
            writes = [
                vk.VkWriteDescriptorSet(
                    dstSet=descriptor_set,
                    dstBinding=binding,
                    descriptorCount=1,
                    descriptorType=BINDINGS[binding][0],
                    pBufferInfo=[vk.VkDescriptorBufferInfo(buffer=b.handle, offset=0, range=b.size)],
                )
                for binding, b in enumerate(buffers)
            ]
            writes.append(
                vk.VkWriteDescriptorSet(
                    dstSet=descriptor_set,
                    dstBinding=6,
                    descriptorCount=1,
                    descriptorType=BINDINGS[6][0],
                    pTexelBufferView=[self.views[i]],
                )
            )
            vk.vkUpdateDescriptorSets(self.context.device, len(writes), writes, 0, None)

    # -- recording

    def record_compute(self, cb, slot: int, width: int, height: int) -> None:
        """Before the render pass: empty the buffer and the draw command, splat, make both visible to the
        pass. Sets `active`."""
        if self.extent != (width, height):
            self._allocate(width, height)
        if not self.active:
            return
        splat, draw = self.splat[slot], self.draws[slot]
        # after the previous frame of this slot read them (write-after-read: an execution dependency)
        _barrier(cb, DRAW_STAGES, vk.VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0)
        vk.vkCmdFillBuffer(cb, splat.handle, 0, splat.size, EMPTY)
        vk.vkCmdUpdateBuffer(cb, draw.handle, 0, DRAW_COMMAND.nbytes, vk.ffi.from_buffer(DRAW_COMMAND))
        _barrier(
            cb,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            SHADER_RW,
        )
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_COMPUTE, self.compute)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_COMPUTE, self.compute_layout, 0, 1, [self.sets[slot]], 0, None
        )
        groups = (self.count + WORKGROUP - 1) // WORKGROUP
        for splat_pass in (0, 1):
            if splat_pass:  # every atomicMin done before the winners are known
                _barrier(
                    cb,
                    vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                    vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                    vk.VK_ACCESS_SHADER_WRITE_BIT,
                    SHADER_RW,
                )
            self.push[7] = splat_pass
            self._push(cb, self.compute_layout, COMPUTE)
            vk.vkCmdDispatch(cb, groups, 1, 1)
        _barrier(
            cb,
            vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            DRAW_STAGES,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            DRAW_READS,
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

    def _free_splat(self) -> None:
        for view in self.views:
            vk_destroy("BufferView", vk.vkDestroyBufferView, self.context.device, view, None)
        for buffer in self.splat:
            buffer.destroy()
        self.views, self.splat = [], []

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the frames that used it."""
        device = self.context.device
        self.compute = self.compute_layout = self.resolve = self.resolve_layout = None  # the render pass's
        for attr, kind, destroy in (
            ("pool", "DescriptorPool", vk.vkDestroyDescriptorPool),  # frees its sets
            ("set_layout", "DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                vk_destroy(kind, destroy, device, handle, None)
        self._free_splat()
        for buffer in self.draws + self.indices:
            buffer.destroy()
        self.draws, self.indices = [], []
