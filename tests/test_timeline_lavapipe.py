"""The GPU timeline on lavapipe, validation on: `kernels` holds the particle kernel's time (lavapipe takes a
timestamp's time only at its next flush, and skips a barrier that ends a command buffer), and reading a frame's
timestamps waits for nothing (lavapipe's vkGetQueryPoolResults waits for its device idle)."""

import time

import numpy as np
import pytest
import taichi as ti

from renderer.app.headless import HeadlessRenderer
from renderer.frame import timeline
from renderer.frame.timeline import Timeline
from renderer.scene import Param
from scenes.particles import Particles

pytestmark = pytest.mark.usefixtures("cpu_driver")  # lavapipe's behaviours


@ti.kernel
def spiral_and_work(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), work: ti.types.ndarray(dtype=ti.f32, ndim=1)
):
    """One parallel loop, so one dispatch: the first elements place the particles, every element fills `work`."""
    n = pos.shape[0]
    for i in work:
        x = ti.cast(i, ti.f32)
        work[i] = ti.sin(x) * ti.cos(x * 0.5) + ti.sqrt(x + 1.0)
        if i < n:
            u = (i + 0.5) / n
            angle = 3.0 * 6.2831853 * u + (i % 3) * 2.0943951
            r = 0.05 + 0.85 * ti.sqrt(u)
            pos[i] = ti.Vector([r * ti.cos(angle), r * ti.sin(angle) * 0.9, 0.0])


class Work(Particles):
    """`count` particles placed by a kernel that also fills an undrawn array of `work` elements, in the same
    dispatch: the kernel's time grows with `work`, the splat's does not."""

    kernels = (spiral_and_work,)
    params = {**Particles.params, "work": Param(20_000, 1, 10_000_000, "elements the kernel fills")}

    def setup(self, gpu):
        self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
        self.work_array = gpu.array("work", (max(self.work, self.count),), usage=())
        gpu.particles(self.positions, radius=self.radius, color=self.color)
        self.step = gpu.kernel("spiral_and_work").bind(self.positions, self.work_array)

    def update(self, frame, dt, input):
        self.step()


def medians(scene, frames: int = 12) -> dict[str, float]:
    with HeadlessRenderer(scene, 320, 180, validate=True, timeline=True) as renderer:
        renderer.render(frames)
        return {name: median for name, (median, _) in renderer.gpu_times().items()}


def test_kernels_span_grows_with_the_particle_count():
    """The particle scene's one dispatch (its kernel) is in `kernels`: lavapipe used to take the frame's first
    timestamp only after it, so `kernels` read ~0.03 ms at any count."""
    small, large = medians(Particles(count=20_000)), medians(Particles(count=1_000_000))
    assert large["kernels"] > 8 * small["kernels"], (small, large)
    assert large["kernels"] > 1.0, large  # ms: a million particles on a CPU
    assert all(median > 0 for median in large.values()), large


def test_the_splat_does_not_take_the_kernels_time():
    light, heavy = medians(Work(count=20_000)), medians(Work(count=20_000, work=3_000_000))
    assert heavy["kernels"] > 5 * light["kernels"], (light, heavy)
    assert heavy["kernels"] > 1.0, heavy
    # the same particles are splatted: the splat's span does not grow by the kernel's time
    assert heavy["splat"] < light["splat"] + 0.25 * heavy["kernels"], (light, heavy)


def test_reading_a_frames_timestamps_waits_for_nothing(monkeypatch):
    """With two frames in flight, the older frame's figures are read while the newer one renders: the read
    takes microseconds, not the newer frame's GPU time."""
    reads = []
    read = Timeline.read

    def timed(self, slot):
        start = time.perf_counter()
        read(self, slot)
        reads.append(1000 * (time.perf_counter() - start))

    monkeypatch.setattr(Timeline, "read", timed)
    with HeadlessRenderer(Particles(count=1_000_000), 320, 180, validate=True, timeline=True) as renderer:
        renderer.render(12)
        history = renderer.timeline.history()
    assert history.frames.tolist() == list(range(12))  # every frame read, none lost
    assert np.isfinite(history.gpu_ms).all() and (history.gpu_ms > 0).all()
    assert np.median(reads) < 0.1 * np.median(history.gpu_frame_ms), (reads, history.gpu_frame_ms)


def test_every_span_is_read_where_a_frame_ends_in_a_timestamp():
    """The frame's last timestamps are written by lavapipe only at its next flush: the closing copy still finds
    them (the frame's end comes after the readback's)."""
    with HeadlessRenderer(
        Particles(count=5_000), 96, 54, validate=True, timeline=True, frames_in_flight=1
    ) as renderer:
        renderer.render(6)
        history = renderer.timeline.history()
    assert history.frames.tolist() == list(range(6))
    assert history.names[-1] == "readback" and np.isfinite(history.gpu_ms).all()
    assert (history.gpu_ms.sum(axis=1) <= history.gpu_frame_ms + 1e-6).all()


def test_timestamps_read_after_the_fence_give_the_same_spans(monkeypatch):
    """The GPU's way (vkGetQueryPoolResults once the fence is waited, no copy in the frame), forced here: every
    frame read, the same spans as the copy gives, each within the frame."""
    spans = {}
    for copy_in_frame in (True, False):
        monkeypatch.setattr(timeline, "COPY_IN_FRAME", copy_in_frame)
        with HeadlessRenderer(Particles(count=5_000), 96, 54, validate=True, timeline=True) as renderer:
            renderer.render(8)
            assert renderer.timeline.copy_in_frame == copy_in_frame
            history = renderer.timeline.history()
        assert history.frames.tolist() == list(range(8))
        assert np.isfinite(history.gpu_ms).all() and (history.gpu_ms > 0).all()
        assert (history.gpu_ms.sum(axis=1) <= history.gpu_frame_ms + 1e-6).all()
        spans[copy_in_frame] = history.names
    assert spans[False] == spans[True] and spans[True][-1] == "readback", spans
