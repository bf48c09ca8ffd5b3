"""The main thread's CPU per frame outside the fence waits, the particle scene at 10k and 100M particles
(1280x720, read back), with the renderer's blocking fence wait, a wait that polls the fence (the core never
sleeps), and the blocking wait with the main thread pinned to one core (`os.sched_setaffinity`, after the renderer
started its driver's threads). Python's calls are the same in all three.

    python3 bench/h100/cpu_wait_probe.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.device import vk  # noqa: E402
from renderer.frame.target import FrameCalls  # noqa: E402
from scenes.particles import Particles  # noqa: E402


class Calls(FrameCalls):
    """The frame loop's calls, the fence wait timed (CPU and wall) and, with `poll`, made by polling."""

    poll = False

    def __init__(self):
        super().__init__()
        self.wait_cpu = self.wait_wall = 0.0

    def vkWaitForFences(self, device, fences, timeout_ns):  # noqa: N802
        c0, w0 = time.thread_time(), time.perf_counter()
        if self.poll:
            while self.lib.vkGetFenceStatus(device, fences[0]) != vk.VK_SUCCESS:
                pass
        else:
            super().vkWaitForFences(device, fences, timeout_ns)
        self.wait_cpu += time.thread_time() - c0
        self.wait_wall += time.perf_counter() - w0


for n, frames in ((10_000, 200), (100_000_000, 50)):
    for mode in ("block", "poll", "pinned"):
        calls = Calls()
        calls.poll = mode == "poll"
        with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720, calls=calls) as r:
            os.sched_setaffinity(0, {2} if mode == "pinned" else set(range(os.cpu_count())))
            for f, _ in r.frames_iter(20 + frames + 2, 1 / 60, copy=False):
                if f == 19:
                    calls.wait_cpu = calls.wait_wall = 0.0
                    c0, w0 = time.thread_time(), time.perf_counter()
                if f == 19 + frames:
                    c1, w1 = time.thread_time(), time.perf_counter()
        outside = (c1 - c0 - calls.wait_cpu) / frames * 1e3
        print(
            f"N={n:,} {mode}: outside the waits {outside:.3f} ms/frame of CPU; in them {calls.wait_cpu / frames * 1e3:.3f}"
            f" CPU / {calls.wait_wall / frames * 1e3:.3f} wall; frame {(w1 - w0) / frames * 1e3:.3f} ms",
            flush=True,
        )
