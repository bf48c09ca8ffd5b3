"""Triangle splatting for meshes of many small triangles: the point splat's machinery (point_splat.py) for MeshDraw.

A CPU rasterizer (lavapipe's llvmpipe) pays a set-up and binning per triangle however few pixels it covers: at 1M
triangles of the mesh benchmark's sheet (bench/mesh_scene.py) at 1280x720, most cover one pixel centre or none,
and render + readback cost ~70 ms a frame. `mesh_splat.comp` does the rasterizer's work for those in compute
passes instead, into the frame's shared splat buffer (a uint64 per pixel: depth bits << 32 | an id unique in
the frame, all ones empty):

1. before the render pass, TRANSFORM puts each vertex where the rasterizer would (window position, depth, clip w),
   then SPLAT takes each triangle whose snapped box holds at most MAX_SPAN x MAX_SPAN pixel centres and writes
   (depth, id) with atomicMin into each centre it covers, by the rasterizer's own rules (8 subpixel bits, the
   top-left fill rule; so a pixel on an edge between two triangles goes to one of them, splatted or not); the
   larger triangles, and those the rasterizer would clip, are appended to an indexed indirect draw of
   mesh.vert/mesh.frag in the render pass, where they meet the frame's other opaque draws in the depth buffer;
2. after the render pass, RESOLVE takes each pixel the draw won back to empty and, where its triangle is nearer
   than the render pass's depth, writes mesh.frag's shading of it into the frame.

A probe measured it against the rasterizer (static frames, lavapipe, 2 cores, 1280x720):
1M triangles 40.8 against 68.7 ms a frame (1.7x), 500k 29.0 against 43.1, 320k 24.8 against 28.4, and at 100k
(three pixels a triangle, 40% of them large) 24.5 against 13.0: the resolve's cost is per pixel of the frame
and the splat's per triangle. So a mesh is splatted from SPLAT_FROM triangles per pixel of the frame on. On an
H100 (bench/mesh_cases.py, the benchmark's sheet, read back) the rasterizer, one quad of fragments per tiny
triangle, loses far earlier: 1M triangles 0.33 against 1.44 ms a frame, 10M 0.55 against 8.25, 100k 0.41
against 0.53 (bench/h100/mesh_cases.txt).

The image is the rasterizer's to within a level per channel (the shading's float rounding) except where the
rasterizer's snapping or depth differs from this one's by a rounding, on edge pixels: 0 of 921,600 pixels at 1M
triangles, 1 at 100k. Without what the point splat needs (`point_splat.supported`), for an index or vertex count
past what one dispatch or a storage buffer covers, for a transparent mesh, in a frame with transparent draws (the
splat writes no depth for them to be tested against) or whose colour image is not a storage image, the mesh is
rasterized whole. Picking draws the mesh with the rasterizer as always.
"""

from __future__ import annotations

import numpy as np

from ..device import shaders, vk
from ..device.handles import create_sampler, vk_destroy
from ..device.memory import Buffer, pipeline_barrier
from ..device.pipelines import (
    create_compute_pipeline,
    create_descriptor_sets,
    create_set_layout,
    push_descriptor_command,
    push_set_layout,
    write_buffers,
)
from .point_splat import (
    COMMANDS_USAGE,
    MAX_IDS,
    NEXT_ID,
    TARGET_BINDINGS,
    color_back,
    color_to_compute,
    conditional_rendering,
    first_pass_draws,
    frame_buffers,
    particle_groups,
    reset_commands,
    splat_bytes,
    splat_written,
    target_images,
)
from .point_splat import supported as point_splat_supported

MAX_SPAN = 3  # pixel centres per side of a splatted triangle's box (mesh_splat.comp's)
# triangles per pixel of the frame from which a mesh is splatted (the module docstring: the splat wins from ~0.3
# on lavapipe, from ~0.1 on an H100; None: never)
SPLAT_FROM = {"CPU": 0.3, "GPU": 0.1}
# vec4 base colour, uvec4 (width, height, triangles or vertices, the frame-wide id of triangle 0), uint: the
# render pass's depth holds what it drew only where the large triangles' count is not 0 (point_splat's)
PUSH_BYTES = 36
DRAW_COMMAND = np.array(
    [0, 1, 0, 0, 0, 0, 0, 0], dtype=np.uint32
)  # the large triangles' draw, as SPLAT starts
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE = vk.VK_SHADER_STAGE_COMPUTE_BIT
COMPUTE_STAGE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
SHADER_RW = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
# set 0, per frame in flight: the mesh's uniforms, positions, normals, indices, colours (or none), the large
# triangles' draw command and indices, the transformed vertices
BINDINGS = {0: vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, **dict.fromkeys(range(1, 8), STORAGE)}
VARIANTS = ("TRANSFORM", "SPLAT", "RESOLVE")


def supported(context, vertex_count: int, triangles: int, *buffers) -> bool:
    """What the point splat needs (point_splat.supported: 64-bit atomics, push descriptors, format-less storage
    image writes, `buffers` readable as storage buffers), for passes over `vertex_count` vertices and
    `triangles` triangles, whose transformed vertices and large triangles' indices fit storage buffers, on a
    device where splatting is measured to pay (SPLAT_FROM)."""
    limit = context.max_storage_buffer_range
    return (
        SPLAT_FROM["CPU" if context.device_type == "CPU" else "GPU"] is not None
        and point_splat_supported(context, max(vertex_count, triangles), *buffers)
        and 16 * vertex_count <= limit
        and 12 * triangles <= limit
    )


class TriangleSplat:
    """A mesh draw's compute passes: for each frame in flight the large triangles' draw command and indices, and
    the transformed vertices; the three pipelines. `uniforms`: the mesh's FrameUniforms (MeshDraw.UNIFORMS, read
    here too); `colors`: per-vertex vec3s or None (then `color` for all)."""

    def __init__(
        self,
        context,
        render_pass,
        positions,
        normals,
        indices,
        colors,
        color,
        vertex_count: int,
        triangles: int,
        uniforms,
    ):
        # triangles: at most (the draw's capacity); the frame's count comes with each recording
        self.context, self.vertex_count, self.triangles = context, vertex_count, triangles
        self.draws: list[Buffer] = []
        self.large: list[Buffer] = []
        self.screen: list[Buffer] = []
        self.set_layout = self.pool = self.sampler = None
        self.pipelines: dict[str, tuple] = {}
        self.push = np.zeros(PUSH_BYTES // 4, dtype=np.uint32)
        self.push[:4] = np.array([*color, 1.0 if colors is not None else 0.0], np.float32).view(np.uint32)
        # SPLAT counts its draw in the frame where it lists large triangles (pass_count): that count may decide
        # the render pass's depth clear
        self.predicate = conditional_rendering(context)
        limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
        self.max_grid = (int(limits.maxComputeWorkGroupCount[0]), int(limits.maxComputeWorkGroupCount[1]))
        self.splat_from = SPLAT_FROM["CPU" if context.device_type == "CPU" else "GPU"]
        device = context.device
        self._push_descriptors = push_descriptor_command(device)
        slots = len(uniforms.buffers)
        try:
            self.set_layout = create_set_layout(device, BINDINGS, COMPUTE)
            # the point splat's, shared: made once per render pass and kept with it (pipelines.py)
            target_layout = push_set_layout(
                device, render_pass, "point splat target", TARGET_BINDINGS, COMPUTE
            )
            self.pool, self.sets = create_descriptor_sets(device, self.set_layout, BINDINGS, slots)
            self.sampler = create_sampler(device)
            storage = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
            fewer = f"draw fewer than {self.triangles:,} triangles"
            for i in range(slots):
                self.draws.append(
                    Buffer(context, DRAW_COMMAND.nbytes, COMMANDS_USAGE, name=f"mesh splat draw {i}")
                )
                self.large.append(
                    Buffer(
                        context,
                        12 * self.triangles,
                        storage | vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT,
                        name=f"large triangles {i}",
                        lower=fewer,
                    )
                )
                self.screen.append(
                    Buffer(
                        context,
                        16 * vertex_count,
                        storage,
                        name=f"transformed vertices {i}",
                        lower=f"draw fewer than {vertex_count:,} vertices",
                    )
                )
            # pipelines and their layouts are the render pass's (pipelines.py): not destroyed here
            for variant in VARIANTS:
                self.pipelines[variant] = create_compute_pipeline(
                    device,
                    render_pass,
                    [self.set_layout, target_layout],
                    f"mesh splat, {variant}",
                    shaders.load_builtin("mesh_splat.comp", defines=(variant,)),
                    PUSH_BYTES,
                )
            unread = colors if colors is not None else positions  # must be valid
            for i, descriptor_set in enumerate(self.sets):
                buffers = [
                    uniforms.buffers[i],
                    positions,
                    normals,
                    indices,
                    unread,
                    self.draws[i],
                    self.large[i],
                    self.screen[i],
                ]
                write_buffers(device, descriptor_set, BINDINGS, buffers)
        except BaseException:
            self.destroy()
            raise

    def usable(self, target, triangles: int) -> bool:
        """Whether this frame splats the mesh's first `triangles`: enough of them per pixel of the frame
        (SPLAT_FROM), its colour image a storage image, the splat buffer for its size a storage buffer, and the
        frame's ids last."""
        return (
            triangles > 0
            and triangles >= self.splat_from * target.width * target.height
            and target.storage
            and splat_bytes(target.width, target.height) <= self.context.max_storage_buffer_range
            and target.this_frame.get(NEXT_ID, 0) + triangles <= MAX_IDS
        )

    # -- recording, into a target `usable()` accepted, in this order

    def record_before_pass(self, cb, slot: int, target, triangles: int) -> None:
        """Take the triangles' ids in the frame, empty the large triangles' draw, transform the vertices, splat,
        and make the results visible to the render pass's indirect draw and to RESOLVE."""
        first_id = target.this_frame.get(NEXT_ID, 0)
        target.this_frame[NEXT_ID] = first_id + triangles
        self.push[4:8] = (target.width, target.height, self.vertex_count, first_id)
        splat = frame_buffers(self.context, target)
        # after the previous frame of this slot: its draw read the command and indices rewritten now, its RESOLVE
        # the transformed vertices, and its passes after the render pass wrote the splat buffer back to empty;
        # and after this frame's other splats
        count = first_pass_draws(self.context, target)
        reset_commands(cb, self.draws[slot], DRAW_COMMAND, self.predicate, count)
        with target.span(cb, "mesh splat"):
            self._dispatch(cb, slot, "TRANSFORM", splat, particle_groups(self.vertex_count, self.max_grid))
            pipeline_barrier(cb, COMPUTE_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_WRITE_BIT, SHADER_RW)
            self.push[6] = triangles  # SPLAT's and RESOLVE's
            self._dispatch(cb, slot, "SPLAT", splat, particle_groups(triangles, self.max_grid))
        splat_written(cb, self.predicate)

    def record_large(self, cb, slot: int) -> None:
        """Inside the render pass, with the mesh's pipeline and vertex buffers bound: the large triangles."""
        vk.vkCmdBindIndexBuffer(cb, self.large[slot].handle, 0, vk.VK_INDEX_TYPE_UINT32)
        vk.vkCmdDrawIndexedIndirect(cb, self.draws[slot].handle, 0, 1, 0)

    def record_after_pass(self, cb, slot: int, target) -> None:
        """The won pixels' shading into the frame where nearer than what the pass drew, the pixels back to
        empty; then the colour image back to the layout the frame reads or presents it in."""
        color_to_compute(cb, target)
        self.push[8] = target.depth_if_drawn
        pushed = [*frame_buffers(self.context, target), *target_images(self.sampler, target)]
        pixels = splat_bytes(target.width, target.height) // 8
        with target.span(cb, "mesh resolve"):
            self._dispatch(cb, slot, "RESOLVE", pushed, particle_groups(pixels, self.max_grid))
        color_back(cb, target)

    def _dispatch(self, cb, slot: int, variant: str, pushed: list, groups: tuple[int, int]) -> None:
        pipeline, layout = self.pipelines[variant]
        bind = vk.VK_PIPELINE_BIND_POINT_COMPUTE
        vk.vkCmdBindPipeline(cb, bind, pipeline)
        vk.vkCmdBindDescriptorSets(cb, bind, layout, 0, 1, [self.sets[slot]], 0, None)
        self._push_descriptors(cb, bind, layout, 1, len(pushed), pushed)
        vk.vkCmdPushConstants(cb, layout, COMPUTE, 0, PUSH_BYTES, vk.ffi.from_buffer(self.push))
        vk.vkCmdDispatch(cb, *groups, 1)

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the frames that used it."""
        device = self.context.device
        self.pipelines = {}  # the render pass's
        for attr, kind, destroy in (
            ("pool", "DescriptorPool", vk.vkDestroyDescriptorPool),  # frees its sets
            ("set_layout", "DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout),
            ("sampler", "Sampler", vk.vkDestroySampler),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                vk_destroy(kind, destroy, device, handle, None)
        for buffer in self.draws + self.large + self.screen:
            buffer.destroy()
        self.draws, self.large, self.screen = [], [], []
