"""The particle scene (radius 0.002, 1280x720, read back, GPU timeline on) at 1M and 100M particles with the frame
cleared by the render pass, by transfer commands or by a compute shader before it (offscreen.CLEAR_BEFORE_PASS),
and each workgroup of the particle passes taking 1, 4, 8 or 16 runs of 128 particles (point_splat.BATCH); each
combination twice, in turns. Prints the median ms/frame and the GPU time per span.

    python3 bench/h100/batch_clear_probe.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.draw import point_splat  # noqa: E402
from renderer.frame import offscreen  # noqa: E402
from scenes.particles import Particles  # noqa: E402

for n, frames in ((1_000_000, 150), (100_000_000, 40)):
    combos = tuple((clear, batch) for batch in (1, 8) for clear in ("pass", "transfer", "compute"))
    if n == 100_000_000:
        combos += (("transfer", 4), ("transfer", 16))
    for clear, batch in combos * 2:
        offscreen.CLEAR_BEFORE_PASS, point_splat.BATCH = clear, batch
        with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720, timeline=True) as r:
            stamps = []
            for f, _ in r.frames_iter(10 + frames + 2, 1 / 60, copy=False):
                if 9 <= f < 10 + frames:
                    stamps.append(time.perf_counter())
            ms = statistics.median([1e3 * (b - a) for a, b in zip(stamps, stamps[1:], strict=False)])
            spans = {k: round(v[0], 4) for k, v in r.gpu_times().items()}
            print(f"N={n:,} clear={clear} batch={batch}: {ms:.3f} ms/frame", spans, flush=True)
