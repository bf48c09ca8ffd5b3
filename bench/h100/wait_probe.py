"""The main thread's CPU per frame outside the fence waits with three ways of waiting: the renderer's blocking
vkWaitForFences; polling the fence (the core never sleeps); and a hybrid that sleeps (a vkWaitForFences with a
timeout) until `margin` before the previous wait's length, then polls. The particle scene, 1280x720, read back,
at 100M, 10k and 1M particles, each way twice in turns. cpu_wait_probe.py measures with the same pieces.

    python3 bench/h100/wait_probe.py
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
    """The frame loop's calls, with the fence wait made as `mode` says ("block", "poll" or "hybrid") and timed
    (CPU and wall)."""

    def __init__(self, mode: str = "block", margin: float = 0.0):
        super().__init__()
        self.mode, self.margin = mode, margin
        self.wait_cpu = self.wait_wall = self.last = 0.0

    def _poll(self, device, fences) -> None:
        while self.lib.vkGetFenceStatus(device, fences[0]) != vk.VK_SUCCESS:
            pass

    def vkWaitForFences(self, device, fences, timeout_ns):  # noqa: N802
        c0, w0 = time.thread_time(), time.perf_counter()
        if self.mode == "poll":
            self._poll(device, fences)
        elif self.mode == "hybrid":
            sleep = self.last - self.margin
            if sleep > 0:
                self.lib.vkWaitForFences(device, 1, fences, vk.VK_TRUE, int(sleep * 1e9))
            self._poll(device, fences)
        else:
            super().vkWaitForFences(device, fences, timeout_ns)
        self.last = time.perf_counter() - w0
        self.wait_cpu += time.thread_time() - c0
        self.wait_wall += self.last


def cpu_per_frame(n: int, frames: int, calls: Calls, pin: set | None = None) -> str:
    """`frames` frames of the particle scene at `n` after 20, with `calls`; `pin`: the cores the main thread is
    held to once the renderer started its driver's threads. Returns the figures in ms a frame."""
    with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720, calls=calls) as r:
        if pin is not None:
            os.sched_setaffinity(0, pin)
        for f, _ in r.frames_iter(20 + frames + 2, 1 / 60, copy=False):
            if f == 19:
                calls.wait_cpu = calls.wait_wall = 0.0
                c0, w0 = time.thread_time(), time.perf_counter()
            if f == 19 + frames:
                c1, w1 = time.thread_time(), time.perf_counter()
        if pin is not None:
            os.sched_setaffinity(0, set(range(os.cpu_count())))
    k = 1e3 / frames
    return (
        f"outside the waits {(c1 - c0 - calls.wait_cpu) * k:.3f} ms CPU, in them {calls.wait_cpu * k:.3f} CPU / "
        f"{calls.wait_wall * k:.3f} wall, frame {(w1 - w0) * k:.3f} ms"
    )


WAYS = (("block", 0.0), ("poll", 0.0), ("hybrid", 0.0001), ("hybrid", 0.0003))
if __name__ == "__main__":
    for n, frames in ((100_000_000, 60), (10_000, 300), (1_000_000, 200)):
        for _turn in range(2):
            for mode, margin in WAYS:
                figures = cpu_per_frame(n, frames, Calls(mode, margin))
                print(f"N={n:,} {mode} {margin * 1e3:.1f} ms: {figures}", flush=True)
