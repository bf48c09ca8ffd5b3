"""The frames' GPU timeline (renderer/frame/timeline.py) on lavapipe, validation on: positive spans that fit the
frame, a kernel span that follows the kernel's work, the splat's spans only where it splats, the run summary and
the frame log, a device without timestamps, and the window."""

import time

import numpy as np
import pytest
import taichi as ti

from renderer.app import demo
from renderer.app.headless import HeadlessRenderer
from renderer.app.interactive import InteractiveApp
from renderer.compute import hooks
from renderer.device import handles
from renderer.draw import point_splat
from renderer.errors import TimelineError
from renderer.frame import timeline as timeline_module
from renderer.frame.target import FrameCalls
from renderer.frame.timeline import Timeline
from renderer.scene import Param, Scene
from scenes.particles import Particles


@ti.kernel
def busy(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), work: ti.types.ndarray(dtype=ti.f32, ndim=1)):
    for i in pos:
        pos[i] = ti.Vector([(i % 16) * 0.1 - 0.8, (i // 16) * 0.1 - 0.4, 0.0])
    for i in work:
        x = ti.cast(i, ti.f32)
        work[i] = ti.sin(x) * ti.cos(x * 0.5) + ti.sqrt(x + 1.0)


class Busy(Scene):
    """128 particles, and a kernel that also fills an undrawn array of `work` elements each frame."""

    name = "busy"
    kernels = (busy,)
    params = {
        "work": Param(1, 1, 10_000_000, "elements the kernel computes besides the particles"),
        "splat": Param(True, help="splat the particles"),
        "pause_s": Param(0.0, 0.0, 1.0, "host time between two launches in a frame"),
    }

    def setup(self, gpu):
        self.positions = gpu.array("positions", (128,), element_shape=(3,))
        self.work_array = gpu.array("work", (self.work,), usage=())
        gpu.particles(self.positions, radius=0.02, splat=self.splat)
        self.launch = gpu.kernel("busy").bind(self.positions, self.work_array)
        self.order: list[str] = []  # what update did, with the frame loop's submissions (OrderCalls)

    def update(self, frame, dt, input):
        self.launch()
        if self.pause_s:
            time.sleep(self.pause_s)
            queue = self.queue  # the renderer's, set by the test
            waiting = hooks.prepend_waiting(queue)
            self.launch()  # Taichi submits the first launch here, by itself
            taken = waiting and not hooks.prepend_waiting(queue)
            self.order.append("first timestamp taken by the second launch" if taken else "not taken")


def splat_spans(device_type: str, count: int, width: int, height: int) -> list[str]:
    """The point splat's spans at `count` particles in a `width` x `height` frame: pass 2 goes by pixel (its
    own "splat take") from a device kind's particles per pixel (point_splat.TAKE_BY_PIXEL_FROM)."""
    kind = "CPU" if device_type == "CPU" else "GPU"
    by_pixel = point_splat.take_by_pixel(count, width, height, point_splat.TAKE_BY_PIXEL_FROM[kind], 65535)
    return ["splat", "render pass", *(["splat take"] if by_pixel else []), "splat shade"]


def spans_of(renderer) -> dict[str, np.ndarray]:
    history = renderer.timeline.history()
    return {name: history.gpu_ms[:, i] for i, name in enumerate(history.names)}


def test_spans_are_positive_and_fit_the_frame(device_type):
    frames = 30
    with HeadlessRenderer(Particles(count=20_000), 320, 180, validate=True, timeline=True) as renderer:
        start = time.perf_counter()
        renderer.render(frames)
        wall_ms = 1000 * (time.perf_counter() - start) / frames
        history = renderer.timeline.history()
        figures = renderer.gpu_times()
    assert renderer.timeline.supported and renderer.timeline.reason is None
    assert history.frames.tolist() == list(range(frames))  # every frame timed, none lost
    # the frame is cleared before the render pass (offscreen.py CLEAR_BEFORE: transfer on a CPU, compute on a GPU)
    assert history.names == ["kernels", "clear", *splat_spans(device_type, 20_000, 320, 180), "readback"]
    assert np.isfinite(history.gpu_ms).all() and (history.gpu_ms > 0).all()
    total = history.gpu_ms.sum(axis=1)
    assert (total <= history.gpu_frame_ms + 1e-6).all()  # spans never overlap: within first to last stamp
    assert total.mean() <= wall_ms  # the GPU frames follow each other on one queue
    assert (history.cpu_ms > 0).all()
    assert list(figures) == [*history.names, "frame"]
    for name, (median, p95) in figures.items():
        assert 0 < median <= p95, name


def test_kernel_span_grows_with_the_kernels_work(cpu_driver):
    """(On the H100, validation on, the span was 0.27 ms for 1,000 elements and 0.10 ms for 4,000,000: there
    it is not the kernel's work, which is far below the submissions' own cost.)"""
    medians = {}
    for work in (1_000, 4_000_000):
        with HeadlessRenderer(Busy(work=work), 64, 64, validate=True, timeline=True) as renderer:
            renderer.render(12)
            medians[work] = renderer.gpu_times()["kernels"][0]
    assert medians[4_000_000] > 5 * medians[1_000], medians


def test_splat_spans_appear_only_where_particles_are_splatted():
    for splat in (True, False):
        with HeadlessRenderer(Busy(splat=splat), 64, 64, validate=True, timeline=True) as renderer:
            renderer.render(4)
            names = renderer.timeline.names
        assert ("splat" in names) is splat and ("splat shade" in names) is splat
        assert names[0] == "kernels" and "render pass" in names


class OrderCalls(FrameCalls):
    """Notes the frame loop's submissions in the scene's `order` list."""

    order: list

    def vkQueueSubmit(self, queue, submit_info, fence):  # noqa: N802
        self.order.append("submit")
        super().vkQueueSubmit(queue, submit_info, fence)


def test_first_timestamp_goes_first_in_taichis_own_submission():
    """The frame's first timestamp rides in Taichi's first submission of the frame's launches, also where Taichi
    submits launches older than 2 ms by itself at the next launch: no submission of its own."""
    calls = OrderCalls()
    scene = Busy(pause_s=0.004)
    with HeadlessRenderer(scene, 64, 64, validate=True, timeline=True, calls=calls) as renderer:
        calls.order = scene.order = []
        scene.queue = renderer.context.queue
        renderer.render(3)
        spans = spans_of(renderer)
    assert calls.order == ["first timestamp taken by the second launch", "submit"] * 3
    assert (spans["kernels"] > 0).all()


def test_a_frame_without_launches_submits_its_first_timestamp_alone():
    calls = OrderCalls()
    calls.order = []
    with HeadlessRenderer(
        Particles(count=100), 64, 64, validate=True, timeline=True, calls=calls
    ) as renderer:
        renderer.loaded.scene.update = lambda frame, dt, input: None  # no launch
        renderer.render(3)
        history = renderer.timeline.history()
    assert calls.order == ["submit", "submit"] * 3
    assert history.frames.tolist() == [0, 1, 2] and (history.gpu_ms > 0).all()


def test_summary_and_frame_log_have_every_span(tmp_path, capsys, device_type):
    log = tmp_path / "frames.csv"
    code = demo.main(
        [
            "--headless",
            "--frames",
            "12",
            "--size",
            "96x54",
            "--validate",
            "--param",
            "count=3000",
            "--timeline",
        ]
        + ["--frame-log", str(log), "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("GPU ms per frame (median/p95): "))
    for name in ("kernels", "splat", "render pass", "splat shade", "readback", "frame"):
        assert f"{name} " in line
    rows = [row.split(",") for row in log.read_text().splitlines()]
    spans = ["kernels", "clear", *splat_spans(device_type, 3000, 96, 54), "readback", "frame"]
    assert rows[0] == ["frame", "total_ms", *(f"gpu_{name.replace(' ', '_')}_ms" for name in spans)]
    assert [int(row[0]) for row in rows[1:]] == list(range(12))
    values = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    assert (values > 0).all()


def test_without_timestamps_the_timeline_says_so_and_records_nothing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(timeline_module, "timestamp_support", lambda context: "no timestamps (test)")
    calls = OrderCalls()
    calls.order = []
    with HeadlessRenderer(
        Particles(count=2000), 64, 64, validate=True, timeline=True, calls=calls
    ) as renderer:
        renderer.render(5)
        assert "QueryPool" not in handles.live_counts()
        timeline = renderer.timeline
    assert not timeline.supported and timeline.reason == "no timestamps (test)"
    assert calls.order == ["submit"] * 5
    assert renderer.gpu_times() == {} and timeline.summary() == {}
    history = timeline.history()
    assert len(history.frames) == 0 and history.gpu_ms.shape == (0, 0)
    assert timeline.summary_text() == "GPU timeline: unsupported: no timestamps (test)"
    log = tmp_path / "frames.csv"
    code = demo.main(
        [
            "--headless",
            "--frames",
            "3",
            "--size",
            "64x36",
            "--param",
            "count=100",
            "--frame-log",
            str(log),
            "--timeline",
        ]
        + ["--out", str(tmp_path)]
    )
    assert code == 0
    assert "GPU timeline: unsupported: no timestamps (test)" in capsys.readouterr().out
    assert log.read_text().splitlines()[0] == "frame,total_ms"


def test_timeline_off_costs_no_pool_and_no_submission():
    calls = OrderCalls()
    calls.order = []
    with HeadlessRenderer(Particles(count=2000), 64, 64, validate=True, calls=calls, timeline=False) as r:
        r.render(4)
        assert "QueryPool" not in handles.live_counts()
        assert r.timeline.reason == "off (timeline=False)" and r.gpu_times() == {}
    assert calls.order == ["submit"] * 4


def test_spans_out_of_order_are_typed_errors(context, runtime):
    timeline = Timeline(context, runtime, 2, FrameCalls())
    try:
        cb = object()  # never reached: both are refused before anything is recorded
        with pytest.raises(TimelineError, match="no frame-in-flight slot 2: there are 2"):
            with timeline.span(cb, 2, "ui"):
                pass
        timeline._slots[0].open.append(("ui", 0))
        with pytest.raises(TimelineError, match="span 'splat' begun inside span 'ui'"):
            with timeline.span(cb, 0, "splat"):
                pass
    finally:
        timeline.destroy()


def test_window_timeline(display, tmp_path):
    with InteractiveApp(
        [Particles],
        0,
        params={"count": 20_000, "radius": 0.008},
        size=(320, 180),
        vsync=False,
        validate=True,
        out_dir=tmp_path,
        timeline=True,
    ) as app:
        app.run(max_frames=15)
        summary = app.gpu_summary()
        history = app.timeline.history()
        app.write_frame_log(tmp_path / "frames.csv")
    app.context.validation_log.raise_if_any("in the window's timeline test")
    assert summary.startswith("GPU ms per frame (median/p95): kernels ")
    # the panel's command buffer follows the scene's
    assert history.names == ["kernels", "splat", "render pass", "splat take", "splat shade", "present", "ui"]
    assert history.frames.tolist() == list(range(15))
    assert (history.gpu_ms > 0).all()
    assert (history.gpu_ms.sum(axis=1) <= history.gpu_frame_ms + 1e-6).all()
    header = (tmp_path / "frames.csv").read_text().splitlines()[0]
    assert header.startswith("frame,total_ms,wait_acquire_ms,update_ms,submit_present_ms,gpu_kernels_ms,")
    assert header.endswith(",gpu_present_ms,gpu_ui_ms,gpu_frame_ms")


def test_off_by_default_on_a_cpu_driver_and_says_why(cpu_driver):
    """On lavapipe each timestamp makes the rasterizer flush (~0.7 ms a frame at 10k particles): off unless asked."""
    with HeadlessRenderer(Particles(count=100), 64, 64) as renderer:
        renderer.render(2)
        assert renderer.context.device_type == "CPU"
        assert not renderer.timeline.supported and renderer.timeline.reason == timeline_module.CPU_OFF
        assert "QueryPool" not in handles.live_counts()


def test_figures_from_stored_timestamps_in_a_ring():
    """The arithmetic between the stored timestamps and the figures, without a device: spans are differences of
    timestamps modulo the valid bits, a name used twice in a frame adds up, a span not written is NaN, the frame's
    GPU time runs to its last written timestamp, and only the last `keep` frames stay, oldest first, also when
    more frames wait than the ring holds."""
    timeline = Timeline.__new__(Timeline)
    timeline.mask, timeline.period_ms, timeline.keep = (1 << 32) - 1, 1e-6, 5  # 1 tick: 1 ns
    timeline._names = timeline._columns = [timeline_module.KERNELS, "splat"]
    timeline._table, timeline._rows, timeline._pending = np.empty((0, timeline_module.FIXED)), 0, []
    layout = ((timeline_module.KERNELS, 0), ("splat", 3), ("splat", 5))

    def frame(number: int, *, second_splat: bool) -> tuple:
        results = np.zeros((7, 2), np.uint64)
        # kernels 0 -> 1000 ns; the frame's end at 9000; splat 2000 -> 3000 and 5000 -> 5500 across a wrap of 2^32
        stamps = [
            2**32 - 4000,
            2**32 - 3000,
            2**32 + 5000,
            2**32 - 2000,
            2**32 - 1000,
            2**32 + 1000,
            2**32 + 1500,
        ]
        results[:, 0] = [t % 2**32 + 7 * 2**32 for t in stamps]  # the high bits the valid bits drop
        results[:, 1] = 1
        results[5:, 1] = int(second_splat)
        return number, 0.5, results, layout

    for number in range(8):
        timeline._pending.append(frame(number, second_splat=number % 2 == 0))
    history = timeline.history()
    assert list(history.frames) == [3, 4, 5, 6, 7]
    assert np.allclose(history.gpu_ms[:, 0], 1e-3)
    assert np.allclose(history.gpu_ms[:, 1], [1e-3, 1.5e-3, 1e-3, 1.5e-3, 1e-3])
    assert np.allclose(history.gpu_frame_ms, 9e-3) and np.allclose(history.cpu_ms, 0.5)
    for number in range(8, 10):  # the ring goes on from where it stopped
        timeline._pending.append(frame(number, second_splat=False))
    assert list(timeline.history().frames) == [5, 6, 7, 8, 9]
    assert list(timeline.history(2).frames) == [8, 9]
