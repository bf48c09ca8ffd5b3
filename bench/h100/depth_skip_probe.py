"""What skipping the render pass's depth clear saves in a frame of several splatted draws.

Where every draw of a frame is splatted and none listed large particles or triangles for the render pass, the
pass loads the depth and clears it under conditional rendering on the frame's count of draws that drew
(frame/offscreen.py SKIP_EMPTY_DEPTH_CLEAR). This times, every frame read back, at 1280x720, with the skip on and
off in turns (the same frames), two scenes of two draws:

- "two spirals": the benchmark's spiral of N particles drawn twice (the same positions, two colours);
- "sheet + dots": the mesh benchmark's sheet of about N triangles with a particle at each vertex.

    python3 bench/h100/depth_skip_probe.py [N] [frames] [turns]
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.mesh_scene import WaveMesh  # noqa: E402
from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.frame import offscreen  # noqa: E402
from scenes.particles import Particles  # noqa: E402

SIZE = (1280, 720)


class TwoSpirals(Particles):
    def setup(self, gpu):
        super().setup(gpu)
        gpu.particles(self.positions, radius=self.radius, color=(1.0, 0.4, 0.2))


class SheetAndDots(WaveMesh):
    def setup(self, gpu):
        super().setup(gpu)
        gpu.particles(self.positions, radius=0.0005, color=(1.0, 0.4, 0.2))


def scene(name: str, n: int):
    if name == "two spirals":
        return TwoSpirals(count=n, radius=0.002)
    return SheetAndDots(grid=round((n / 2) ** 0.5) + 1)


CLEAR_IF = offscreen.record_depth_clear_if
conditional = []  # the recordings of a conditional depth clear (the skip in use)
offscreen.record_depth_clear_if = lambda *a: conditional.append(1) or CLEAR_IF(*a)


def run(name: str, n: int, skip: bool, frames: int) -> dict:
    offscreen.SKIP_EMPTY_DEPTH_CLEAR = skip
    conditional.clear()
    with HeadlessRenderer(scene(name, n), *SIZE) as r:
        stamps = []
        warmup = 10
        for frame, _ in r.frames_iter(warmup + frames + r.frames.frames_in_flight, 1 / 60, copy=False):
            if warmup <= frame < warmup + frames:
                stamps.append(time.perf_counter())
        spans = r.gpu_times()
    intervals = [1000 * (b - a) for a, b in zip(stamps, stamps[1:], strict=False)]
    return {
        "ms": statistics.median(intervals),
        "spans": spans,
        "conditional": bool(conditional),
        "device": r.context.describe(),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    turns = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    results: dict = {}
    for turn in range(turns):
        for name in ("two spirals", "sheet + dots"):
            for skip in (False, True):
                r = run(name, n, skip, frames)
                results.setdefault((name, skip), []).append(r)
                print(f"turn {turn + 1}: {name}, skip {skip}: {r['ms']:.3f} ms", flush=True)
    print(f"\n{r['device']}, N = {n:,}, {SIZE[0]}x{SIZE[1]}, read back; median of the turns' median ms/frame")
    print(
        "| scene | depth cleared every frame | cleared only where the pass draws | GPU render pass | skip used |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name in ("two spirals", "sheet + dots"):
        ms = {skip: statistics.median(r["ms"] for r in results[(name, skip)]) for skip in (False, True)}
        passes = []
        for skip in (False, True):
            span = [r["spans"].get("render pass") for r in results[(name, skip)]]
            passes.append("-" if None in span else f"{statistics.median(s[0] for s in span):.3f}")
        used = all(r["conditional"] for r in results[(name, True)])
        print(f"| {name} | {ms[False]:.3f} | {ms[True]:.3f} | {' -> '.join(passes)} ms | {used} |")


if __name__ == "__main__":
    main()
