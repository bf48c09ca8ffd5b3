"""The GPU timeline of the frames: timestamp queries around the named spans of each frame, read without a stall.

Spans, in frame order: `kernels` (the frame's Taichi launches, up to the wait on their event), `clear` (offscreen
frames cleared before the render pass: frame/offscreen.py CLEAR_BEFORE), what the drawables name (the point
splat's compute passes: `splat`, `splat take`, `splat shade`), `render pass`, what is recorded after it (a
panel's `ui`), then `readback` (offscreen: the copy to host memory, or the barrier that makes an
in-place frame readable) or `present` (a window: the end of the frame's commands before the present). Every
timestamp is written at BOTTOM_OF_PIPE, that is once all earlier commands are done, so spans never overlap and
their sum is at most the frame's GPU time (its first timestamp to its last, written at the end of the frame's
commands).

How it stays free of stalls and re-recording:

- Each frame-in-flight slot has a query pool. Its query 0 is written by the slot's *mark*, a tiny command buffer
  recorded once that writes one timestamp and resets the pool. The mark goes first in Taichi's first submission
  of the frame's launches (compute/hooks.py `prepend_to_next_submit`), at `ti_flush` or wherever Taichi submits
  them by itself: no submission of its own. A frame without launches (or a runtime whose submissions do not come
  through the hooks: one Taichi created) submits it alone right before the frame. Query 1, right after the wait
  on the kernels' event in the frame's command buffer, ends `kernels`.
- The spans' timestamps are recorded with the frame's command buffers (recorded once, re-submitted): each
  (name, occurrence in the recording) of a slot keeps its pair of queries, so a command buffer recorded again
  (a window's per swapchain image, a panel's every frame) writes the same ones.
- Each frame's submission ends with the slot's *closing* command buffer (recorded once): the frame's last
  timestamp, then, on a CPU driver, `vkCmdCopyQueryPoolResults` (with availability) into a small host-visible
  buffer of the slot. It is read from host memory once the slot's fence has been waited anyway, when the slot is
  reused: no Vulkan call, so no wait (lavapipe 22.3's vkGetQueryPoolResults waits for its device idle, that is
  for the newer frame in flight too: 5.8 ms a frame at 10k particles). On a GPU the copy is no good: without
  VK_QUERY_RESULT_WAIT_BIT (which would wait forever for a query a frame did not write) it is not ordered after
  the timestamps, and the H100 found all but the first of a rasterized frame's unavailable to it. There, once the
  fence has been waited, `vkGetQueryPoolResults` (no wait) reads them, all written by then. A span whose
  timestamps were not both written is left out.
- lavapipe (Mesa 22.3, lvp_execute.c) runs a submission's command buffers in order on its queue thread; a compute
  dispatch runs to its end right there, while a timestamp outside a render pass is binned into llvmpipe's current
  scene and takes its time only when that scene is next flushed (a barrier, the next timestamp, a wait on
  events). It also skips a pipeline barrier that begins or ends a command buffer or follows another one. So a
  timestamp that begins a span is followed by a barrier (`_write`), never the last command of its buffer: in
  the mark, the pool's reset follows it; otherwise the frame's first timestamp took its time at the wait on the
  kernels' event, after the kernels, and `kernels` read ~0.03 ms at any particle count. The event wait itself is
  sound there: it flushes and waits for all earlier work, and the kernels' dispatches were done before it.
- Ticks become milliseconds with `timestampPeriod`, masked to the queue's `timestampValidBits`. A queue without
  timestamps (no valid bits, or no `timestampComputeAndGraphics`) gives a timeline whose `supported` is False and
  `reason` says why: it makes no pool, submits nothing and records nothing.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections import Counter
from typing import NamedTuple

import numpy as np

from ..compute import hooks
from ..device import vk
from ..device.handles import create_command_pool, vk_create, vk_destroy
from ..device.memory import Buffer
from ..errors import TimelineError

KERNELS = "kernels"
# why the timeline is off by default on a CPU driver: measured on lavapipe, 1280x720, 10k particles, 2.14 ms a
# frame with it against 1.39 without (each timestamp makes llvmpipe flush its work, each span's barrier waits)
CPU_OFF = "off by default on a CPU driver, where it costs ~0.7 ms a frame (timeline=True or --timeline: on)"
CAPACITY = 64  # timestamps per slot: the kernels' pair, the frame's end and 30 spans
FRAME_END = 2  # the query of the frame's last timestamp, in its closing command buffer
FIRST_SPAN = 3  # the spans' queries begin here
KEEP_FRAMES = 100_000  # frames whose figures are kept (the oldest go first): 8 bytes per figure
STAGE = vk.VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT
# how a frame's timestamps reach the host: None: by the kind of device (a copy in the frame on a CPU driver,
# vkGetQueryPoolResults after the fence on a GPU; the module's docstring says why); True or False forces the
# copy (tests run the GPU's way on lavapipe)
COPY_IN_FRAME: bool | None = None
FIXED = 3  # the table's columns before the spans': frame, GPU frame time, CPU frame time
# frames read and not yet turned into figures: each frame keeps a copy of its timestamps (a few microseconds of the
# frame loop's time), and they become figures together, in numpy, when read or when this many are waiting
PENDING = 256


class TimelineHistory(NamedTuple):
    """The figures of the last frames, oldest first: `frames` (their numbers, in submission order from 0),
    `names` (the spans, in frame order), `gpu_ms` (frames x names; NaN where a frame did not have that span),
    `gpu_frame_ms` (each frame's GPU time: its first timestamp to its last) and `cpu_ms` (each frame's host time:
    from the start of its wait for a free slot to the end of its submission)."""

    frames: np.ndarray
    names: list[str]
    gpu_ms: np.ndarray
    gpu_frame_ms: np.ndarray
    cpu_ms: np.ndarray


def timestamp_support(context) -> str | None:
    """None where the context's queue can write timestamps in graphics and compute work; else why not."""
    limits = vk.vkGetPhysicalDeviceProperties(context.physical_device).limits
    family = vk.vkGetPhysicalDeviceQueueFamilyProperties(context.physical_device)[context.queue_family]
    if not family.timestampValidBits:
        return "the device's queue writes no timestamps (timestampValidBits is 0)"
    if not limits.timestampComputeAndGraphics:
        return "the device does not time graphics and compute work (no timestampComputeAndGraphics)"
    return None


class _Slot:
    """One frame-in-flight slot's pool, mark, closing copy and span layout, and the frame it has in flight."""

    def __init__(self):
        self.pool = self.mark = self.submit_info = self.closing = self.copied = None
        # (timestamp, availability) per query: a view of `copied` (the closing copy's), or read on the host
        self.results: np.ndarray | None = None
        self.results_pointer = None  # a cffi view of `results` where they are read with vkGetQueryPoolResults
        self.queries: dict[tuple[str, int], int] = {}  # (name, occurrence) -> its first query (the end: +1)
        self.layout: tuple | None = (
            None  # ((name, first query), ...) of the recording, kernels first; None: stale
        )
        self.next = FIRST_SPAN
        self.counts: Counter | None = None  # occurrences of each name in the recording under way
        self.open: list[tuple[str, int]] = []  # spans begun and not yet ended
        self.previous = KERNELS  # the span begun last (a new name goes after it in the frame order)
        self.started = 0.0  # host time the frame started (perf_counter)
        self.frame: int | None = None  # the frame submitted from this slot and not yet read
        self.cpu_ms = np.nan


class Timeline:
    """GPU timestamps of the frames of a frame target with `slots` frames in flight (see the module's docstring).

    Read: `supported`, `reason`, `names`, `history(frames)`, `summary()`, `summary_text()`. Record: `span(cb,
    slot, name)`. The frame target calls the rest. `enabled=False` makes it as an unsupported one (reason: off),
    costing nothing; `enabled=None`: on but on a CPU driver (CPU_OFF says why). `keep`: how many frames' figures are kept."""

    def __init__(
        self, context, runtime, slots: int, calls, *, enabled: bool | None = True, keep: int = KEEP_FRAMES
    ):
        self.context, self.runtime, self.calls = context, runtime, calls
        self.latch = False
        self.hooked = hooks.registered(context.device)  # Taichi's submissions on it come through hooks.py
        if enabled is None:  # where it is free: a CPU driver flushes its rasterizer at each timestamp
            self.reason = CPU_OFF if context.device_type == "CPU" else timestamp_support(context)
        else:
            self.reason = timestamp_support(context) if enabled else "off (timeline=False)"
        self.supported = self.reason is None
        self.keep = keep
        self._slots = [_Slot() for _ in range(slots)]
        self._names: list[str] = []  # in frame order (a new name goes after the span recorded before it)
        self._columns: list[str] = []  # the table's span columns, in the order first seen
        self._table = np.empty((0, FIXED))  # rows: frame, GPU frame ms, CPU ms, then one column per name
        self._rows = 0  # rows written so far (the table is a ring once it holds `keep`)
        self._pending: list[tuple] = []  # frames read, not yet in the table: (frame, CPU ms, results, layout)
        self._warned_full = False
        self._cmd_pool = None
        if not self.supported:
            return
        props = vk.vkGetPhysicalDeviceProperties(context.physical_device)
        bits = vk.vkGetPhysicalDeviceQueueFamilyProperties(context.physical_device)[
            context.queue_family
        ].timestampValidBits
        self.period_ms = float(props.limits.timestampPeriod) * 1e-6
        self.mask = (1 << bits) - 1
        self.latch = context.device_type == "CPU"
        self.copy_in_frame = self.latch if COPY_IN_FRAME is None else COPY_IN_FRAME
        self._names.append(KERNELS)
        self._columns.append(KERNELS)
        try:
            self._make_pools()
        except BaseException:
            self.destroy()
            raise

    def _make_pools(self) -> None:
        device = self.context.device
        self._cmd_pool = create_command_pool(self.context)
        buffers = vk.vkAllocateCommandBuffers(
            device,
            vk.VkCommandBufferAllocateInfo(
                commandPool=self._cmd_pool,
                level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                commandBufferCount=2 * len(self._slots),
            ),
        )
        info = vk.VkQueryPoolCreateInfo(queryType=vk.VK_QUERY_TYPE_TIMESTAMP, queryCount=CAPACITY)
        # submitted again while an earlier submission may still count as pending (it has no fence of its own)
        begin = vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT)
        for i, slot in enumerate(self._slots):
            slot.pool = vk_create("QueryPool", vk.vkCreateQueryPool, device, info, None)
            if self.copy_in_frame:
                slot.copied = Buffer(
                    self.context,
                    CAPACITY * 16,
                    vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                    host=True,
                    name=f"timestamps {i}",
                )
                slot.results = np.frombuffer(slot.copied.map(), dtype=np.uint64).reshape(CAPACITY, 2)
            else:
                slot.results = np.empty((CAPACITY, 2), np.uint64)
                slot.results_pointer = vk.ffi.from_buffer(slot.results)  # made once, for every read
            slot.results[:] = 0
            slot.mark, slot.closing = buffers[2 * i], buffers[2 * i + 1]
            cb = slot.mark
            vk.vkBeginCommandBuffer(cb, begin)
            vk.vkCmdResetQueryPool(cb, slot.pool, 0, 1)
            self._write(cb, slot.pool, 0, begins=True)
            # the rest of the pool after the timestamp: lavapipe skips a barrier that ends a command buffer, and
            # the latch's must run before the kernels that follow in Taichi's command buffer (see `_write`)
            vk.vkCmdResetQueryPool(cb, slot.pool, 1, CAPACITY - 1)
            vk.vkEndCommandBuffer(cb)
            slot.submit_info = vk.VkSubmitInfo(pCommandBuffers=[cb])
            self._record_closing(slot)

    def _record_closing(self, slot: _Slot) -> None:
        """The slot's closing command buffer, last in each of its frames' submissions: the frame's last
        timestamp, then, with `copy_in_frame`, every query's result and availability copied into host memory
        (read after the fence, with no call that could wait). The barrier before the copy waits for all earlier
        commands, which on lavapipe makes every timestamp written available to it (no WAIT flag: a query this frame
        did not write, a span not recorded in it, would wait forever); it follows a timestamp because lavapipe
        skips a barrier that begins a command buffer. Its memory barrier also orders the copy after the one of the
        slot's previous frame."""
        cb = slot.closing
        vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
        vk.vkCmdWriteTimestamp(cb, STAGE, slot.pool, FRAME_END)
        if not self.copy_in_frame:
            vk.vkEndCommandBuffer(cb)
            return
        buffer = slot.copied.handle

        def barrier(src_access, dst_access):
            return vk.VkBufferMemoryBarrier(
                srcAccessMask=src_access,
                dstAccessMask=dst_access,
                srcQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
                dstQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
                buffer=buffer,
                offset=0,
                size=slot.copied.size,
            )

        write, transfer = vk.VK_ACCESS_TRANSFER_WRITE_BIT, vk.VK_PIPELINE_STAGE_TRANSFER_BIT
        before = barrier(write, write)
        vk.vkCmdPipelineBarrier(
            cb, vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, transfer, 0, 0, None, 1, [before], 0, None
        )
        flags = vk.VK_QUERY_RESULT_64_BIT | vk.VK_QUERY_RESULT_WITH_AVAILABILITY_BIT
        vk.vkCmdCopyQueryPoolResults(cb, slot.pool, 0, CAPACITY, buffer, 0, 16, flags)
        after = barrier(write, vk.VK_ACCESS_HOST_READ_BIT)
        vk.vkCmdPipelineBarrier(cb, transfer, vk.VK_PIPELINE_STAGE_HOST_BIT, 0, 0, None, 1, [after], 0, None)
        vk.vkEndCommandBuffer(cb)

    # -- reading

    @property
    def names(self) -> list[str]:
        """The spans seen so far, in frame order (`kernels` first)."""
        return list(self._names)

    def history(self, frames: int | None = None) -> TimelineHistory:
        """The figures of the last `frames` frames read (all kept if None), oldest first. Frames reach the
        timeline `frames_in_flight` frames after their submission (when their slot is reused), the last ones
        when the frame target waits for all of them."""
        table = self._ordered()
        if frames is not None:
            table = table[max(len(table) - frames, 0) :]
        spans = [FIXED + self._columns.index(name) for name in self._names]
        return TimelineHistory(
            table[:, 0].astype(np.int64), self.names, table[:, spans], table[:, 1].copy(), table[:, 2].copy()
        )

    def summary(self) -> dict[str, tuple[float, float]]:
        """{span: (median ms, 95th percentile ms)} over the frames kept that had it, spans in frame order, then
        `frame` (the GPU time of the whole frame). Empty when unsupported or before any frame was read."""
        history = self.history()
        if not len(history.frames):
            return {}
        figures = {}
        columns = [*history.gpu_ms.T, history.gpu_frame_ms]
        for name, column in zip([*history.names, "frame"], columns, strict=True):
            column = column[np.isfinite(column)]
            if len(column):
                figures[name] = (float(np.median(column)), float(np.percentile(column, 95)))
        return figures

    def summary_text(self) -> str:
        """One line for a run's summary: each span's median and 95th percentile GPU time, or why there are none."""
        if not self.supported:
            return f"GPU timeline: unsupported: {self.reason}"
        figures = self.summary()
        if not figures:
            return "GPU timeline: no frame was timed"
        parts = [f"{name} {median:.2f}/{p95:.2f}" for name, (median, p95) in figures.items()]
        return "GPU ms per frame (median/p95): " + ", ".join(parts)

    # -- recording (once per command buffer, not per frame)

    @contextlib.contextmanager
    def recording(self, slot: int):
        """Around the recording of a slot's frame command buffer: a name used more than once in it (two
        splatted draws) gets a pair of queries per use, and its figure is their sum."""
        state = self._slot(slot)
        state.counts, state.previous = Counter(), KERNELS
        try:
            yield
        finally:
            state.counts = None

    @contextlib.contextmanager
    def span(self, cb, slot: int, name: str):
        """Time the commands recorded inside the `with` into `cb` (a command buffer of frame-in-flight `slot`,
        submitted with that slot's frame, after its scene's) as the span `name`. Recorded once, it times every
        frame the command buffer is submitted with; recorded again (each frame, say), it writes the same
        queries. A no-op where unsupported. Spans must not be nested."""
        if not self.supported:
            yield
            return
        state = self._slot(slot)
        occurrence = 0
        if state.counts is not None:
            occurrence = state.counts[name]
            state.counts[name] += 1
        key = (name, occurrence)
        first = state.queries.get(key)
        if first is None and state.next + 2 <= CAPACITY:
            first = state.queries[key] = state.next
            state.next += 2
            state.layout = None
            if name not in self._names:
                self._names.insert(self._names.index(state.previous) + 1, name)
                self._columns.append(name)
        if first is None:
            if not self._warned_full:
                self._warned_full = True
                warnings.warn(
                    f"the GPU timeline has room for {(CAPACITY - FIRST_SPAN) // 2} spans a frame: span {name!r} and "
                    "later ones are not timed",
                    RuntimeWarning,
                    stacklevel=3,
                )
            yield
            return
        if state.open:
            raise TimelineError(f"span {name!r} begun inside span {state.open[-1][0]!r}: spans must not nest")
        state.open.append(key)
        state.previous = name
        self._write(cb, state.pool, first, begins=True)
        try:
            yield
        finally:
            state.open.pop()
        self._write(cb, state.pool, first + 1, begins=False)

    def record_kernels_end(self, cb, slot: int) -> None:
        """Right after the frame's wait on its kernels' event: the end of `kernels` (query 1)."""
        if self.supported:
            self._write(cb, self._slot(slot).pool, 1, begins=False)

    def _write(self, cb, pool, query: int, begins: bool) -> None:
        vk.vkCmdWriteTimestamp(cb, STAGE, pool, query)
        if begins and self.latch:
            # lavapipe takes a timestamp's time only when it next flushes its work (at a barrier or the next
            # timestamp): a compute dispatch right after the timestamp that begins a span would run before the
            # time is taken. A barrier that nothing waits on (second scope TOP_OF_PIPE) flushes now, unless it
            # ends the command buffer (lavapipe skips that one: see the module's docstring). (The commands after
            # a span's end begin with a barrier or a timestamp.)
            none = vk.VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT
            vk.vkCmdPipelineBarrier(cb, STAGE, none, 0, 0, None, 0, None, 0, None)

    def forget_spans(self) -> None:
        """The slots' spans are recorded anew (new drawables; every slot idle and read)."""
        for state in self._slots:
            state.queries, state.next, state.layout = {}, FIRST_SPAN, None

    # -- the frame loop

    def start(self, slot: int) -> None:
        """A frame begins on `slot`, before the wait for it: the start of its CPU time."""
        self._slots[slot].started = time.perf_counter()

    def arm(self, slot: int) -> None:
        """The slot is free (its last frame read): its mark goes first in Taichi's next submission, that of the
        frame's launches, or at the latest right before the frame (`submit_mark`)."""
        if self.supported and self.hooked:
            hooks.prepend_to_next_submit(self.context.queue, self._slots[slot].mark)

    def submit_mark(self, slot: int) -> None:
        """Right before the frame's `ti_flush`: the mark on its own, unless Taichi's submission of the frame's
        launches takes it (or took it already)."""
        if not self.supported:
            return
        if self.hooked:
            if self.runtime.launches_since_flush or not hooks.take_prepended(self.context.queue):
                return
        self.calls.vkQueueSubmit(self.context.queue, self._slots[slot].submit_info, vk.ffi.NULL)

    def submitted(self, slot: int, frame: int) -> None:
        """The slot's frame `frame` was submitted: the end of its CPU time."""
        state = self._slots[slot]
        state.cpu_ms = 1000 * (time.perf_counter() - state.started)
        state.frame = frame if self.supported else None

    def closing(self, slot: int) -> list:
        """The command buffers that go last in every submission of the slot's frames, after all of the frame's
        spans: the frame's last timestamp and the copy of its results to host memory (none where unsupported)."""
        return [self._slots[slot].closing] if self.supported else []

    def read(self, slot: int) -> None:
        """After the wait on the slot's fence: its frame's timestamps into the table, from the closing copy in
        host memory (no Vulkan call: lavapipe's vkGetQueryPoolResults waits for its device idle, that is for the
        newer frames in flight too) or, on a GPU, from vkGetQueryPoolResults without waiting."""
        state = self._slot(slot)
        frame, state.frame = state.frame, None
        if frame is None:
            return
        if not self.copy_in_frame:  # the compiled function, as the frame loop's calls (FrameCalls)
            result = self.calls.lib.vkGetQueryPoolResults(
                self.context.device,
                state.pool,
                0,
                state.next,
                state.next * 16,
                state.results_pointer,
                16,
                vk.VK_QUERY_RESULT_64_BIT | vk.VK_QUERY_RESULT_WITH_AVAILABILITY_BIT,
            )
            if result != vk.VK_NOT_READY:  # NOT_READY: a query the frame did not write (availability 0)
                vk.check(result, "vkGetQueryPoolResults")
        results = state.results[: state.next].copy()
        state.results[:, 1] = 0
        # the frame's closing command buffer ran (a window's still is submitted without it: nothing to read)
        if not results[FRAME_END, 1]:
            return
        if state.layout is None:
            state.layout = ((KERNELS, 0), *((name, first) for (name, _), first in state.queries.items()))
        self._pending.append((frame, state.cpu_ms, results, state.layout))
        if len(self._pending) >= PENDING:
            self._convert()

    def _convert(self) -> None:
        """The frames read so far into the table, each run of frames with the same layout at once."""
        pending, self._pending = self._pending, []
        start = 0
        while start < len(pending):
            layout = pending[start][3]
            end = start + 1
            while end < len(pending) and pending[end][3] == layout:  # the slots' layouts are alike
                end += 1
            self._append(self._rows_of(pending[start:end], layout))
            start = end

    def _rows_of(self, frames: list[tuple], layout: tuple) -> np.ndarray:
        """The table's rows of frames read with the same span layout: differences of timestamps modulo the valid
        bits (the counter may wrap between two), in ms; a span whose timestamps were not both written is NaN."""
        results = np.stack([f[2] for f in frames])
        stamps, written = results[:, :, 0], results[:, :, 1] != 0
        rows = np.full((len(frames), FIXED + len(self._columns)), np.nan)
        rows[:, 0] = [f[0] for f in frames]
        rows[:, 2] = [f[1] for f in frames]
        for name, first in layout:
            ms = ((stamps[:, first + 1] - stamps[:, first]) & self.mask) * self.period_ms
            column = rows[:, FIXED + self._columns.index(name)]  # a view: a name used twice adds up
            column[:] = np.where(
                written[:, first] & written[:, first + 1], np.where(np.isnan(column), ms, column + ms), column
            )
        since_first = ((stamps - stamps[:, :1]) & self.mask) * self.period_ms
        rows[:, 1] = np.where(written, since_first, -np.inf).max(axis=1)
        return rows

    # -- storage: a table of `keep` rows at most, grown as needed, a ring once full

    def _append(self, rows: np.ndarray) -> None:
        skipped = max(len(rows) - self.keep, 0)  # more rows than the ring holds: the oldest never land
        self._rows += skipped
        rows = rows[skipped:]
        table, width = self._table, rows.shape[1]
        if table.shape[1] < width:  # a span seen for the first time: a column of NaN
            table = np.hstack([table, np.full((len(table), width - table.shape[1]), np.nan)])
        needed = min(self._rows + len(rows), self.keep)
        if len(table) < needed:
            grown = np.full((min(max(2 * len(table), 256, needed), self.keep), table.shape[1]), np.nan)
            grown[: len(table)] = table
            table = grown
        self._table = table
        at = (self._rows + np.arange(len(rows))) % self.keep
        table[at, :width] = rows
        table[at, width:] = np.nan
        self._rows += len(rows)

    def _ordered(self) -> np.ndarray:
        if self._pending:
            self._convert()
        count = min(self._rows, self.keep)
        table = self._table[:count]
        if self._rows > self.keep:
            start = self._rows % self.keep
            table = np.concatenate([table[start:], table[:start]])
        width = FIXED + len(self._columns)
        if table.shape[1] < width:
            table = np.hstack([table, np.full((len(table), width - table.shape[1]), np.nan)])
        return table

    def _slot(self, slot: int) -> _Slot:
        if not 0 <= slot < len(self._slots):
            raise TimelineError(f"no frame-in-flight slot {slot}: there are {len(self._slots)}")
        return self._slots[slot]

    def destroy(self) -> None:
        """Release the pools (the GPU done with the frames); idempotent. The figures stay readable."""
        device = self.context.device
        if self.supported and self.hooked:
            hooks.take_prepended(self.context.queue)
        for state in self._slots:
            if state.pool is not None:
                vk_destroy("QueryPool", vk.vkDestroyQueryPool, device, state.pool, None)
                state.pool = None
            if state.copied is not None:
                state.results = None  # views its mapping
                state.copied.destroy()
                state.copied = None
        if self._cmd_pool is not None:
            # with it the marks
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, self._cmd_pool, None)
            self._cmd_pool = None
