"""Scalars mapped through a named colormap into a colour per element, on the GPU, every frame.

`ScalarColors` is a drawable that draws nothing: before the render pass (after the frame's wait on the
kernels, which write the scalars) it runs shaders/colormap.comp over a float32 array into a vec3 colour buffer
of its own, which the particles, mesh or lines draw listed after it reads as its per-vertex colours (and the
particles' splat as a storage buffer). With the range "auto", a pass before that reduces the scalars to their
min and max into a two-uint buffer (filled with the empty range first); with a fixed range the buffer is
written once. Nothing goes through the host per frame. `range_now()` reads the range back (it waits for the
GPU: for a UI's label, a test, not every frame).

Per frame, for N elements: one pass over N floats writing 12 N bytes (and, with "auto", one more over N floats).
"""

from __future__ import annotations

import numpy as np

from .. import colormaps
from ..device import shaders, vk
from ..device.handles import vk_create, vk_destroy
from ..device.memory import Buffer, pipeline_barrier, read_device_buffer, run_once
from ..device.pipelines import create_compute_pipeline, create_set_layout
from .base import Drawable, FrameView
from .uniforms import Std140

WORKGROUP = 128  # local_size_x of colormap.comp
REDUCE_GROUPS = 256  # at most, for the range: each invocation loops over its share
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE_STAGE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
TRANSFER_STAGE = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
SHADER_RW = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
# what reads the colours: the draw's vertex input, the particles' splat passes
READERS = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT | COMPUTE_STAGE
READS = vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT | vk.VK_ACCESS_SHADER_READ_BIT


def ordered(value: float) -> int:
    """colormap.comp's ordered(): float32 bits that order like the floats as uints."""
    bits = int(np.float32(value).view(np.uint32))
    return (~bits & 0xFFFFFFFF) if bits & 0x80000000 else bits | 0x80000000


def unordered(bits: int) -> float:
    """The float32 whose ordered() bits these are."""
    raw = bits & 0x7FFFFFFF if bits & 0x80000000 else ~bits & 0xFFFFFFFF
    return float(np.uint32(raw).view(np.float32))


class ScalarColors(Drawable):
    """A float32 buffer of `count` scalars mapped through colormap `name` with `value_range` ((lo, hi), or
    "auto": the scalars' min and max each frame) into `self.colors`, a vec3 float32 per scalar that a draw
    listed after this one reads as its colours."""

    UNIFORMS = Std140()  # none: the range is in a buffer, the count a push constant
    owned = ("colors", "range", "table")
    colors = range = table = None
    pool = set_layout = None

    def __init__(self, context, render_pass, scalars: Buffer, count: int, name: str, value_range):
        self.context, self.scalars, self.count = context, scalars, count
        self.name, self.value_range = colormaps.check_name(name), colormaps.check_range(value_range)
        self.auto = self.value_range == "auto"
        if scalars.size < 4 * count:
            raise ValueError(f"{scalars.name} holds {scalars.size // 4} scalars, not {count}")
        device = context.device
        with self.destroyed_on_failure():
            storage = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
            lower = f"map fewer than {count:,} scalars"
            self.colors = Buffer(
                context,
                12 * count,
                storage | vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                name=f"{name} colours",
                lower=lower,
            )
            entries = np.ones((colormaps.SIZE, 4), np.float32)
            entries[:, :3] = colormaps.table(name)
            self.table = Buffer(context, entries.nbytes, storage, host=True, name=f"{name} table")
            self.table.write(entries)
            usage = storage | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT
            self.range = Buffer(context, 8, usage, name=f"{name} range")
            start = [0xFFFFFFFF, 0] if self.auto else [ordered(v) for v in self.value_range]
            words = np.array(start, np.uint32)

            def fill(cb):
                vk.vkCmdUpdateBuffer(cb, self.range.handle, 0, 8, vk.ffi.from_buffer(words))
                pipeline_barrier(
                    cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW
                )

            run_once(context, fill)
            self.set_layout = create_set_layout(
                device, dict.fromkeys(range(4), STORAGE), vk.VK_SHADER_STAGE_COMPUTE_BIT
            )
            self.pool = vk_create(
                "DescriptorPool",
                vk.vkCreateDescriptorPool,
                device,
                vk.VkDescriptorPoolCreateInfo(
                    maxSets=1, pPoolSizes=[vk.VkDescriptorPoolSize(type=STORAGE, descriptorCount=4)]
                ),
                None,
            )
            self.set = vk.vkAllocateDescriptorSets(
                device,
                vk.VkDescriptorSetAllocateInfo(descriptorPool=self.pool, pSetLayouts=[self.set_layout]),
            )[0]
            writes = [
                vk.VkWriteDescriptorSet(
                    dstSet=self.set,
                    dstBinding=b,
                    descriptorCount=1,
                    descriptorType=STORAGE,
                    pBufferInfo=[
                        vk.VkDescriptorBufferInfo(buffer=buffer.handle, offset=0, range=buffer.size)
                    ],
                )
                for b, buffer in enumerate((scalars, self.table, self.range, self.colors))
            ]
            vk.vkUpdateDescriptorSets(device, len(writes), writes, 0, None)
            # the render pass's, like every pipeline (pipelines.py): not destroyed here
            self.pipelines = {
                variant: create_compute_pipeline(
                    device,
                    render_pass,
                    [self.set_layout],
                    f"colormap, {variant}",
                    shaders.load_builtin("colormap.comp", defines=(variant,)),
                    4,
                )
                for variant in (("REDUCE", "MAP") if self.auto else ("MAP",))
            }
        self.push = np.array([count], np.uint32)

    def range_now(self) -> tuple[float, float]:
        """The range the colours were mapped with: the fixed one, or with "auto" the last frame's min and max of
        the scalars as the GPU found them (read back: it waits for the GPU). Before any frame, or without a
        finite scalar, "auto" gives (nan, nan)."""
        if not self.auto:
            return tuple(float(np.float32(v)) for v in self.value_range)
        lo, hi = (int(w) for w in read_device_buffer(self.context, self.range, np.uint32))
        if lo == 0xFFFFFFFF and hi == 0:
            return (float("nan"), float("nan"))
        return (unordered(lo), unordered(hi))

    def colorbar(self, width: int = 256, height: int = 16, vertical: bool = False) -> np.ndarray:
        """colormaps.colorbar of this draw's colormap: (height, width, 4) RGBA uint8."""
        return colormaps.colorbar(self.name, width, height, vertical)

    # -- what a frame calls

    def reads(self) -> list:
        return [(self.scalars, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_READ_BIT)]

    def record_before_pass(self, cb, slot: int, target) -> None:
        # after the previous frames' reads of the range and colours (the same queue): then write them
        pipeline_barrier(cb, READERS, TRANSFER_STAGE | COMPUTE_STAGE)
        if self.auto:
            vk.vkCmdFillBuffer(cb, self.range.handle, 0, 4, 0xFFFFFFFF)
            vk.vkCmdFillBuffer(cb, self.range.handle, 4, 4, 0)
            pipeline_barrier(cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW)
            groups = min(-(-self.count // WORKGROUP), REDUCE_GROUPS)
            self._dispatch(cb, "REDUCE", groups)
            pipeline_barrier(cb, COMPUTE_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_WRITE_BIT, SHADER_RW)
        self._dispatch(cb, "MAP", -(-self.count // WORKGROUP))
        pipeline_barrier(cb, COMPUTE_STAGE, READERS, vk.VK_ACCESS_SHADER_WRITE_BIT, READS)

    def _dispatch(self, cb, variant: str, groups: int) -> None:
        pipeline, layout = self.pipelines[variant]
        bind = vk.VK_PIPELINE_BIND_POINT_COMPUTE
        vk.vkCmdBindPipeline(cb, bind, pipeline)
        vk.vkCmdBindDescriptorSets(cb, bind, layout, 0, 1, [self.set], 0, None)
        vk.vkCmdPushConstants(cb, layout, vk.VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, vk.ffi.from_buffer(self.push))
        vk.vkCmdDispatch(cb, groups, 1, 1)

    def record(self, cb, slot: int) -> None:
        return  # nothing inside the render pass

    def write_uniforms(self, slot: int, view: FrameView) -> None:
        return  # no uniforms

    def uniform_values(self, view: FrameView) -> dict:
        return {}

    def destroy(self) -> None:
        device = self.context.device
        self.pipelines = {}  # the render pass's
        for attr, kind, destroy in (
            ("pool", "DescriptorPool", vk.vkDestroyDescriptorPool),  # frees its set
            ("set_layout", "DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                vk_destroy(kind, destroy, device, handle, None)
        super().destroy()
