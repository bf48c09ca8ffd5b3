"""Running a scene headless: a session (session.py: the device, the Taichi runtime, offscreen frames and the
scene, made, switched and released in its one fixed order) and the frame loop that reads the frames back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..checks import checked_device_name, checked_flag, checked_int, checked_number
from ..compute.runtime import TaichiRuntime
from ..device.context import VulkanContext
from ..errors import ArgumentError, RendererError
from ..frame.offscreen import OffscreenFrames
from ..frame.picking import pixel
from ..frame.target import FrameCalls
from ..interrupts import deferred
from ..scene.api import Picked, Scene
from .session import Session


class HeadlessRenderer:
    """Renders `scene` offscreen at `width` x `height`; frames come back as HxWx4 uint8 arrays."""

    def __init__(
        self,
        scene: Scene,
        width: int = 1280,
        height: int = 720,
        *,
        validate: bool = False,
        echo_validation: bool = False,
        device_name: str | None = None,
        frames_in_flight: int = 2,
        taichi_runtime: TaichiRuntime | None = None,
        sync_between_submissions: bool = True,
        readback: bool = True,
        calls: FrameCalls | None = None,
        timeline: bool | None = None,
    ):
        """By default the renderer creates the device and Taichi imports it. Pass `taichi_runtime` (one Taichi
        created, e.g. `TaichiRuntime.create_vulkan(device_extensions=[...])`) to adopt its device instead; the
        runtime then stays the caller's, and validation is not available on a device Taichi created.
        `sync_between_submissions=False` leaves out the layer's synchronization check between queue
        submissions, which slows down and grows without end in long runs (validation.enable_environment).
        `readback=False` leaves the frames on the GPU (no copy to host memory): the pixels handed out are
        None (to step a simulation, or to time the GPU work alone). `calls`: the frame loop's calls, to count,
        time or fail them (frame/target.py's FrameCalls). The frames' fence timeout and reclaim rule are
        attributes of `frames` (fence_timeout_s, reclaim_interval, reclaim_launches). `timeline=False` leaves
        the GPU timeline off (`gpu_times()` then has no figures); None (the default) turns it on but on a CPU
        driver, where its timestamps cost ~0.7 ms a frame (lavapipe); True turns it on everywhere."""
        # checked before anything is made: a wrong type would otherwise fail deep inside, or be taken
        width, height = checked_int("width", width, 1), checked_int("height", height, 1)
        frames_in_flight = checked_int("frames_in_flight", frames_in_flight, 1)
        checked_device_name(device_name)
        validate = checked_flag("validate", validate)
        echo_validation = checked_flag("echo_validation", echo_validation)
        sync_between_submissions = checked_flag("sync_between_submissions", sync_between_submissions)
        readback, timeline = checked_flag("readback", readback), checked_flag("timeline", timeline, none=True)
        if not isinstance(taichi_runtime, TaichiRuntime | None):
            raise ArgumentError(f"taichi_runtime must be a TaichiRuntime or None, not {taichi_runtime!r}")
        if not isinstance(calls, FrameCalls | None):
            raise ArgumentError(f"calls must be a FrameCalls (or a subclass's) or None, not {calls!r}")
        self.width, self.height = width, height
        self._running: range | None = None  # the frames of the frames_iter producing frames now
        self._abandoned = False  # one was closed before its end: its frames in flight are nobody's

        def open_context():
            if taichi_runtime is None:
                return VulkanContext(
                    validate=validate,
                    echo_validation=echo_validation,
                    device_name=device_name,
                    sync_between_submissions=sync_between_submissions,
                )
            info = taichi_runtime.export_vulkan()
            return VulkanContext.adopt(
                info.instance,
                info.physical_device,
                info.device,
                info.graphics_queue,
                info.graphics_queue_family_index,
                info.api_version,
                taichi_runtime.capabilities(),
            )

        def open_runtime(context):
            if taichi_runtime is None:
                return TaichiRuntime.import_vulkan(context)
            taichi_runtime.context = context
            return taichi_runtime

        def open_frames(context, runtime):
            return OffscreenFrames(
                context,
                runtime,
                width,
                height,
                frames_in_flight=frames_in_flight,
                readback=readback,
                calls=calls,
                timeline=timeline,
            )

        self.session = Session(
            scene, open_context, open_runtime, open_frames, owns_runtime=taichi_runtime is None
        )
        self._timeline = self.session.frames.timeline  # its figures stay readable after close()

    # the session's parts, as the renderer's attributes
    scene = property(lambda self: self.session.scene, doc="The scene being rendered.")
    context = property(
        lambda self: self.session.context, doc="The VulkanContext (device, queue, validation log)."
    )
    runtime = property(lambda self: self.session.runtime, doc="The TaichiRuntime on the device.")
    frames = property(
        lambda self: self.session.frames, doc="The OffscreenFrames (frames in flight, readback)."
    )
    loaded = property(
        lambda self: self.session.loaded, doc="The LoadedScene: its kernels, arrays, drawables and view."
    )

    @property
    def timeline(self):
        """The frames' GPU timeline (frame/timeline.py's Timeline): `supported` and `reason`, `history(n)` of
        the last frames' per-span GPU ms and CPU ms, `summary()`; readable after close()."""
        return self._timeline

    def gpu_times(self) -> dict[str, tuple[float, float]]:
        """{span: (median ms, 95th percentile ms)} of GPU time per frame over the frames rendered so far (the last
        100,000), spans in frame order: `kernels` (the scene's Taichi launches), `clear` where the frame is
        cleared before the render pass, the point splat's passes (`splat`, `splat take`, `splat shade`) where
        particles are splatted, `render pass`, `readback`; then `frame`, each frame's first timestamp to its
        last. Empty where the device has no timestamps (see `timeline.reason`) or the timeline is off."""
        return self._timeline.summary()

    def frames_iter(
        self, count: int, dt: float = 1 / 60, first: int = 0, *, copy: bool = True
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        """Render frames first..first+count-1; yield (frame, pixels) as each finishes, in order. With
        copy=False `pixels` is the frame in place, a read-only view of host memory that the renderer writes
        again once the iterator is advanced (its frame slot renders the frame `frames_in_flight` later): it
        saves a copy of the whole frame each time (3.7 MB at 1280x720). The view stays readable after the
        renderer is closed (it holds the last frame its slot rendered): the memory is Python's, which the
        device imports (VK_EXT_external_memory_host); a device without that hands out copies. Without
        readback, None.

        One iterator of a renderer produces frames at a time (they share its frame slots): one that starts
        while another is live (started, and not yet exhausted, failed, closed or garbage-collected) raises
        RendererError at its first frame, and the live one goes on. One still held but no longer advanced
        stays live: close() it (a `for` loop left with break closes the iterator it made). Frames still in
        flight from an iterator closed early are waited for and dropped; from one that failed (the scene's
        update raised), the next iterator yields them first."""
        count, first = checked_int("count", count), checked_int("first", first)
        return self._frames(count, checked_number("dt", dt), first, checked_flag("copy", copy))

    def _frames(
        self, count: int, dt: float, first: int, copy: bool
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        self._check_loaded()
        if self._running is not None:
            running = self._running
            raise RendererError(
                f"frames_iter (or render) of frames {first}..{first + count - 1} started while the frames_iter of "
                f"frames {running.start}..{running.stop - 1} is still live: they would take each other's frames; "
                "exhaust or close() that one first"
            )
        self._running = run = range(first, first + count)
        try:
            if self._abandoned:
                with deferred():
                    self.frames.wait_all()  # the frames in flight of an iterator closed early: nobody's to yield
                self._abandoned = False
            yield from self._render_frames(run, dt, copy)
        except GeneratorExit:
            # its frames in flight are waited for by the next iterator: a finalizer is no place to wait
            self._abandoned = True
            raise
        finally:
            self._running = None

    def _render_frames(self, run: range, dt: float, copy: bool) -> Iterator[tuple[int, np.ndarray | None]]:
        for frame in run:
            with deferred():  # Ctrl-C stops the loop here, between frames
                done, pixels = self.frames.acquire(frame)
            if done is not None:
                yield done, pixels.copy() if copy and pixels is not None else pixels
                self._check_loaded()  # the renderer may have been closed while the iterator waited
            with deferred():
                self.loaded.update(frame, dt)  # first: what it changes of the view is drawn this frame
                self.loaded.write_uniforms(self.frames.uniforms_slot(frame), self.width, self.height)
                self.frames.clear_color = (*self.loaded.background, 1.0)
                self.frames.submit(frame)
        in_flight = self.frames.drain()
        while True:
            self._check_loaded()
            with deferred():
                done, pixels = next(in_flight, (None, None))
            if done is None:
                break
            yield done, pixels.copy() if copy and pixels is not None else pixels
        self.context.check_validation("while rendering")

    def _check_loaded(self) -> None:
        if self.loaded is None:
            raise RendererError(
                "no scene is loaded: the renderer is closed, or its last switch() failed; switch() to a scene "
                "(or make a new renderer) before rendering"
            )

    def render(
        self, count: int, dt: float = 1 / 60, on_frame: Callable | None = None, *, copy: bool = True
    ) -> np.ndarray | None:
        """Render `count` frames (at least 1); return (a copy of) the last one's pixels (None without
        readback). on_frame(frame, pixels) sees each; with copy=False as a view valid only during the call
        (see frames_iter, which this runs: not while another frames_iter is live)."""
        # at least 1: with no frame rendered it would return None, as a frame without readback does
        count = checked_int("count", count, 1)
        if on_frame is not None and not callable(on_frame):
            raise ArgumentError(f"on_frame must be a function of (frame, pixels) or None, not {on_frame!r}")
        last = None
        for frame, pixels in self.frames_iter(count, dt, copy=copy):
            if on_frame is not None:
                on_frame(frame, pixels)
            last = pixels
        return last if copy or last is None else last.copy()

    def pick(self, x: int, y: int) -> Picked:
        """What is drawn nearest at pixel (`x`, `y`) of the frame (from its top left) with the scene as its last
        update left it: the same id pass as a Ctrl+click in the window (frame/picking.py), which waits for the
        GPU. Frames still in flight are waited for and their pixels dropped: those of an abandoned
        `frames_iter`, and those of a live one (picking inside its loop), which then goes on with the frame
        after them (`frames_in_flight` - 1 frame numbers are skipped; none comes out of order).
        ArgumentError for a pixel outside the frame, or not whole numbers."""
        x, y = pixel(x, y)
        self._check_loaded()
        frames = self.frames
        with deferred():
            frames.wait_all()
            slot = frames.slots[0]  # idle now: its uniforms are rewritten for the view as it is
            self.loaded.write_uniforms(slot.index, self.width, self.height)
            found = frames.pick(slot, x, y)
            picked = self.loaded.picked(found, x, y)
        self.context.check_validation("while picking")
        return picked

    def switch(self, scene: Scene) -> None:
        """Replace the scene on the same device and runtime (the GPU is idle while the old one is released);
        the frames are cleared to the new scene's background. ArgumentError, with the old scene kept, for
        what is not a Scene instance. Inside a live `frames_iter` loop, its frames in flight (the old scene's)
        are dropped as pick() drops them, and the loop goes on with the new scene."""
        self.session.switch(scene)

    def close(self) -> None:
        """Release everything in the session's fixed order (idempotent)."""
        self.session.close()

    def __enter__(self) -> HeadlessRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
