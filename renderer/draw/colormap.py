"""Scalars mapped through a named colormap into a colour per element, on the GPU, every frame.

`ScalarColors` is a drawable that draws nothing: before the render pass (after the frame's wait on the
kernels, which write the scalars) it runs shaders/colormap.comp over a float32 array into a vec3 colour buffer
of its own, which the particles, mesh or lines draw listed after it reads as its per-vertex colours (and the
particles' splat as a storage buffer). With the range "auto", a pass before that reduces the scalars to their
min and max into a two-uint buffer (filled with the empty range first); a fixed range is written into it by
the frame's commands (8 bytes). The table holds every colormap; the one mapped through is a push constant.
Setting `name` or `range` (from update()) records the frames' commands again, once per frame in flight
(`Drawable.recorded`). Nothing goes through the host per frame. `range_now()` reads the range back (it waits for the
GPU: for a UI's label, a test, not every frame).

Per frame, for N elements: one pass over N floats writing 12 N bytes (and, with "auto", one more over N floats).
"""

from __future__ import annotations

import numpy as np

from .. import colormaps
from ..checks import checked_flag
from ..device import shaders, vk
from ..device.handles import vk_destroy
from ..device.memory import Buffer, pipeline_barrier, read_device_buffer, run_once
from ..device.pipelines import (
    create_compute_pipeline,
    create_descriptor_sets,
    create_set_layout,
    write_buffers,
)
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
    owned = ("colors", "range_bits", "table")
    colors = range_bits = table = None
    pool = set_layout = None
    what = "colormap"

    def __init__(self, context, render_pass, scalars: Buffer, count: int, name: str, value_range):
        self.context, self.scalars, self.count = context, scalars, count
        self.name, self.range = name, value_range
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
            entries = np.ones((len(colormaps.NAMES), colormaps.SIZE, 4), np.float32)
            for i, each in enumerate(colormaps.NAMES):
                entries[i, :, :3] = colormaps.table(each)
            self.table = Buffer(context, entries.nbytes, storage, host=True, name="colormap tables")
            self.table.write(entries)
            usage = storage | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT
            self.range_bits = Buffer(context, 8, usage, name=f"{name} range")

            def fill(cb):  # the empty range: range_now() before any frame
                vk.vkCmdFillBuffer(cb, self.range_bits.handle, 0, 4, 0xFFFFFFFF)
                vk.vkCmdFillBuffer(cb, self.range_bits.handle, 4, 4, 0)
                pipeline_barrier(
                    cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW
                )

            run_once(context, fill)
            bindings = dict.fromkeys(range(4), STORAGE)
            self.set_layout = create_set_layout(device, bindings, vk.VK_SHADER_STAGE_COMPUTE_BIT)
            self.pool, (self.set,) = create_descriptor_sets(device, self.set_layout, bindings, 1)
            write_buffers(device, self.set, bindings, [scalars, self.table, self.range_bits, self.colors])
            # the render pass's, like every pipeline (pipelines.py): not destroyed here
            self.pipelines = {
                variant: create_compute_pipeline(
                    device,
                    render_pass,
                    [self.set_layout],
                    f"colormap, {variant}",
                    shaders.load_builtin("colormap.comp", defines=(variant,)),
                    8,
                )
                for variant in ("REDUCE", "MAP")  # both: the range may change from or to "auto"
            }

    @property
    def name(self) -> str:
        """The colormap's name; set another (one of colormaps.NAMES) to map through it from the next frame."""
        return self._name

    @name.setter
    def name(self, value) -> None:
        self._name = colormaps.check_name(value)

    @property
    def range(self):
        """(lo, hi), or "auto": the scalars' min and max each frame; set another to map with it from the next
        frame (bounds finite in float32, which the GPU maps in)."""
        return self._range

    @range.setter
    def range(self, value) -> None:
        self._range = colormaps.check_range(value)

    @property
    def auto(self) -> bool:
        return self._range == "auto"

    @property
    def value_range(self):  # the name it was made with
        return self._range

    def recorded(self) -> tuple:
        return (self._name, self._range)

    def range_now(self) -> tuple[float, float]:
        """The range the colours were mapped with: the fixed one, or with "auto" the last frame's min and max of
        the scalars as the GPU found them (read back: it waits for the GPU). Before any frame, or without a
        finite scalar, "auto" gives (nan, nan)."""
        self._live("its range_now() cannot be read")
        if not self.auto:
            return tuple(float(np.float32(v)) for v in self._range)
        lo, hi = (int(w) for w in read_device_buffer(self.context, self.range_bits, np.uint32))
        if lo == 0xFFFFFFFF and hi == 0:
            return (float("nan"), float("nan"))
        return (unordered(lo), unordered(hi))

    def colorbar(self, width: int = 256, height: int = 16, vertical: bool = False) -> np.ndarray:
        """colormaps.colorbar of this draw's colormap: (height, width, 4) RGBA uint8."""
        self._live("its colorbar() cannot be made")
        return colormaps.colorbar(self.name, width, height, checked_flag("colorbar vertical", vertical))

    # -- what a frame calls

    def reads(self) -> list:
        return [(self.scalars, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_READ_BIT)]

    def record_before_pass(self, cb, slot: int, target) -> None:
        # after the previous frames' reads of the range and colours (the same queue): then write them
        pipeline_barrier(cb, READERS, TRANSFER_STAGE | COMPUTE_STAGE)
        self._push = np.array([self.count, colormaps.NAMES.index(self._name) * colormaps.SIZE], np.uint32)
        if self.auto:
            vk.vkCmdFillBuffer(cb, self.range_bits.handle, 0, 4, 0xFFFFFFFF)
            vk.vkCmdFillBuffer(cb, self.range_bits.handle, 4, 4, 0)
        else:
            self._words = np.array([ordered(v) for v in self._range], np.uint32)  # kept with the recording
            vk.vkCmdUpdateBuffer(cb, self.range_bits.handle, 0, 8, vk.ffi.from_buffer(self._words))
        pipeline_barrier(cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW)
        if self.auto:
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
        vk.vkCmdPushConstants(
            cb, layout, vk.VK_SHADER_STAGE_COMPUTE_BIT, 0, 8, vk.ffi.from_buffer(self._push)
        )
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
