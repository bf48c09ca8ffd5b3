"""Point splatting for small particles (Schütz et al. 2021, "Rendering Point Clouds with Compute Shaders").

Fixed-function points cost a primitive set-up each however small the sprite; a compute pass that writes each
small particle straight into the pixels it covers does not. Each frame-in-flight slot has one buffer of a
uint64 per pixel (in tiles of 32x16 pixels), shared by the frame's splatted draws (high 32 bits: depth as float
bits, which order like uints for depth in [0, 1]; low 32: a particle id unique in the frame; empty: all ones),
and a list of winners as long. `particles_splat.comp` runs over each draw:

1. before the render pass (SPLAT), each particle whose sprite is at most 2 px wide goes with `atomicMin` into
   each pixel its sprite's disc covers (the lowest (depth, id) wins, like the depth test LESS in primitive
   order); a larger one is appended to an index list that the sprite pipeline draws in the pass with
   `vkCmdDrawIndexedIndirect`, so it meets the other draws in the depth buffer as a sprite would;
2. after the render pass, each pixel the draw won goes back to empty, and its winner's shaded colour goes into
   the frame's colour image where it is nearer than the depth the render pass left there:
   - below `TAKE_BY_PIXEL_FROM` particles per pixel of the frame, by one pass over the particles
     (SHADE_BY_PARTICLE);
   - from there on, where most particles lose and reading each one and its pixels costs more than reading
     every pixel, by one pass over the buffer's pixels that lists the (pixel, winner) pairs (TAKE_BY_PIXEL),
     then an indirect dispatch over that list (SHADE_LISTED).

The particle passes (SPLAT, SHADE_BY_PARTICLE) take many particles per workgroup on a GPU, in runs of 128
consecutive ones (`runs_per_workgroup`): a simulation's consecutive particles are often near each other.

So the cost is per particle or per pixel, never both, and the buffer is filled once when it is made, never
per frame. The splat buffer, the list, the frame's count of the splatted draws that drew in the render pass
(`pass_draws`: zeroed by the frame's first splat; where the render pass's depth clear hangs on it, the shading
after the pass reads it) and the frame's images come with each recording (`draw/base.py` RenderTarget) and are
bound as push descriptors, since every slot and swapchain image is a different set.

Where many particles fall on few pixels (a dense cloud seen from far away, a 2D simulation seen head-on),
atomics on one pixel serialize: SPLAT reads a pixel before its atomic (most particles there are behind, or at
the same depth but later, and need none). A reduction within a subgroup before the atomic (the invocations that
hit the same pixel take their minimum first and one of them writes it; the image is the same) can be forced
(REDUCTION); it is off by default, as it was measured to cost more than it saves (`subgroup_reduction()`).

Without `shaderInt64`, `shaderBufferInt64Atomics`, `VK_KHR_push_descriptor` or format-less storage image
writes, or for more particles than the device can index or dispatch (`supported()`), into a frame whose colour
image is not a storage image or whose splat buffer is too large for a storage buffer, or past 2^32 - 1
particles in a frame (`usable()`), the particles are drawn as sprites only. A frame with more pixels than one
dispatch of SHADE_LISTED covers goes by particle.
"""

from __future__ import annotations

import numpy as np

from ..device import shaders, vk
from ..device.handles import create_sampler, vk_destroy
from ..device.memory import Buffer, layout_barrier, pipeline_barrier, run_once
from ..device.pipelines import (
    DEPTH_AFTER_PASS,
    create_compute_pipeline,
    create_descriptor_sets,
    create_set_layout,
    push_descriptor_command,
    push_set_layout,
    write_buffers,
)
from ..errors import RendererError

EMPTY = 0xFFFFFFFF  # fill pattern of an empty pixel (both halves)
WORKGROUP = 128  # local_size_x of particles_splat.comp
# vec4 base colour, uvec4 (width, height, count, the frame-wide id of particle 0), uint: the render pass's depth
# holds what it drew only where the frame's `pass_draws` is not 0 (RenderTarget.depth_if_drawn)
PUSH_BYTES = 36
# each draw's commands, as SPLAT starts: VkDrawIndexedIndirectCommand with no index yet; at SHADE_COMMAND,
# VkDispatchIndirectCommand of no workgroup yet, and the number of winners listed
DRAW_COMMANDS = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0], dtype=np.uint32)
SHADE_COMMAND = 32  # bytes
# particles per pixel of the frame from which the winners are found by pixel rather than by particle: about
# where the two cost the same at 1280x720 (bench/RESULTS.md), on a CPU driver (lavapipe, 2 cores, A/B: by
# particle 6.5 against 10.3 ms at 100k, 13.4 against 14.7 at 200k, even at 300k, 35 against 21 at 450k) and on
# a GPU (the H100: the pixel pass costs ~0.04 ms more at 30k-1M particles, 0.03 ms less at 10M)
TAKE_BY_PIXEL_FROM = {"CPU": 0.3, "GPU": 5.0}
ROW = 32  # pixels per invocation of TAKE_BY_PIXEL
# Each workgroup of SPLAT and SHADE_BY_PARTICLE takes runs of WORKGROUP consecutive particles in turn (BATCH in
# particles_splat.comp): a simulation's consecutive particles are often near each other, so a workgroup's runs
# hit the pixels its cache holds, and fewer workgroups are scheduled. As many runs as BATCHES allows up to
# MAX_BATCH for the kind of device, while at least MIN_GROUPS workgroups are left to fill the GPU. Measured on
# the H100, the benchmark's spiral: SPLAT of 100M particles 1.65 ms with one run, 1.07 with 4, 0.95 with 8,
# 0.92 with 16 (the frame 2.49 -> 1.77 ms); of 1M 0.030 -> 0.022 ms with 8; of 10k with 16 runs (5 workgroups)
# 0.026 against 0.008 ms. lavapipe: no gain (its threads take whole workgroups anyway). BATCH, where set, forces
# a number of runs (benchmarks compare them).
BATCHES = (1, 4, 16)
MAX_BATCH = {"CPU": 1, "GPU": 16}
MIN_GROUPS = 1024
BATCH: int | None = None
# the passes read the splat buffer's keys as 32-bit words (WORD_READS in particles_splat.comp: llvmpipe loads
# each lane's value in a loop, 64-bit ones at a higher cost); SPLAT's read before its atomic then compares the
# depth word alone
WORD_READS = {"CPU": True, "GPU": False}
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE = vk.VK_SHADER_STAGE_COMPUTE_BIT
COMPUTE_STAGE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
TRANSFER_STAGE = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
# set 0, per frame in flight: frame uniforms, positions, colours, the draw's indirect commands (DRAW_COMMANDS),
# large particles' indices, per-particle radii (read by the RADII variants only)
BINDINGS = {
    0: vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
    1: STORAGE,
    2: STORAGE,
    3: STORAGE,
    4: STORAGE,
    5: STORAGE,
}
# set 1, pushed with each recording: the frame's splat buffer, colour image (written), depth (read), list of
# winners (TAKE_BY_PIXEL, SHADE_LISTED) and count of the splatted draws that drew in the render pass (pass_draws)
TARGET_BINDINGS = {
    0: STORAGE,
    1: vk.VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
    2: vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
    3: STORAGE,
    4: STORAGE,
}
SPLAT_BUFFER = "point splat"  # its key in RenderTarget.per_slot
WINNERS = "point splat winners"  # ... and the list's
PASS_DRAWS = "point splat pass draws"  # ... and the count's
NEXT_ID = "point splat ids"  # ... and the frame's next free particle id in RenderTarget.this_frame
MAX_IDS = 0xFFFFFFFF  # ids below the empty pattern's low half
SHADER_RW = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
# what reads the splat's results as commands: the indirect draw of the large ones, SHADE_LISTED's dispatch; and
# where the frame's `pass_draws` decides the pass's depth clear (Drawable.pass_predicate), conditional rendering
DRAW_STAGES = vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT | vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
DRAW_READS = vk.VK_ACCESS_INDIRECT_COMMAND_READ_BIT | vk.VK_ACCESS_INDEX_READ_BIT
PREDICATE_STAGE = vk.VK_PIPELINE_STAGE_CONDITIONAL_RENDERING_BIT_EXT
PREDICATE_READ = vk.VK_ACCESS_CONDITIONAL_RENDERING_READ_BIT_EXT
# SPLAT's reduction within a subgroup: None: off (measured to cost more than it saves: subgroup_reduction());
# "partitioned", "ballot" or "off" forces one (tests and benchmarks compare them; the image is the same)
REDUCTION: str | None = None
REDUCTIONS = ("partitioned", "ballot", "off")
# what each reduction needs: subgroup operations in compute shaders, and the enabled features
SUBGROUP_NEEDS = {
    "partitioned": (
        vk.VK_SUBGROUP_FEATURE_BASIC_BIT
        | vk.VK_SUBGROUP_FEATURE_VOTE_BIT
        | vk.VK_SUBGROUP_FEATURE_BALLOT_BIT
        | 0x100,  # ..._PARTITIONED_BIT_NV
        ("subgroupPartitioned", "shaderSubgroupExtendedTypes"),
    ),
    "ballot": (
        vk.VK_SUBGROUP_FEATURE_BASIC_BIT
        | vk.VK_SUBGROUP_FEATURE_VOTE_BIT
        | vk.VK_SUBGROUP_FEATURE_BALLOT_BIT
        | vk.VK_SUBGROUP_FEATURE_ARITHMETIC_BIT,
        ("shaderSubgroupExtendedTypes",),
    ),
}


def particle_groups(count: int, max_groups: tuple[int, int]) -> tuple[int, int]:
    """The grid of workgroups (x, y) of a pass over `count` particles, rows of at most `max_groups`[0]
    (maxComputeWorkGroupCount); y past `max_groups`[1] means one dispatch cannot cover them."""
    groups = -(-count // WORKGROUP)
    x = max(1, min(groups, max_groups[0]))
    return x, -(-groups // x)


def runs_per_workgroup(count: int, max_batch: int) -> int:
    """The runs of WORKGROUP particles each workgroup of the particle passes takes for `count` particles: the
    most of BATCHES, up to `max_batch`, that leaves at least MIN_GROUPS workgroups (BATCH, where set)."""
    if BATCH is not None:
        return BATCH
    return max(b for b in BATCHES if b == 1 or (b <= max_batch and count >= b * WORKGROUP * MIN_GROUPS))


def supported(context, count: int, *buffers) -> bool:
    """The device can do 64-bit integers and their atomics, push descriptors and format-less storage image
    writes, one dispatch covers `count` particles (maxComputeWorkGroupCount), their ids and indices fit 32 bits
    and the list of large particles a storage buffer, and the shaders can read `buffers` as storage buffers
    (usage and size)."""
    limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
    max_groups = (int(limits.maxComputeWorkGroupCount[0]), int(limits.maxComputeWorkGroupCount[1]))
    features = context.enabled_features
    needed = (
        "shaderInt64",
        "shaderBufferInt64Atomics",
        "pushDescriptor",
        "shaderStorageImageWriteWithoutFormat",
    )
    return (
        all(features.get(name) for name in needed)
        and particle_groups(count, max_groups)[1] <= max_groups[1]
        and count <= MAX_IDS
        and 4 * count <= limits.maxStorageBufferRange  # the list of large particles
        and all(
            b.usage & vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT and b.size <= limits.maxStorageBufferRange
            for b in buffers
            if b is not None
        )
    )


def subgroup_reduction(context) -> str:
    """SPLAT's reduction within a subgroup on this device: "off" unless REDUCTION forces one (RendererError where
    the device cannot): "partitioned" (VK_NV_shader_subgroup_partitioned: one partition per pixel) or "ballot"
    (basic, vote, ballot and arithmetic subgroup operations: a loop over the pixels that invocations share); both
    need 64-bit subgroup arithmetic (shaderSubgroupExtendedTypes) in compute shaders. Off by default, as measured
    (bench/splat_cases.py): SPLAT's read before its atomic already spares the atomics of the particles behind,
    and what is left costs less than the reduction. On an H100, 100M particles at 1280x720, spread 2.49 ms a
    frame off against 2.96 partitioned, dense (all on ~1,650 pixels) 1.54 against 1.81, flat (one depth for
    all) 2.36 against 2.64 (bench/h100/splat_cases*.txt); on lavapipe, 1M dense, 42-75 ms off against 64-125
    with the ballot loop (a CPU driver runs a subgroup as the SIMD lanes of one thread, and few threads contend
    for a pixel)."""
    if REDUCTION is None:
        return "off"
    properties = vk.VkPhysicalDeviceSubgroupProperties()
    vk.vkGetPhysicalDeviceProperties2(
        context.physical_device, vk.VkPhysicalDeviceProperties2(pNext=properties)
    )
    compute = bool(properties.supportedStages & vk.VK_SHADER_STAGE_COMPUTE_BIT)
    operations, features = int(properties.supportedOperations), context.enabled_features

    def can(reduction: str) -> bool:
        needed_operations, needed_features = SUBGROUP_NEEDS[reduction]
        return (
            compute
            and operations & needed_operations == needed_operations
            and all(features.get(name) for name in needed_features)
        )

    if REDUCTION not in REDUCTIONS:
        raise RendererError(f"point splat reduction {REDUCTION!r}: use one of {REDUCTIONS} or None")
    if REDUCTION != "off" and not can(REDUCTION):
        operations_needed, features_needed = SUBGROUP_NEEDS[REDUCTION]
        raise RendererError(
            f"point splat reduction {REDUCTION!r}: {context.device_name} lacks it (needs subgroup operations "
            f"{operations_needed:#x} in compute shaders, it has {operations:#x}"
            f"{'' if compute else ' outside compute shaders'}, and the features {features_needed})"
        )
    return REDUCTION


# the usage of a splat's indirect commands: drawn from, written by SPLAT and by `reset_commands`, read back (tests)
COMMANDS_USAGE = (
    vk.VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT
    | vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
    | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
    | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT
)


def reset_commands(
    cb, draw: Buffer, commands: np.ndarray, predicate: bool = False, count: Buffer | None = None
) -> None:
    """Before a splat: its draw's indirect commands rewritten to `commands` (and `count`, the frame's
    `pass_draws` at the frame's first splat, set to 0), after everything that read or wrote them and the splat
    buffer (the slot's previous frame, this frame's earlier splats), before SPLAT. `predicate`: conditional
    rendering reads `pass_draws` too."""
    pipeline_barrier(
        cb,
        DRAW_STAGES | COMPUTE_STAGE | (PREDICATE_STAGE if predicate else 0),
        TRANSFER_STAGE | COMPUTE_STAGE,
        vk.VK_ACCESS_SHADER_WRITE_BIT,
        vk.VK_ACCESS_TRANSFER_WRITE_BIT | SHADER_RW,
    )
    vk.vkCmdUpdateBuffer(cb, draw.handle, 0, commands.nbytes, vk.ffi.from_buffer(commands))
    if count is not None:
        vk.vkCmdFillBuffer(cb, count.handle, 0, count.size, 0)
    pipeline_barrier(cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW)


def splat_written(cb, predicate: bool = False) -> None:
    """After a splat: what it wrote visible to the render pass's indirect draw and to the passes after it (and
    with `predicate`, to conditional rendering)."""
    stages, reads = (PREDICATE_STAGE, PREDICATE_READ) if predicate else (0, 0)
    pipeline_barrier(
        cb,
        COMPUTE_STAGE,
        DRAW_STAGES | COMPUTE_STAGE | stages,
        vk.VK_ACCESS_SHADER_WRITE_BIT,
        DRAW_READS | SHADER_RW | reads,
    )


def splat_bytes(width: int, height: int) -> int:
    """The splat buffer's size for a frame: whole tiles of 32x16 pixels (particles_splat.comp). The list of
    winners is as long: a uvec2 per pixel."""
    return 8 * (32 * 16) * ((width + 31) // 32) * ((height + 15) // 16)


def slot_buffer(
    context, target, key: str, fill: int | None = None, size: int | None = None, usage: int = 0
) -> Buffer:
    """The slot's buffer `key` (SPLAT_BUFFER, WINNERS: of `splat_bytes` for the target's size; PASS_DRAWS: of
    `size`), shared by the frame's splatted draws: made, with `usage` besides storage and transfers, and filled
    with `fill` if given, when missing or of another size (while recording, so the GPU is idle)."""
    size = splat_bytes(target.width, target.height) if size is None else size
    buffer = target.per_slot.get(key)
    if buffer is not None and buffer.size == size:
        return buffer
    if buffer is not None:
        buffer.destroy()
        del target.per_slot[key]
    usage |= vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
    usage |= vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT  # to read it back (tests)
    lower = f"lower the frame size {target.width}x{target.height}"
    buffer = Buffer(context, size, usage, name=f"particle splat {key}", lower=lower)
    try:
        if fill is not None:

            def record(cb):
                vk.vkCmdFillBuffer(cb, buffer.handle, 0, buffer.size, fill)
                pipeline_barrier(
                    cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW
                )

            run_once(context, record)
    except BaseException:
        buffer.destroy()
        raise
    target.per_slot[key] = buffer
    return buffer


def take_by_pixel(count: int, width: int, height: int, from_per_pixel: float, max_groups: int) -> bool:
    """Whether pass 2 goes by pixel: from `from_per_pixel` particles per pixel of the frame, if one dispatch of
    SHADE_LISTED can cover every pixel of the buffer listed (`max_groups`: maxComputeWorkGroupCount[0])."""
    pixels = splat_bytes(width, height) // 8
    return count >= from_per_pixel * width * height and -(-pixels // WORKGROUP) <= max_groups


def splat_buffer(context, target) -> Buffer:
    """The slot's splat buffer: emptied once; from then on each frame's pass 2 leaves it empty."""
    return slot_buffer(context, target, SPLAT_BUFFER, EMPTY)


def conditional_rendering(context) -> bool:
    """Whether the device's conditional rendering is enabled: then the frame's depth clear may hang on
    `pass_draws`."""
    return bool(context.enabled_features.get("conditionalRendering"))


def pass_draws(context, target) -> Buffer:
    """The slot's count of the frame's splatted draws that listed large particles or triangles for the render
    pass (a uint32): zeroed before the frame's first SPLAT (`first_pass_draws`), each SPLAT adds its draw; where
    the pass's depth clear hangs on it (frame/offscreen.py, RenderTarget.depth_if_drawn), conditional rendering
    and the shading after the pass read it. Made with conditional rendering's usage where the device has it."""
    usage = vk.VK_BUFFER_USAGE_CONDITIONAL_RENDERING_BIT_EXT if conditional_rendering(context) else 0
    return slot_buffer(context, target, PASS_DRAWS, 0, size=4, usage=usage)


def pass_count(context, target):
    """(buffer, offset) of the frame's `pass_draws`, which a splatted draw's SPLAT added it to if it listed large
    particles or triangles, for conditional rendering (Drawable.pass_predicate); None where the device has
    none."""
    return (pass_draws(context, target), 0) if conditional_rendering(context) else None


def first_pass_draws(context, target) -> Buffer | None:
    """`pass_draws` at the frame's first splat, for `reset_commands` to zero; None at the others."""
    if target.this_frame.get(PASS_DRAWS):
        return None
    target.this_frame[PASS_DRAWS] = True
    return pass_draws(context, target)


def frame_buffers(context, target) -> list:
    """The push-descriptor writes of what every splat pass binds of the frame: the splat buffer and
    `pass_draws` (TARGET_BINDINGS 0 and 4)."""
    return [buffer_write(0, splat_buffer(context, target)), buffer_write(4, pass_draws(context, target))]


def buffer_write(binding: int, buffer: Buffer):
    """A push-descriptor write of the whole of `buffer` as the storage buffer at `binding`."""
    info = vk.VkDescriptorBufferInfo(buffer=buffer.handle, offset=0, range=buffer.size)
    return vk.VkWriteDescriptorSet(
        dstBinding=binding, descriptorCount=1, descriptorType=STORAGE, pBufferInfo=[info]
    )


def target_images(sampler, target) -> list:
    """The push-descriptor writes of the frame's colour image (written, in GENERAL) and depth (sampled, as the
    render pass left it): TARGET_BINDINGS 1 and 2, for the passes after the render pass."""
    general = vk.VK_IMAGE_LAYOUT_GENERAL
    infos = {
        1: vk.VkDescriptorImageInfo(imageView=target.color_view, imageLayout=general),
        2: vk.VkDescriptorImageInfo(
            sampler=sampler, imageView=target.depth_view, imageLayout=DEPTH_AFTER_PASS
        ),
    }
    return [
        vk.VkWriteDescriptorSet(
            dstBinding=b, descriptorCount=1, descriptorType=TARGET_BINDINGS[b], pImageInfo=[info]
        )
        for b, info in infos.items()
    ]


def color_to_compute(cb, target) -> None:
    """Before a pass after the render pass writes the frame: the colour image into GENERAL. The render pass's
    dependency to after it made its writes visible to compute shaders and left the depth image in
    DEPTH_AFTER_PASS; another splatted draw's pass may have written the splat buffer and the image, and read
    the list of winners."""
    to_compute = layout_barrier(target.color, target.color_layout, vk.VK_IMAGE_LAYOUT_GENERAL, 0, SHADER_RW)
    pipeline_barrier(
        cb, COMPUTE_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_WRITE_BIT, SHADER_RW, images=[to_compute]
    )


def color_back(cb, target) -> None:
    """After such a pass: the colour image back to the layout the frame reads or presents it in; whatever
    reads the frame next (copy, screenshot, present, another draw's pass) is after this."""
    back = layout_barrier(
        target.color,
        vk.VK_IMAGE_LAYOUT_GENERAL,
        target.color_layout,
        vk.VK_ACCESS_SHADER_WRITE_BIT,
        vk.VK_ACCESS_MEMORY_READ_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT,
    )
    pipeline_barrier(cb, COMPUTE_STAGE, vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, images=[back])


class PointSplat:
    """A particle draw's index lists and indirect commands for each frame in flight, and the pipelines.
    `uniforms` are the particle draw's FrameUniforms (read here by the compute shader); `radii`: a float32
    buffer of per-particle radii, or None (the shaders' RADII variants read it)."""

    def __init__(self, context, render_pass, positions, colors, base_color, count: int, uniforms, radii=None):
        self.context, self.positions, self.colors, self.count = context, positions, colors, count
        self.radii = radii
        self.uniform_buffers = uniforms.buffers
        slots = len(self.uniform_buffers)
        self.draws: list[Buffer] = []
        self.indices: list[Buffer] = []
        self.set_layout = self.target_layout = self.pool = self.sampler = None
        # (variant, runs per workgroup) of particles_splat.comp -> (pipeline, layout)
        self.pipelines: dict[tuple, tuple] = {}
        self.push = np.zeros(PUSH_BYTES // 4, dtype=np.uint32)
        self.push[:4] = np.array([*base_color, 1.0 if colors is not None else 0.0], np.float32).view(
            np.uint32
        )
        self.push[6] = count
        limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
        self.max_splat_bytes = int(limits.maxStorageBufferRange)
        self.max_groups = int(limits.maxComputeWorkGroupCount[0])
        self.max_grid = (self.max_groups, int(limits.maxComputeWorkGroupCount[1]))
        self.reduction = subgroup_reduction(context)
        kind = "CPU" if context.device_type == "CPU" else "GPU"
        self.take_by_pixel_from = TAKE_BY_PIXEL_FROM[kind]
        self.max_batch = MAX_BATCH[kind]
        self.defines = ("RADII",) if radii is not None else ()
        self.defines += ("WORD_READS",) if WORD_READS[kind] else ()
        self.render_pass = render_pass
        # SPLAT counts its draw in the frame where it lists large particles (pass_count): that count may decide
        # the render pass's depth clear
        self.predicate = conditional_rendering(context)
        device = context.device
        self._push_descriptors = push_descriptor_command(device)
        try:
            self.set_layout = create_set_layout(device, BINDINGS, COMPUTE)
            # the render pass's, like the pipelines (pipelines.py): not destroyed here
            self.target_layout = push_set_layout(
                device, render_pass, "point splat target", TARGET_BINDINGS, COMPUTE
            )
            self.pool, self.sets = create_descriptor_sets(device, self.set_layout, BINDINGS, slots)
            self.sampler = create_sampler(device)
            index_usage = vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT | vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
            for i in range(slots):
                self.indices.append(
                    Buffer(
                        context,
                        4 * count,
                        index_usage,
                        name=f"large particles {i}",
                        lower=f"draw fewer than {count:,} particles",
                    )
                )
                self.draws.append(
                    Buffer(context, DRAW_COMMANDS.nbytes, COMMANDS_USAGE, name=f"particle draw {i}")
                )
            for variant in ("SPLAT", "SHADE_BY_PARTICLE", "TAKE_BY_PIXEL", "SHADE_LISTED"):
                self._pipeline(variant)  # made now: a shader that fails to build fails here
            self._write_descriptors()
        except BaseException:
            self.destroy()
            raise

    @property
    def batch(self) -> int:
        """Runs of WORKGROUP particles per workgroup of the particle passes, for the particles drawn now."""
        return runs_per_workgroup(self.count, self.max_batch)

    def _pipeline(self, variant: str) -> tuple:
        """(pipeline, layout) of `variant` of particles_splat.comp, with the particle passes' `batch` runs,
        made on first use (pipelines and their layouts are the render pass's, pipelines.py: not destroyed
        here)."""
        batch = self.batch if variant in ("SPLAT", "SHADE_BY_PARTICLE") else 1
        key = (variant, batch)
        if key not in self.pipelines:
            defines = (variant, *self.defines)
            if variant == "SPLAT" and self.reduction != "off":
                defines += (f"REDUCE_{self.reduction.upper()}",)
            if batch != 1:
                defines += (f"BATCH {batch}u",)
            self.pipelines[key] = create_compute_pipeline(
                self.context.device,
                self.render_pass,
                [self.set_layout, self.target_layout],
                f"point splat, {variant}",
                shaders.load_builtin("particles_splat.comp", defines=defines),
                PUSH_BYTES,
            )
        return self.pipelines[key]

    def usable(self, target) -> bool:
        """Whether this frame can be splatted: its colour image is a storage image, the splat buffer for its
        size fits a storage buffer, and the frame's particle ids last."""
        return (
            target.storage
            and splat_bytes(target.width, target.height) <= self.max_splat_bytes
            and target.this_frame.get(NEXT_ID, 0) + self.count <= MAX_IDS
        )

    def _write_descriptors(self) -> None:
        colors = self.colors if self.colors is not None else self.positions  # unread, but must be valid
        radii = self.radii if self.radii is not None else self.positions  # likewise
        for i, descriptor_set in enumerate(self.sets):
            buffers = [self.uniform_buffers[i], self.positions, colors, self.draws[i], self.indices[i], radii]
            write_buffers(self.context.device, descriptor_set, BINDINGS, buffers)

    # -- recording, into a target `usable()` accepted, in this order

    def record_before_pass(self, cb, slot: int, target) -> None:
        """Take this draw's ids in the frame, empty its indirect commands, splat (pass 1), and make the results
        visible to the render pass's indirect draw and to the passes after it."""
        first_id = target.this_frame.get(NEXT_ID, 0)
        target.this_frame[NEXT_ID] = first_id + self.count
        self.push[4:6] = (target.width, target.height)
        self.push[7] = first_id
        # after the previous frame of this slot: its draw and dispatch read the commands and list rewritten
        # now, and its passes 2 wrote the splat buffer back to empty; and after this frame's other splats
        count = first_pass_draws(self.context, target)
        reset_commands(cb, self.draws[slot], DRAW_COMMANDS, self.predicate, count)
        with target.span(cb, "splat"):
            self._dispatch(cb, slot, "SPLAT", frame_buffers(self.context, target), self.particle_groups)
        splat_written(cb, self.predicate)

    def record_large(self, cb, slot: int) -> None:
        """Inside the render pass, with the sprite pipeline and vertex buffers bound: the large particles."""
        vk.vkCmdBindIndexBuffer(cb, self.indices[slot].handle, 0, vk.VK_INDEX_TYPE_UINT32)
        vk.vkCmdDrawIndexedIndirect(cb, self.draws[slot].handle, 0, 1, 0)

    def record_after_pass(self, cb, slot: int, target) -> None:
        """The winners' colours into the frame, where they are in front of what the pass drew (pass 2); then
        the colour image goes back to the layout the frame reads or presents it in."""
        color_to_compute(cb, target)
        self.push[8] = target.depth_if_drawn
        images = target_images(self.sampler, target)
        frame = frame_buffers(self.context, target)
        pixels = splat_bytes(target.width, target.height) // 8
        if take_by_pixel(self.count, target.width, target.height, self.take_by_pixel_from, self.max_groups):
            winners = buffer_write(3, slot_buffer(self.context, target, WINNERS))
            with target.span(cb, "splat take"):
                self._dispatch(cb, slot, "TAKE_BY_PIXEL", [*frame, winners], -(-pixels // (ROW * WORKGROUP)))
            pipeline_barrier(
                cb,
                COMPUTE_STAGE,
                COMPUTE_STAGE | vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT,
                vk.VK_ACCESS_SHADER_WRITE_BIT,
                vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_INDIRECT_COMMAND_READ_BIT,
            )
            with target.span(cb, "splat shade"):
                self._dispatch(cb, slot, "SHADE_LISTED", [*frame, winners, *images], None)
        else:
            with target.span(cb, "splat shade"):
                self._dispatch(cb, slot, "SHADE_BY_PARTICLE", [*frame, *images], self.particle_groups)
        color_back(cb, target)

    @property
    def particle_groups(self) -> tuple[int, int]:
        """The grid of workgroups over the particles drawn now (`count`, which a change records the frames again
        for), not over the arrays' capacity; each workgroup takes `batch` runs of them."""
        return particle_groups(-(-max(self.count, 1) // self.batch), self.max_grid)

    def _dispatch(
        self, cb, slot: int, variant: str, pushed: list, groups: int | tuple[int, int] | None
    ) -> None:
        """A pass of `variant`: `groups` workgroups (a count, or a grid x, y), or as many as the draw's
        SHADE_COMMAND says."""
        pipeline, layout = self._pipeline(variant)
        bind = vk.VK_PIPELINE_BIND_POINT_COMPUTE
        vk.vkCmdBindPipeline(cb, bind, pipeline)
        vk.vkCmdBindDescriptorSets(cb, bind, layout, 0, 1, [self.sets[slot]], 0, None)
        self._push_descriptors(cb, bind, layout, 1, len(pushed), pushed)
        vk.vkCmdPushConstants(cb, layout, COMPUTE, 0, PUSH_BYTES, vk.ffi.from_buffer(self.push))
        if groups is None:
            vk.vkCmdDispatchIndirect(cb, self.draws[slot].handle, SHADE_COMMAND)
        else:
            x, y = groups if isinstance(groups, tuple) else (groups, 1)
            vk.vkCmdDispatch(cb, x, y, 1)

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the frames that used it."""
        device = self.context.device
        self.pipelines = {}  # the render pass's
        self.target_layout = self.render_pass = None  # the render pass's
        for attr, kind, destroy in (
            ("pool", "DescriptorPool", vk.vkDestroyDescriptorPool),  # frees its sets
            ("set_layout", "DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout),
            ("sampler", "Sampler", vk.vkDestroySampler),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                vk_destroy(kind, destroy, device, handle, None)
        for buffer in self.draws + self.indices:
            buffer.destroy()
        self.draws, self.indices = [], []
