"""Ours' mesh path with its small triangles splatted (renderer/draw/triangle_splat.py) and rasterized whole, on the
mesh benchmark's sheet (bench/mesh_scene.py: kernel-written positions and normals, lit, each frame read back):
the ms per frame of each, the cases in turns (`--repeat`), and how many pixels of the two images differ by more
than one level. Splatting is forced on for a device where it is off by default (`triangle_splat.SPLAT_FROM`).

    .venv/bin/python bench/mesh_cases.py --sizes 100000,1000000 --frames 20 --warmup 3    # lavapipe
    python3 bench/mesh_cases.py --sizes 1000000,10000000 --frames 100,30 --warmup 10,3
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

from bench.mesh_scene import WaveMesh  # noqa: E402
from bench.run import grid_for_triangles  # noqa: E402
from bench.splat_cases import per_size  # noqa: E402

CASES = ("splat", "raster")


def run_case(
    case: str, triangles: int, size: tuple[int, int], warmup: int, frames: int, timeline: bool | None = None
) -> dict:
    from renderer.app.headless import HeadlessRenderer
    from renderer.draw import triangle_splat

    saved = dict(triangle_splat.SPLAT_FROM)
    if case == "splat":  # from the least density on: the sheet is splatted on any device that can
        triangle_splat.SPLAT_FROM.update(CPU=0.0, GPU=0.0)
    try:
        scene = WaveMesh(grid=grid_for_triangles(triangles), splat=case == "splat")
        with HeadlessRenderer(scene, *size, timeline=timeline) as r:
            stamps, image = [], None
            total = warmup + frames + r.frames.frames_in_flight
            for frame, pixels in r.frames_iter(total, 1 / 60, copy=False):
                if warmup - 1 <= frame < warmup + frames:
                    stamps.append(time.perf_counter())
                if frame == warmup:  # the same frame (the same t) of each case
                    image = pixels[..., :3].copy()
            info = {
                "device": r.context.describe(),
                "gpu_ms": r.gpu_times(),
                "splatting": scene.draw.splatting,
            }
    finally:
        triangle_splat.SPLAT_FROM.update(saved)
    intervals = [1000 * (b - a) for a, b in zip(stamps, stamps[1:], strict=False)]
    return {"median_ms": statistics.median(intervals), "image": image, **info}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000", help="triangles, comma-separated (default %(default)s)")
    ap.add_argument("--frames", default="20", help="timed frames: one number, or one per size")
    ap.add_argument("--warmup", default="3", help="warm-up frames: one number, or one per size")
    ap.add_argument("--repeat", type=int, default=3, help="turns of both cases (default %(default)s)")
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="GPU time per span on a CPU driver too (off there by default: its timestamps cost ~0.7 ms a frame)",
    )
    ap.add_argument("--size", default="1280x720", help="frame size (default %(default)s)")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    frames, warmup = per_size(args.frames, sizes), per_size(args.warmup, sizes)
    size = tuple(int(v) for v in args.size.split("x"))
    print("| triangles | case | ms/frame | turns | GPU ms by span (median) | splatted |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        runs: dict[str, list[dict]] = {case: [] for case in CASES}
        for _turn in range(args.repeat):
            for case in CASES:
                runs[case].append(run_case(case, n, size, warmup[n], frames[n], args.timeline or None))
        for case, rs in runs.items():
            middle = sorted(rs, key=lambda r: r["median_ms"])[len(rs) // 2]
            spans = ", ".join(f"{k} {v[0]:.3f}" for k, v in middle["gpu_ms"].items()) or "not measured"
            turns = " / ".join(f"{r['median_ms']:.2f}" for r in rs)
            print(
                f"| {n:,} | {case} | {middle['median_ms']:.2f} | {turns} | {spans} | {middle['splatting']} |",
                flush=True,
            )
        a, b = runs["splat"][0]["image"].astype(int), runs["raster"][0]["image"].astype(int)
        off = int((np.abs(a - b).max(axis=2) > 1).sum())
        print(
            f"|  | images | {off:,} of {a.shape[0] * a.shape[1]:,} pixels differ by more than 1 level |  |  |  |"
        )
    print(f"\n{runs['splat'][0]['device']}, {size[0]}x{size[1]}, every frame read back")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
