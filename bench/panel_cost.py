"""The window's panel: what it costs a frame. Run under a display (Xvfb on a machine without one):

    python3 bench/panel_cost.py [--count 10000] [--size 1280x720] [--rounds 3] [--frames 100]

Prints (1) the main thread's CPU time for the panel per frame (thread CPU time, so other threads, lavapipe's
among them, do not count): building it (ImGui's frame, the widgets, the plot) and recording its command buffer;
and (2) the median frame time of the particle scene with the panel shown and hidden, in interleaved rounds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from renderer.app.interactive import InteractiveApp  # noqa: E402
from scenes.particles import Particles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with InteractiveApp([Particles], 0, params={"count": args.count}, size=size, vsync=False) as app:
        app.run(max_frames=60)
        build, record = [], []
        original_build, ui = app.panel.build, app.frames.ui
        original_record = ui.record

        def timed_build(a):
            start = time.thread_time()
            try:
                return original_build(a)
            finally:
                build.append(time.thread_time() - start)

        def timed_record(*a):
            start = time.thread_time()
            try:
                return original_record(*a)
            finally:
                record.append(time.thread_time() - start)

        app.panel.build, ui.record = timed_build, timed_record
        medians = {True: [], False: []}
        for _ in range(args.rounds):
            for shown in (True, False):
                app.panel.visible = shown
                first = len(app.frame_times)
                app.run(max_frames=app.rendered + args.frames)
                medians[shown].append(1000 * np.median([t[0] for t in app.frame_times[first + 5 :]]))
        device = app.context.describe()
    print(f"{device}, {size[0]}x{size[1]}, {args.count:,} particles")
    print(
        f"panel, main thread's CPU a frame: {1000 * np.mean(build) + 1000 * np.mean(record):.3f} ms "
        f"(building it {1000 * np.mean(build):.3f} ms, recording its command buffer {1000 * np.mean(record):.3f} ms)"
    )
    for shown in (True, False):
        rounds = ", ".join(f"{m:.2f}" for m in medians[shown])
        print(
            f"frame time with the panel {'shown' if shown else 'hidden'}: median {np.median(medians[shown]):.2f} ms ({rounds})"
        )


if __name__ == "__main__":
    main()
