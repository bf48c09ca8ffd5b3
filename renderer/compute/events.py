"""Events shared by the renderer and a Taichi runtime: the seed's TiEvent, which Taichi 1.7.4 no longer has.

An `Event` wraps a `VkEvent` on the runtime's device: created here (`Event.create`, owned) or imported from the
application (`Event.import_vulkan`, not owned); `export_vulkan()` hands out the `VkEvent`. Two ways to use it,
both in submission order on the one queue that Taichi and the renderer share:

- `signal()`, `reset()`, `wait()`: like the seed's `ti_*_event` calls. Each flushes the runtime's recorded
  launches (`ti_flush`) and then submits a small pre-recorded command buffer, so the operation lands after
  every kernel launched before it and before every kernel launched after it.
- `record_signal()`, `record_wait()`, `record_reset()`: the same operations recorded into a renderer command
  buffer that is submitted after `ti_flush`. The frame uses these (see `frame/offscreen.py`): set at the start of the
  render command buffer (its first scope covers Taichi's earlier submission), wait right before the draw,
  reset after a barrier at the end. That arrangement records once and is clean under synchronization
  validation, unlike a host-side `vkResetEvent`, which this layer version does not model.

A GPU wait on an event nothing will signal would hang the queue, so `wait()` refuses an event that has no
signal submitted since its last reset, and `host_wait()` gives up after a timeout: both raise `EventError`.
"""

from __future__ import annotations

import time

from ..device import vk
from ..device.handles import create_command_pool, vk_create, vk_destroy
from ..errors import EventError, VulkanStatus

ALL_COMMANDS = vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT
MEMORY_ACCESS = vk.VK_ACCESS_MEMORY_READ_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT


class Event:
    def __init__(self, runtime, handle, *, owned: bool, stage: int = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT):
        self.runtime, self.handle, self.owned, self.stage = runtime, handle, owned, stage
        self.context = runtime.context
        self.signal_pending = False  # a signal was submitted (or set on the host) since the last reset
        self._pool = self._buffers = None

    # -- creation, import, export (the seed's ti_import_vulkan_event / ti_export_vulkan_event)

    @classmethod
    def create(cls, runtime, **kw) -> Event:
        device = runtime.context.device
        info = vk.VkEventCreateInfo()
        return cls(runtime, vk_create("Event", vk.vkCreateEvent, device, info, None), owned=True, **kw)

    @classmethod
    def import_vulkan(cls, runtime, vk_event, **kw) -> Event:
        """Wrap an application's VkEvent; the application keeps ownership."""
        if vk_event is None:
            raise EventError("import_vulkan needs a VkEvent, got None")
        return cls(runtime, vk_event, owned=False, **kw)

    def export_vulkan(self):
        """The VkEvent behind this event (the same handle that was imported, if it was)."""
        return self.handle

    # -- in-order operations on the shared queue (the seed's signal / reset / wait)

    def signal(self) -> None:
        self._submit("signal")
        self.signal_pending = True

    def reset(self) -> None:
        self._submit("reset")
        self.signal_pending = False

    def wait(self) -> None:
        """Make later queue work wait for the signal; refuses if no signal was submitted to wait for."""
        if not self.signal_pending:
            raise EventError(
                "wait() on an event that was never signalled since its last reset: the queue would "
                "wait forever. Call signal() (or record a set) before waiting."
            )
        self._submit("wait")

    def is_set(self) -> bool:
        try:
            vk.vkGetEventStatus(self.context.device, self.handle)
        except VulkanStatus as status:  # VK_EVENT_SET and VK_EVENT_RESET are results, not VK_SUCCESS
            if status.result == "VK_EVENT_SET":
                return True
            if status.result == "VK_EVENT_RESET":
                return False
            raise
        return False

    def host_wait(self, timeout: float = 5.0) -> None:
        """Block until the GPU has set the event; EventError after `timeout` seconds."""
        self.runtime.flush()
        deadline = time.monotonic() + timeout
        while not self.is_set():
            if time.monotonic() > deadline:
                raise EventError(
                    f"event {self.handle} was not signalled within {timeout} s: nothing submitted "
                    "sets it, or the GPU is stuck before the signal"
                )
            time.sleep(0.0005)

    # -- recording into a renderer command buffer (the frame's path)

    def record_signal(self, cb) -> None:
        vk.vkCmdSetEvent(cb, self.handle, self.stage)

    def record_wait(
        self, cb, dst_stage: int, buffer_barriers=(), memory_barriers=(), image_barriers=()
    ) -> None:
        vk.vkCmdWaitEvents(
            cb,
            1,
            [self.handle],
            self.stage,
            dst_stage,
            len(memory_barriers),
            list(memory_barriers) or None,
            len(buffer_barriers),
            list(buffer_barriers) or None,
            len(image_barriers),
            list(image_barriers) or None,
        )

    def record_reset(self, cb, after_stages: int) -> None:
        """Reset after an execution barrier from the stages that waited on it (validation requires one)."""
        vk.vkCmdPipelineBarrier(cb, after_stages | self.stage, self.stage, 0, 0, None, 0, None, 0, None)
        vk.vkCmdResetEvent(cb, self.handle, self.stage)

    # -- internals

    def _submit(self, operation: str) -> None:
        if self._buffers is None:
            self._record_operations()
        self.runtime.flush()  # the runtime's launches so far go first
        self._submit_info = vk.VkSubmitInfo(pCommandBuffers=[self._buffers[operation]])
        vk.vkQueueSubmit(self.context.queue, 1, [self._submit_info], None)

    def _record_operations(self) -> None:
        device = self.context.device
        self._pool = create_command_pool(self.context)
        names = ("signal", "reset", "wait")
        cbs = vk.vkAllocateCommandBuffers(
            device,
            vk.VkCommandBufferAllocateInfo(
                commandPool=self._pool,
                level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                commandBufferCount=len(names),
            ),
        )
        begin = vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT)
        everything = vk.VkMemoryBarrier(srcAccessMask=MEMORY_ACCESS, dstAccessMask=MEMORY_ACCESS)
        for name, cb in zip(names, cbs, strict=True):
            vk.vkBeginCommandBuffer(cb, begin)
            if name == "signal":
                # an execution barrier after any earlier reset in submission order (validation requires one)
                vk.vkCmdPipelineBarrier(cb, ALL_COMMANDS, self.stage, 0, 0, None, 0, None, 0, None)
                self.record_signal(cb)
            elif name == "reset":
                self.record_reset(cb, ALL_COMMANDS)
            else:
                self.record_wait(cb, ALL_COMMANDS, memory_barriers=[everything])
            vk.vkEndCommandBuffer(cb)
        self._buffers = dict(zip(names, cbs, strict=True))

    def destroy(self) -> None:
        device = self.context.device
        pool, self._pool = self._pool, None
        if pool is not None:
            # frees its command buffers
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, pool, None)
            self._buffers = None
        handle, self.handle = self.handle, None
        if handle is not None and self.owned:
            vk_destroy("Event", vk.vkDestroyEvent, device, handle, None)
