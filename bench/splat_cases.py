"""Ours' point splat in its hard cases, each frame read back (the particle scene's spiral, radius 0.002):

- spread: the benchmark's view (camera at (0, 0, 2.5));
- dense: the camera moved back until the spiral covers about 64x64 pixels (every particle on a few thousand);
- flat: the dense view of the spiral pressed flat (z = 0), as a 2D simulation seen head-on: one depth for all,
  so only the particles' order decides each pixel;
- colours-radii: the spread view with a colour and a radius per particle (arrays the splat reads per particle).

The spread, dense and flat cases run with the renderer's default (no subgroup reduction in SPLAT) or the
reduction `--reduction` forces; their `-unreduced` twins always run without, so `--reduction partitioned`
measures what it costs or saves. The cases take turns (`--repeat`), so a drift of the
machine's speed hits all; the table shows the median ms/frame of each case's turns and its ratio to the spread
case of the same N.

    .venv/bin/python bench/splat_cases.py --sizes 1000000 --frames 30 --warmup 5     # lavapipe
    python3 bench/splat_cases.py --sizes 1000000,10000000,100000000 --frames 200,100,50 --warmup 20,10,5

`--json FILE` writes every figure.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import taichi as ti

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from renderer.draw.point_splat import REDUCTIONS  # noqa: E402

RADIUS = 0.002
SPIRAL_WIDTH = 1.8  # world units: the spiral's arms reach 0.9 from its centre
CASES = ("spread", "dense", "flat", "spread-unreduced", "dense-unreduced", "flat-unreduced", "colours-radii")


@ti.kernel
def flatten(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1)):
    """The flat cases: every particle at z = 0."""
    for i in pos:
        pos[i].z = 0.0


def scene_for(case: str, count: int, height: int):
    from bench.splat_cases import flatten  # by its module's name, not __main__'s: the compiler imports it
    from renderer.camera import Camera
    from scenes.particles import Particles, spiral

    camera = Camera()
    # dense and flat: 64 px across, SPIRAL_WIDTH * projection scale * height / 2 / eye = 64
    if case.startswith(("dense", "flat")):
        camera = Camera(eye=(0.0, 0.0, SPIRAL_WIDTH * camera.projection_scale() * height / 2 / 64))

    class Case(Particles):
        kernels = (spiral, flatten)

        def setup(self, gpu):
            self.camera = camera
            self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
            extra = {}
            if case == "colours-radii":  # the same colour and radius for each: the image stays the spread one
                color = np.broadcast_to(np.float32(self.color), (self.count, 3))
                extra["colors"] = gpu.array("colors", data=np.ascontiguousarray(color), element_shape=(3,))
                extra["radii"] = gpu.array("radii", data=np.full(self.count, self.radius, np.float32))
            self.draw = gpu.particles(self.positions, radius=self.radius, color=self.color, **extra)
            self.step = gpu.kernel("spiral").bind(self.positions, 0.0)
            self.flatten = gpu.kernel("flatten").bind(self.positions) if case.startswith("flat") else None

        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            if self.flatten is not None:
                self.flatten()

    return Case(count=count, radius=RADIUS)


def run_case(
    case: str,
    count: int,
    size: tuple[int, int],
    warmup: int,
    frames: int,
    reduction: str | None = None,
    timeline: bool | None = None,
    batch: int | None = None,
) -> dict:
    from renderer.app.headless import HeadlessRenderer
    from renderer.draw import point_splat

    point_splat.REDUCTION = "off" if case.endswith("-unreduced") else reduction
    point_splat.BATCH = batch
    try:
        scene = scene_for(case, count, size[1])
        with HeadlessRenderer(scene, *size, timeline=timeline) as r:
            stamps = []
            total = warmup + frames + r.frames.frames_in_flight  # the last timed frame in the steady state
            for frame, _pixels in r.frames_iter(total, 1 / 60, copy=False):
                if warmup - 1 <= frame < warmup + frames:
                    stamps.append(time.perf_counter())
            splat = scene.draw.splat
            info = {
                "device": r.context.describe(),
                "splatting": scene.draw.splatting,
                "reduction": getattr(splat, "reduction", None),  # None: sprites, or code without it
                "batch": getattr(splat, "batch", None),
                "gpu_ms": r.gpu_times(),  # {span: (median, p95)}; empty where the timeline is off
            }
    finally:
        point_splat.REDUCTION = point_splat.BATCH = None
    intervals = [1000 * (b - a) for a, b in zip(stamps, stamps[1:], strict=False)]
    return {"median_ms": statistics.median(intervals), "min_ms": min(intervals), **info}


def per_size(text: str, sizes: list[int]) -> dict[int, int]:
    values = [int(v) for v in text.split(",")]
    if len(values) == 1:
        values *= len(sizes)
    if len(values) != len(sizes):
        raise SystemExit(f"give one number or one per size ({len(sizes)}), not {text!r}")
    return dict(zip(sizes, values, strict=True))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default="1000000", help="particle counts, comma-separated (default %(default)s)"
    )
    ap.add_argument("--frames", default="30", help="timed frames: one number, or one per size")
    ap.add_argument("--warmup", default="5", help="warm-up frames: one number, or one per size")
    ap.add_argument("--repeat", type=int, default=3, help="turns of all cases (default %(default)s)")
    ap.add_argument("--cases", default=",".join(CASES), help="which cases (default: all)")
    ap.add_argument("--size", default="1280x720", help="frame size (default %(default)s)")
    ap.add_argument("--json", help="write every figure to this file")
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="GPU time per span on a CPU driver too (off there by default: its timestamps cost ~0.7 ms a frame)",
    )
    ap.add_argument(
        "--reduction",
        choices=REDUCTIONS,
        help="the reduction of the cases not -unreduced (default: the renderer's, off)",
    )
    ap.add_argument(
        "--batches",
        help="runs of 128 particles per workgroup of SPLAT to compare, comma-separated (each case runs with "
        "each; default: the renderer's)",
    )
    args = ap.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")] if args.batches else [None]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    frames, warmup = per_size(args.frames, sizes), per_size(args.warmup, sizes)
    cases = [c.strip() for c in args.cases.split(",")]
    unknown = set(cases) - set(CASES)
    if unknown:
        ap.error(f"unknown cases {sorted(unknown)}; choose from {list(CASES)}")
    size = tuple(int(v) for v in args.size.split("x"))
    # each case with each batch, named "case bB" where several batches are compared
    runs = [(case, b, case if len(batches) == 1 else f"{case} b{b}") for case in cases for b in batches]
    results: dict[int, dict[str, list[dict]]] = {}
    for n in sizes:
        results[n] = {label: [] for _, _, label in runs}
        for turn in range(args.repeat):
            for case, batch, label in runs:
                timeline = args.timeline or None
                r = run_case(case, n, size, warmup[n], frames[n], args.reduction, timeline, batch)
                results[n][label].append(r)
                print(
                    f"N={n:,} {label} (turn {turn + 1}): {r['median_ms']:.2f} ms median, "
                    f"reduction {r['reduction']}, batch {r['batch']}, splatted {r['splatting']}",
                    flush=True,
                )
    device = next(iter(next(iter(results.values())).values()))[0]["device"]
    print(
        f"\n{device}, {size[0]}x{size[1]}, every frame read back; median over turns of each turn's median ms/frame"
    )
    print("| N | case | ms/frame | turns | x spread | reduction |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n, by_case in results.items():
        for label, runs in by_case.items():
            spread_label = "spread" + label[len(label.split(" ")[0]) :]  # the spread case of the same batch
            spread = (
                statistics.median(r["median_ms"] for r in by_case[spread_label])
                if spread_label in by_case
                else None
            )
            ms = statistics.median(r["median_ms"] for r in runs)
            turns = " / ".join(f"{r['median_ms']:.2f}" for r in runs)
            ratio = f"{ms / spread:.2f}" if spread else ""
            print(f"| {n:,} | {label} | {ms:.2f} | {turns} | {ratio} | {runs[0]['reduction']} |")
    print("\nGPU time per frame by span (timestamps, median ms; the middle turn):")
    for n, by_case in results.items():
        for case, runs in by_case.items():
            gpu = sorted(runs, key=lambda r: r["median_ms"])[len(runs) // 2]["gpu_ms"]
            spans = ", ".join(f"{span} {med:.3f}" for span, (med, _) in gpu.items()) or "not measured"
            print(f"- N={n:,} {case}: {spans}")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device, "size": size, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
