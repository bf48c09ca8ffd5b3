"""Probe: can compute passes that splat small triangles beat lavapipe's rasterizer on the mesh benchmark's sheet?

The mesh benchmark (bench/mesh_scene.py, 1280x720, every frame read back) at 1M triangles costs ~78 ms a frame
of render + readback alone on lavapipe (2 cores): llvmpipe's per-triangle set-up and binning, while most
triangles cover a pixel centre or none. This compares, in one process on one device, the static frame (the
sheet's positions written once, then no kernel: render + readback) of

- `raster`: MeshDraw as it is (mesh.vert, the rasterizer, mesh.frag);
- `splat`: triangle_splat_probe.comp's SPLAT before the render pass (each triangle whose snapped bounding box
  holds at most MAX_SPAN x MAX_SPAN pixel centres: the rasterizer's coverage, 8 subpixel bits and the top-left
  rule, atomicMin of (depth, frame-wide id) into the point splat's per-pixel buffer; the others appended to an
  indirect draw of the rasterizer in the pass), then its RESOLVE after the pass (one invocation per pixel: the
  won pixels shaded as mesh.frag, perspective-correct, and back to empty);
- `splat-pre`: the same with the vertices transformed once per frame first (TRANSFORM: window position, depth
  and clip w per vertex), which SPLAT and RESOLVE read instead of transforming each triangle's three vertices
  (each vertex is shared by ~6 triangles).

The variants take turns (`--repeat`), each turn `--frames` timed frames after `--warmup`; the table gives the
median of the turns' medians. The last frame of each variant is saved (`--out`) and compared with the raster
frame pixel by pixel.

    .venv/bin/python bench/triangle_splat_probe.py --grid 708 --repeat 5

The probe's mesh is built with `splat=False`, so MeshDraw's own splat (which came from this probe) stays out of
the `raster` variant.

Results (lavapipe, llvmpipe LLVM 15, 2 cores, 1280x720, static frames read back; median of 5 turns of 12 timed
frames, 3 turns of 8 for 320k-600k; in the same process, variants alternating):

| triangles (grid) | raster ms | splat ms | splat-pre ms | splat-pre x raster | to the rasterizer |
| --- | --- | --- | --- | --- | --- |
| 999,698 (708) | 68.7 | 50.8 | 40.8 | 1.68 | 0 |
| 717,602 (600) | 58.4 | | 35.3 | 1.65 | 0 |
| 498,002 (500) | 43.1 | | 29.0 | 1.49 | 0 |
| 318,402 (400) | 28.4 | | 24.8 | 1.15 | 1,054 |
| 100,352 (225) | 13.0 | 33.2 | 24.5 | 0.53 | 40,087 |

GPU time per pass at 1M (timestamps, one turn): raster: render pass 74.8 ms; splat-pre: transform 4.6, splat 13.4,
render pass 1.0 (clear only), resolve 20.7. Of the resolve, emptying the pixels costs ~1.9 ms, imageStore ~1;
the rest is fetching each won pixel's triangle (indices, transformed vertices, normals) and shading it.

Images: at 1M, 0 pixels differ from the raster frame by more than 1 level (15 by 1); at 100k (splatted and
rasterized triangles side by side) 1 pixel (6 by any). The decision rule (at least ~1.4x at 1M) holds: the
pre-transformed variant became renderer/draw/triangle_splat.py, used by MeshDraw from 0.3 triangles per pixel
of the frame on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mesh_scene import COLOR, WaveMesh  # noqa: E402
from renderer.device import shaders, vk  # noqa: E402
from renderer.device.handles import create_sampler, vk_create, vk_destroy  # noqa: E402
from renderer.device.memory import Buffer, layout_barrier, pipeline_barrier  # noqa: E402
from renderer.device.pipelines import (  # noqa: E402
    DEPTH_AFTER_PASS,
    create_compute_pipeline,
    create_set_layout,
    push_set_layout,
)
from renderer.draw.mesh import MeshDraw  # noqa: E402
from renderer.draw.point_splat import (  # noqa: E402
    NEXT_ID,
    TARGET_BINDINGS,
    WORKGROUP,
    particle_groups,
    splat_buffer,
    splat_bytes,
)

SHADER = Path(__file__).with_suffix(".comp")
STORAGE = vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
COMPUTE = vk.VK_SHADER_STAGE_COMPUTE_BIT
COMPUTE_STAGE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
TRANSFER_STAGE = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
SHADER_RW = vk.VK_ACCESS_SHADER_READ_BIT | vk.VK_ACCESS_SHADER_WRITE_BIT
DRAW_STAGES = vk.VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT | vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
DRAW_READS = vk.VK_ACCESS_INDIRECT_COMMAND_READ_BIT | vk.VK_ACCESS_INDEX_READ_BIT
BINDINGS = {0: vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, **{b: STORAGE for b in range(1, 8)}}
DRAW_COMMAND = np.array([0, 1, 0, 0, 0, 0, 0, 0], dtype=np.uint32)  # no large triangle yet
PUSH_BYTES = 32
VARIANTS = ("raster", "splat", "splat-pre")


def compile_variant(define: str, pretransformed: bool, max_span: int) -> bytes:
    version, _, rest = SHADER.read_text().partition("\n")
    defines = [define, f"MAX_SPAN {max_span}"] + (["PRETRANSFORMED"] if pretransformed else [])
    source = "\n".join([version, *(f"#define {d}" for d in defines), "#line 2", rest])
    return shaders.compile_glsl(source, "comp", str(SHADER))


class TriangleSplat:
    """The compute passes of one mesh draw: per slot its indirect command, large triangles' indices and
    transformed vertices; pipelines for the plain and the pre-transformed variants."""

    def __init__(self, draw: MeshDraw, context, render_pass, vertex_count: int, max_span: int):
        self.context, self.draw = context, draw
        self.vertex_count, self.triangles = vertex_count, draw.index_count // 3
        slots = len(draw.uniforms.buffers)
        device = context.device
        self.push = np.zeros(8, dtype=np.uint32)
        self.push[:4] = np.array([*COLOR, 0.0], np.float32).view(np.uint32)
        self._push_descriptors = vk.vkGetDeviceProcAddr(device, "vkCmdPushDescriptorSetKHR")
        limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
        self.max_grid = (int(limits.maxComputeWorkGroupCount[0]), int(limits.maxComputeWorkGroupCount[1]))
        self.pretransformed = False
        self.draws, self.large, self.screen = [], [], []
        self.set_layout = create_set_layout(device, BINDINGS, COMPUTE)
        self.target_layout = push_set_layout(
            device, render_pass, "point splat target", TARGET_BINDINGS, COMPUTE
        )
        sizes = [vk.VkDescriptorPoolSize(type=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, descriptorCount=slots)]
        sizes.append(vk.VkDescriptorPoolSize(type=STORAGE, descriptorCount=7 * slots))
        self.pool = vk_create(
            "DescriptorPool",
            vk.vkCreateDescriptorPool,
            device,
            vk.VkDescriptorPoolCreateInfo(maxSets=slots, pPoolSizes=sizes),
            None,
        )
        self.sets = vk.vkAllocateDescriptorSets(
            device,
            vk.VkDescriptorSetAllocateInfo(descriptorPool=self.pool, pSetLayouts=[self.set_layout] * slots),
        )
        self.sampler = create_sampler(device)
        storage = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
        for i in range(slots):
            usage = vk.VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT | storage | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
            usage |= vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT
            self.draws.append(Buffer(context, DRAW_COMMAND.nbytes, usage, host=True, name=f"probe draw {i}"))
            usage = storage | vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT
            self.large.append(Buffer(context, 4 * draw.index_count, usage, name=f"probe large {i}"))
            self.screen.append(Buffer(context, 16 * vertex_count, storage, name=f"probe screen {i}"))
        self.pipelines = {}
        for pre in (False, True):
            for define in ("TRANSFORM", "SPLAT", "RESOLVE"):
                if define == "TRANSFORM" and not pre:
                    continue
                spirv = compile_variant(define, pre, max_span)
                self.pipelines[define, pre] = create_compute_pipeline(
                    device,
                    render_pass,
                    [self.set_layout, self.target_layout],
                    "probe triangle splat",
                    spirv,
                    PUSH_BYTES,
                )
        colors = draw.colors if draw.colors is not None else draw.positions
        for i, descriptor_set in enumerate(self.sets):
            buffers = [
                draw.uniforms.buffers[i],
                draw.positions,
                draw.normals,
                draw.indices,
                colors,
                self.draws[i],
                self.large[i],
                self.screen[i],
            ]
            writes = [
                vk.VkWriteDescriptorSet(
                    dstSet=descriptor_set,
                    dstBinding=b,
                    descriptorCount=1,
                    descriptorType=BINDINGS[b],
                    pBufferInfo=[vk.VkDescriptorBufferInfo(buffer=buf.handle, offset=0, range=buf.size)],
                )
                for b, buf in enumerate(buffers)
            ]
            vk.vkUpdateDescriptorSets(device, len(writes), writes, 0, None)

    @staticmethod
    def _buffer_write(binding: int, buffer: Buffer):
        info = vk.VkDescriptorBufferInfo(buffer=buffer.handle, offset=0, range=buffer.size)
        return vk.VkWriteDescriptorSet(
            dstBinding=binding, descriptorCount=1, descriptorType=STORAGE, pBufferInfo=[info]
        )

    def _dispatch(self, cb, slot, define, pushed, groups) -> None:
        pipeline, layout = self.pipelines[define, self.pretransformed]
        bind = vk.VK_PIPELINE_BIND_POINT_COMPUTE
        vk.vkCmdBindPipeline(cb, bind, pipeline)
        vk.vkCmdBindDescriptorSets(cb, bind, layout, 0, 1, [self.sets[slot]], 0, None)
        self._push_descriptors(cb, bind, layout, 1, len(pushed), pushed)
        vk.vkCmdPushConstants(cb, layout, COMPUTE, 0, PUSH_BYTES, vk.ffi.from_buffer(self.push))
        x, y = groups
        vk.vkCmdDispatch(cb, x, y, 1)

    def record_before_pass(self, cb, slot: int, target) -> None:
        first_id = target.this_frame.get(NEXT_ID, 0)
        target.this_frame[NEXT_ID] = first_id + self.triangles
        self.push[4:8] = (target.width, target.height, self.triangles, first_id)
        splat = self._buffer_write(0, splat_buffer(self.context, target))
        pipeline_barrier(
            cb,
            DRAW_STAGES | COMPUTE_STAGE,
            TRANSFER_STAGE | COMPUTE_STAGE,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_TRANSFER_WRITE_BIT | SHADER_RW,
        )
        draw = self.draws[slot]
        vk.vkCmdUpdateBuffer(cb, draw.handle, 0, DRAW_COMMAND.nbytes, vk.ffi.from_buffer(DRAW_COMMAND))
        pipeline_barrier(cb, TRANSFER_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_TRANSFER_WRITE_BIT, SHADER_RW)
        if self.pretransformed:
            self.push[6] = self.vertex_count
            with target.span(cb, "transform"):
                self._dispatch(
                    cb, slot, "TRANSFORM", [splat], particle_groups(self.vertex_count, self.max_grid)
                )
            self.push[6] = self.triangles
            pipeline_barrier(cb, COMPUTE_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_WRITE_BIT, SHADER_RW)
        with target.span(cb, "splat"):
            self._dispatch(cb, slot, "SPLAT", [splat], particle_groups(self.triangles, self.max_grid))
        pipeline_barrier(
            cb,
            COMPUTE_STAGE,
            DRAW_STAGES | COMPUTE_STAGE,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            DRAW_READS | SHADER_RW,
        )

    def record_large(self, cb, slot: int) -> None:
        vk.vkCmdBindIndexBuffer(cb, self.large[slot].handle, 0, vk.VK_INDEX_TYPE_UINT32)
        vk.vkCmdDrawIndexedIndirect(cb, self.draws[slot].handle, 0, 1, 0)

    def record_after_pass(self, cb, slot: int, target) -> None:
        to_compute = layout_barrier(
            target.color, target.color_layout, vk.VK_IMAGE_LAYOUT_GENERAL, 0, SHADER_RW
        )
        pipeline_barrier(
            cb, COMPUTE_STAGE, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_WRITE_BIT, SHADER_RW, images=[to_compute]
        )
        general = vk.VK_IMAGE_LAYOUT_GENERAL
        infos = {
            1: vk.VkDescriptorImageInfo(imageView=target.color_view, imageLayout=general),
            2: vk.VkDescriptorImageInfo(
                sampler=self.sampler, imageView=target.depth_view, imageLayout=DEPTH_AFTER_PASS
            ),
        }
        images = [
            vk.VkWriteDescriptorSet(
                dstBinding=b, descriptorCount=1, descriptorType=TARGET_BINDINGS[b], pImageInfo=[i]
            )
            for b, i in infos.items()
        ]
        splat = self._buffer_write(0, splat_buffer(self.context, target))
        pixels = splat_bytes(target.width, target.height) // 8
        with target.span(cb, "resolve"):
            self._dispatch(cb, slot, "RESOLVE", [splat, *images], (-(-pixels // WORKGROUP), 1))
        back = layout_barrier(
            target.color,
            general,
            target.color_layout,
            vk.VK_ACCESS_SHADER_WRITE_BIT,
            vk.VK_ACCESS_MEMORY_READ_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT,
        )
        pipeline_barrier(cb, COMPUTE_STAGE, vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, images=[back])

    def large_count(self, slot: int) -> int:
        """Triangles the last frame of `slot` drew with the rasterizer (the slot idle)."""
        return int(self.draws[slot].read(np.uint32, 1)[0]) // 3

    def destroy(self) -> None:
        device = self.context.device
        self.pipelines = {}
        for buffer in self.draws + self.large + self.screen:
            buffer.destroy()
        self.draws, self.large, self.screen = [], [], []
        for attr, kind, destroy in (
            ("pool", "DescriptorPool", vk.vkDestroyDescriptorPool),
            ("set_layout", "DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout),
            ("sampler", "Sampler", vk.vkDestroySampler),
        ):
            handle = getattr(self, attr)
            setattr(self, attr, None)
            if handle is not None:
                vk_destroy(kind, destroy, device, handle, None)


class ProbeMesh(MeshDraw):
    """MeshDraw whose frames go through the probe's passes unless `mode` is "raster"."""

    owned = ("constant_color", "probe")
    probe: TriangleSplat | None = None
    mode = "raster"

    def recorded(self) -> tuple:
        return (*super().recorded(), self.mode)

    def reads(self):
        reads = super().reads()
        if self.mode != "raster":
            buffers = [b for b in (self.positions, self.normals, self.indices, self.colors) if b is not None]
            reads += [(b, COMPUTE_STAGE, vk.VK_ACCESS_SHADER_READ_BIT) for b in buffers]
        return reads

    def record_before_pass(self, cb, slot, target) -> None:
        if self.mode != "raster":
            self.probe.pretransformed = self.mode == "splat-pre"
            self.probe.record_before_pass(cb, slot, target)

    def record(self, cb, slot) -> None:
        if self.mode == "raster":
            return super().record(cb, slot)
        self.bind(cb, slot)
        colors = self.colors if self.colors is not None else self.constant_color
        vk.vkCmdBindVertexBuffers(
            cb, 0, 3, [self.positions.handle, self.normals.handle, colors.handle], [0, 0, 0]
        )
        self.probe.record_large(cb, slot)

    def record_after_pass(self, cb, slot, target) -> None:
        if self.mode != "raster":
            self.probe.record_after_pass(cb, slot, target)


class ProbeScene(WaveMesh):
    """The mesh benchmark's sheet, its kernel launched until `launching` goes off; its draw a ProbeMesh."""

    launching = True
    max_span = 3

    def setup(self, gpu):
        n = self.grid
        self.positions = gpu.array("positions", (n * n,), element_shape=(3,))
        self.normals = gpu.array("normals", (n * n,), element_shape=(3,))
        self.indices = gpu.array("indices", ((n - 1) * (n - 1) * 6,), dtype="uint32", usage=("index",))
        draw = gpu.mesh(self.positions, self.normals, self.indices, color=COLOR, splat=False)
        self.weave = gpu.kernel("weave").bind(self.indices, n)
        self.step = gpu.kernel("wave").bind(self.positions, self.normals, n, 0.0)
        draw.__class__ = ProbeMesh
        draw.probe = TriangleSplat(draw, gpu.context, gpu.render_pass, self.grid * self.grid, self.max_span)
        self.draw = draw

    def update(self, frame, dt, input):
        if self.launching:
            super().update(frame, dt, input)


def timed(r, first: int, warmup: int, frames: int) -> tuple[float, np.ndarray]:
    """Median ms between read-back frames over `frames` timed frames after `warmup`; the last frame's pixels."""
    stamps, last = [], None
    count = warmup + frames + r.frames.frames_in_flight
    for frame, pixels in r.frames_iter(count, 1 / 60, first=first, copy=False):
        if first + warmup - 1 <= frame <= first + warmup + frames - 1:
            stamps.append(time.perf_counter())
        last = pixels
    intervals = [1000 * (b - a) for a, b in zip(stamps, stamps[1:], strict=False)]
    return statistics.median(intervals), np.array(last)


def main(argv: list[str]) -> int:
    from renderer.app.headless import HeadlessRenderer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--grid", type=int, default=708, help="vertices along each side (708: ~1M triangles)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument(
        "--max-span", type=int, default=3, help="pixel centres per side of a splatted triangle's box"
    )
    ap.add_argument("--validate", action="store_true", help="validation + synchronization validation on")
    ap.add_argument("--timeline", action="store_true", help="GPU time per pass too (costs ~0.7 ms a frame)")
    ap.add_argument("--out", default="/tmp/triangle-splat-probe", help="folder for the last frames (PNG)")
    args = ap.parse_args(argv)
    variants = args.variants.split(",")
    scene = ProbeScene(grid=args.grid)
    scene.max_span = args.max_span
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {v: [] for v in variants}
    gpu: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    images: dict[str, np.ndarray] = {}
    with HeadlessRenderer(scene, 1280, 720, validate=args.validate, timeline=args.timeline or None) as r:
        print(r.context.describe(), f"{scene.draw.index_count // 3:,} triangles", flush=True)
        r.render(2, copy=False)  # the sheet at t = 1/60, then static
        scene.launching = False
        first = 2
        for turn in range(args.repeat):
            for v in variants:
                scene.draw.mode = v
                ms, pixels = timed(r, first, args.warmup, args.frames)
                first += args.warmup + args.frames + r.frames.frames_in_flight
                times[v].append(ms)
                images[v] = pixels
                if args.timeline:  # the timed frames' GPU time per span
                    history = r.timeline.history(args.frames)
                    for k, name in enumerate(history.names):
                        gpu[v].setdefault(name, []).extend(x for x in history.gpu_ms[:, k] if x == x)
                large = scene.draw.probe.large_count(0) if v != "raster" else 0
                print(
                    f"turn {turn + 1} {v}: {ms:.2f} ms/frame, {large:,} triangles to the rasterizer",
                    flush=True,
                )
    from PIL import Image

    raster = images.get("raster")
    print("\n| variant | median ms/frame | turns | x raster |")
    print("| --- | --- | --- | --- |")
    base = statistics.median(times["raster"]) if "raster" in times else None
    for v in variants:
        ms = statistics.median(times[v])
        turns = " / ".join(f"{t:.1f}" for t in times[v])
        print(
            f"| {v} | {ms:.2f} | {turns} | {base / ms:.2f} |" if base else f"| {v} | {ms:.2f} | {turns} | |"
        )
        Image.fromarray(images[v][..., :3]).save(out / f"{v}.png")
    if raster is not None:
        for v in variants:
            if v == "raster":
                continue
            diff = np.abs(images[v][..., :3].astype(np.int16) - raster[..., :3].astype(np.int16)).max(axis=2)
            print(
                f"- {v} against raster: {(diff > 1).sum():,} pixels differ by more than 1 level, "
                f"{(diff > 0).sum():,} by any; max {diff.max()}"
            )
            Image.fromarray((np.minimum(diff * 16, 255)).astype(np.uint8)).save(out / f"diff_{v}.png")
    if args.timeline:
        print("\nGPU ms per span (median over the timed frames):")
        for v in variants:
            print(f"- {v}: " + ", ".join(f"{s} {statistics.median(m):.2f}" for s, m in gpu[v].items() if m))
    print(f"frames in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
