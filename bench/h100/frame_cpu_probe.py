"""The main thread's CPU per frame outside the fence waits, the particle scene (1280x720, read back) at 10k to 1M
particles with the GPU timeline on and off, each twice in turns (300 frames after 30), then cProfile of 300
frames at 100k and 10k. Per line: wall ms a frame, CPU outside and inside the fence waits, how many waits
blocked, the wall time of vkQueueSubmit and ti_flush, and the GPU's frame time (median, 95th percentile).
The same code gives the same work at every line: what moves is the machine.

    python3 bench/h100/frame_cpu_probe.py
"""

import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.frame.target import FrameCalls  # noqa: E402
from scenes.particles import Particles  # noqa: E402


class Calls(FrameCalls):
    """The frame loop's calls with the fence waits (CPU, wall, whether they blocked), submits and flushes timed."""

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        self.wait_cpu = self.wait_wall = self.submit = self.flush = 0.0
        self.blocked = 0

    def vkWaitForFences(self, device, fences, timeout_ns):  # noqa: N802
        c, w = time.thread_time(), time.perf_counter()
        if self.lib.vkGetFenceStatus(device, fences[0]) != 0:
            self.blocked += 1
        super().vkWaitForFences(device, fences, timeout_ns)
        self.wait_cpu += time.thread_time() - c
        self.wait_wall += time.perf_counter() - w

    def vkQueueSubmit(self, queue, submit_info, fence):  # noqa: N802
        w = time.perf_counter()
        super().vkQueueSubmit(queue, submit_info, fence)
        self.submit += time.perf_counter() - w

    def ti_flush(self, runtime):
        w = time.perf_counter()
        super().ti_flush(runtime)
        self.flush += time.perf_counter() - w


def run(n: int, timeline: bool, frames: int = 300, profile: bool = False) -> None:
    calls = Calls()
    with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720, calls=calls, timeline=timeline) as r:
        frames_iter = r.frames_iter(30 + frames + 2, 1 / 60, copy=False)
        for _ in range(30):
            next(frames_iter)
        calls.reset()
        profiler = cProfile.Profile() if profile else None
        c0, w0 = time.thread_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(frames):
            next(frames_iter)
        if profiler:
            profiler.disable()
        c1, w1 = time.thread_time(), time.perf_counter()
        for _ in frames_iter:
            pass
        k = 1e3 / frames
        print(
            f"N={n:,} timeline={timeline} profiled={profile}: frame {(w1 - w0) * k:.3f} ms, outside the waits "
            f"{(c1 - c0 - calls.wait_cpu) * k:.3f} CPU, waits {calls.wait_cpu * k:.3f} CPU / "
            f"{calls.wait_wall * k:.3f} wall, blocked {calls.blocked}/{frames}, vkQueueSubmit "
            f"{calls.submit * k:.3f}, ti_flush {calls.flush * k:.3f}; GPU frame {r.gpu_times().get('frame')}",
            flush=True,
        )
        if profiler:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(22)
            print(text.getvalue())


for _turn in range(2):
    for n in (10_000, 30_000, 100_000, 300_000, 1_000_000):
        for timeline in (True, False):
            run(n, timeline)
run(100_000, True, profile=True)
run(10_000, True, profile=True)
