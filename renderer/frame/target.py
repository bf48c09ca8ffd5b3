"""What every frame target shares: frames in flight, one fence each, and the frame loop's calls.

A frame target (`OffscreenFrames`, `WindowFrames`) draws a list of drawables into `frames_in_flight` frames that
the GPU renders while the host prepares the next ones. The session (app/session.py) uses it through this
interface only:

    render_pass            the render pass the drawables' pipelines are made for
    frames_in_flight       how many frames (slots) may be in flight at once
    extent                 (width, height) of the frames
    clear_color            RGBA the frames are cleared to; a new one takes effect at the next frame (that frame's
                           command buffer is recorded again, once; so do the drawables' `recorded()` values)
    set_drawables(list)    what every frame draws; waits for the frames in flight, records the command buffers
    wait_all()             wait until no frame is in flight (and, for a window, the device is idle)
    destroy()              release everything (after wait_all())

Shared here: a slot's fence (signalled when created, so the first wait returns at once), the fence wait with
its timeout (`FrameTimeoutError`) and its lost device (`DeviceLostError` naming vkWaitForFences), the submit
(flush Taichi's launches first, reset the fence, submit), the frames' GPU timeline (`timeline`, frame/timeline.py:
started and armed with each frame, read after each fence wait), and the reclaim rule:

Taichi 1.7.4 keeps every command buffer, fence, semaphore and argument buffer it submits until `ti_wait` (its
only reclaim, a queue-idle wait), so without one its memory grows ~9 KiB per launch forever. The submit
therefore calls `ti_wait` once every `reclaim_interval` frames, or sooner once `reclaim_launches` kernels were
launched since the last one (a scene with 25 launches a frame would otherwise hold ~56 MiB in Taichi between
reclaims).
"""

from __future__ import annotations

import abc

from ..device import vk
from ..device.handles import create_fence, vk_destroy
from ..errors import DeviceLostError, RendererError, VulkanStatus
from .timeline import Timeline

# defaults of the frame targets' fence_timeout_s, reclaim_interval (frames between the ti_wait calls that let
# Taichi free memory) and reclaim_launches (... or launches, whichever comes first)
FENCE_TIMEOUT_S = 60.0
RECLAIM_INTERVAL = 256
RECLAIM_LAUNCHES = 1024


class FrameTimeoutError(RendererError):
    """A frame's fence did not signal in time: the GPU is stuck (an event never set?) or lost."""


class FrameCalls:
    """The frame loop's calls into Vulkan and Taichi, all made through this object: the hook to count, time
    or fail them. Frame targets take one (`calls=`; a plain `FrameCalls()` by default).

    - `vkQueueSubmit(queue, submit_info, fence)`: submit one VkSubmitInfo (made by the `vulkan` package)
    - `vkWaitForFences(device, fences, timeout_ns)`: wait for a slot's fence (`fences`: a VkFence[1])
    - `vkResetFences(device, fences)`: reset it before its slot is submitted again
    - `vkDeviceWaitIdle(context)`: a window's wait for the presentation engine (resize, new drawables, teardown)
    - `ti_flush(runtime)`: submit Taichi's launches so far (before each frame's submission)
    - `ti_wait(runtime)`: the periodic reclaim (see this module's docstring)

    The Vulkan calls go to the compiled functions of `lib` (the `vulkan` package's `lib` unless one is given,
    e.g. one that injects results), with arguments made once per slot: the package's Python wrappers convert
    every argument on every call, ~8 us a call, which on a GPU was a tenth of the frame's Python. Their results
    are checked with `vk.check`: a lost device is `DeviceLostError` naming the call, a non-error result such
    as VK_TIMEOUT is `VulkanStatus`. To observe the calls, subclass and extend the methods."""

    lib = vk.lib  # the class's default; an instance given another keeps its own

    def __init__(self, lib=None):
        if lib is not None:
            self.lib = lib

    def vkQueueSubmit(self, queue, submit_info, fence) -> None:  # noqa: N802 (named after the call)
        vk.check(self.lib.vkQueueSubmit(queue, 1, vk.ffi.addressof(submit_info), fence), "vkQueueSubmit")

    def vkWaitForFences(self, device, fences, timeout_ns: int) -> None:  # noqa: N802
        vk.check(self.lib.vkWaitForFences(device, 1, fences, vk.VK_TRUE, timeout_ns), "vkWaitForFences")

    def vkResetFences(self, device, fences) -> None:  # noqa: N802
        vk.check(self.lib.vkResetFences(device, 1, fences), "vkResetFences")

    def vkDeviceWaitIdle(self, context) -> None:  # noqa: N802
        context.wait_idle()

    def ti_flush(self, runtime) -> None:
        runtime.flush()

    def ti_wait(self, runtime) -> None:
        runtime.wait()


class FrameSlot:
    """One frame in flight: its fence, and the number of the frame last submitted from it (None when idle)."""

    def __init__(self, device, index: int):
        self.index = index
        self.frame: int | None = None
        self.fence = create_fence(device, signalled=True)
        self.fences = vk.ffi.new("VkFence[1]", [self.fence])  # made once: the frame loop's argument
        self.shared: dict = {}  # RenderTarget.per_slot

    def destroy_fence(self, device) -> None:
        if self.fence is not None:
            vk_destroy("Fence", vk.vkDestroyFence, device, self.fence, None)
            self.fence = None


class Released:
    """The objects of a dict (RenderTarget.per_slot: a still's or a pick's own), destroyed
    together."""

    def __init__(self, objects: dict):
        self.objects = objects

    def destroy(self) -> None:
        for obj in self.objects.values():
            obj.destroy()
        self.objects.clear()


class FrameTarget(abc.ABC):
    """Base of the frame targets: the slots' fences, the submit and the reclaim rule, the fence wait."""

    render_pass = None
    picker = None  # the id pass of picking (picking.py), made on the first pick

    def __init__(
        self,
        context,
        runtime,
        *,
        clear_color=(0.02, 0.02, 0.03, 1.0),
        fence_timeout_s: float = FENCE_TIMEOUT_S,
        reclaim_interval: int = RECLAIM_INTERVAL,
        reclaim_launches: int = RECLAIM_LAUNCHES,
        calls: FrameCalls | None = None,
        timeline: bool | None = None,
    ):
        self.context, self.runtime, self.clear_color = context, runtime, clear_color
        self.timeline_enabled = timeline
        self.fence_timeout_s = fence_timeout_s
        self.reclaim_interval, self.reclaim_launches = reclaim_interval, reclaim_launches
        self.calls = calls if calls is not None else FrameCalls()
        self.drawables: list = []
        self.slots: list = []
        self.pool = None  # the command pool of the recorded frames (the subclass makes it)
        self.timeline: Timeline | None = None  # made with the slots (make_timeline)
        self.submitted = 0  # frames submitted so far

    @property
    def frames_in_flight(self) -> int:
        return len(self.slots)

    @property
    @abc.abstractmethod
    def extent(self) -> tuple[int, int]:
        """(width, height) of the frames."""

    @abc.abstractmethod
    def set_drawables(self, drawables: list) -> None:
        """What every frame draws: waits for the frames in flight, then records the command buffers."""

    @abc.abstractmethod
    def destroy(self) -> None:
        """Release everything (after wait_all()); idempotent."""

    # -- shared by the frame targets

    def renew_command_buffers(self, old: list, count: int) -> list:
        """Free the command buffers `old` and allocate `count` new ones from the pool, to record again."""
        device = self.context.device
        if old:
            vk.vkFreeCommandBuffers(device, self.pool, len(old), old)
        info = vk.VkCommandBufferAllocateInfo(
            commandPool=self.pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=count
        )
        return vk.vkAllocateCommandBuffers(device, info) if count else []

    def make_timeline(self) -> None:
        """The frames' GPU timeline, once the slots are made (unsupported, and free, where the device has no
        timestamps or `timeline=False`; with None, on but on a CPU driver)."""
        self.timeline = Timeline(
            self.context, self.runtime, len(self.slots), self.calls, enabled=self.timeline_enabled
        )

    def start_slot(self, frame: int) -> tuple[FrameSlot, int | None]:
        """The slot of `frame`, waited for (its last frame's timestamps read) and ready for a new frame's
        launches and submission; and the frame it rendered before (None if none was pending)."""
        slot = self.slots[frame % len(self.slots)]
        self.timeline.start(slot.index)
        done = self.wait_slot(slot)
        self.timeline.arm(slot.index)
        return slot, done

    def pick(self, slot: FrameSlot, x: int, y: int, storage: bool = True):
        """The nearest pickable element at pixel (`x`, `y`) of the frame `slot` rendered last, drawn again with
        its uniforms (picking.py's PixelPick), or None; waits for the slot, then for the pick. `storage`: the
        frame's colour image is a storage image (the frame splats small particles)."""
        from .picking import Picker

        if self.picker is None:
            self.picker = Picker(self.context)
        return self.picker.pick(self, slot, x, y, storage)

    def destroy_slots(self, device) -> None:
        """The picker's render pass, the timeline, the slots, then the command pool (and with it every recorded
        command buffer)."""
        if self.picker is not None:
            self.picker.destroy()
            self.picker = None
        if self.timeline is not None:
            self.timeline.destroy()
        for slot in self.slots:
            slot.destroy(device)
        self.slots = []
        if self.pool is not None:
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, self.pool, None)
            self.pool = None

    def recorded_state(self) -> tuple:
        """What the command buffers hold that the scene may change: the clear colour and each drawable's
        `recorded()` (counts, colormaps). A slot whose recording holds another is recorded again before its
        submission."""
        return (self.clear_color, *(d.recorded() for d in self.drawables))

    def reclaim_due(self) -> bool:
        return (
            self.submitted % self.reclaim_interval == 0
            or self.runtime.launches_since_wait >= self.reclaim_launches
        )

    def submit_slot(self, slot: FrameSlot, submit_info, frame: int) -> None:
        """Flush Taichi's launches, then submit `submit_info` after them with the slot's fence."""
        calls = self.calls
        self.timeline.submit_mark(slot.index)  # the frame's first timestamp, before Taichi's work
        calls.ti_flush(self.runtime)
        # reset only now: a frame abandoned between its wait and its submission leaves its fence signalled
        calls.vkResetFences(self.context.device, slot.fences)
        calls.vkQueueSubmit(self.context.queue, submit_info, slot.fence)
        slot.frame = frame
        self.timeline.submitted(slot.index, self.submitted)
        self.submitted += 1

    def reclaim(self) -> None:
        """The periodic ti_wait (see the module's docstring), after a frame's submission."""
        if self.reclaim_due():
            self.calls.ti_wait(self.runtime)

    def wait_slot(self, slot: FrameSlot) -> int | None:
        """Wait for the slot's fence; return the frame it rendered (None if nothing was pending)."""
        if slot.frame is None:
            return None
        try:
            self.calls.vkWaitForFences(self.context.device, slot.fences, int(self.fence_timeout_s * 1e9))
        except VulkanStatus as exc:
            if exc.result != "VK_TIMEOUT":
                raise
            raise FrameTimeoutError(
                f"frame {slot.frame} did not finish within {self.fence_timeout_s:.0f} s: the GPU "
                "is stuck (an event that is never set?) or the device was lost"
            ) from exc
        except DeviceLostError as exc:
            raise DeviceLostError(
                exc.call, exc.result, f"while rendering frame {slot.frame}; {exc.hint}"
            ) from exc
        frame, slot.frame = slot.frame, None
        self.timeline.read(slot.index)
        return frame

    def wait_all(self) -> None:
        """Wait until no frame is in flight (dropping an offscreen frame's pixels: see drain()), oldest first (the
        timeline reads their timestamps in frame order)."""
        for slot in sorted(self.slots, key=lambda s: -1 if s.frame is None else s.frame):
            self.wait_slot(slot)
