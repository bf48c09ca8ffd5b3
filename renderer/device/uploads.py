"""Host data into device-local buffers, through staging buffers, ordered on the queue with everything else.

An upload copies the data into a new host-visible staging buffer, then submits one command buffer:

    barrier(ALL_COMMANDS -> TRANSFER, memory reads and writes -> TRANSFER_WRITE)
        first scope: everything submitted before (frames in flight, kernels), which read or write the buffer
    copy staging -> buffer
    barrier(TRANSFER -> ALL_COMMANDS, TRANSFER_WRITE -> memory reads and writes)
        second scope: everything submitted after (the next kernels, the next frames' draws)

So the copy lands after every earlier use of the buffer and before every later one, on the GPU: the host does
not wait (unless asked, `wait=True`). The caller submits earlier work first (Taichi's recorded launches: flush).
Each upload keeps its staging buffer, command buffer and fence until the copy is done; `reclaim()` frees the
finished ones (each upload does, before its own), `destroy()` the rest.
"""

from __future__ import annotations

import numpy as np

from ..errors import RendererError, VulkanStatus
from . import vk
from .handles import create_command_pool, create_fence, hinted, vk_destroy
from .memory import Buffer, pipeline_barrier

MEMORY_ACCESS = vk.VK_ACCESS_MEMORY_READ_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT
WAIT_NS = 60 * 10**9


class Uploader:
    """Staged, queue-ordered copies into one context's buffers (see the module's docstring)."""

    def __init__(self, context):
        self.context = context
        self._pool = None
        self._pending: list[tuple] = []  # (fence, command buffer, staging buffer), in submission order

    def upload(self, buffer: Buffer, data: np.ndarray, *, wait: bool = False) -> None:
        """Copy `data` (any contiguous array; its bytes) to the start of `buffer`, after all work submitted so
        far and before all work submitted later. `wait`: return only once the copy is done."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        if buffer.handle is None:
            raise RendererError(f"{buffer.name} was destroyed; it cannot be written")
        if raw.size > buffer.size:
            raise RendererError(f"{buffer.name}: {raw.size} bytes do not fit in its {buffer.size}")
        self.reclaim()
        device = self.context.device
        staging = Buffer(
            self.context,
            raw.size,
            vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
            host=True,
            name=f"staging for {buffer.name}",
            lower=f"write less data to {buffer.name} at once",
        )
        cb = fence = None
        try:
            staging.write(raw)
            if self._pool is None:
                self._pool = create_command_pool(self.context)
            info = vk.VkCommandBufferAllocateInfo(
                commandPool=self._pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=1
            )
            cb = vk.vkAllocateCommandBuffers(device, info)[0]
            vk.vkBeginCommandBuffer(
                cb, vk.VkCommandBufferBeginInfo(flags=vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)
            )
            transfer = vk.VK_PIPELINE_STAGE_TRANSFER_BIT
            everything = vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT
            pipeline_barrier(cb, everything, transfer, MEMORY_ACCESS, vk.VK_ACCESS_TRANSFER_WRITE_BIT)
            region = vk.VkBufferCopy(srcOffset=0, dstOffset=0, size=raw.size)
            vk.vkCmdCopyBuffer(cb, staging.handle, buffer.handle, 1, [region])
            pipeline_barrier(cb, transfer, everything, vk.VK_ACCESS_TRANSFER_WRITE_BIT, MEMORY_ACCESS)
            vk.vkEndCommandBuffer(cb)
            fence = create_fence(device)
            vk.vkQueueSubmit(self.context.queue, 1, [vk.VkSubmitInfo(pCommandBuffers=[cb])], fence)
        except BaseException:
            self._release(fence, cb, staging)
            raise
        self._pending.append((fence, cb, staging))
        if wait:
            self.wait()

    def reclaim(self) -> None:
        """Free what the finished copies held (no wait)."""
        still = []
        for entry in self._pending:
            try:
                vk.vkGetFenceStatus(self.context.device, entry[0])
            except VulkanStatus:  # VK_NOT_READY: still to run
                still.append(entry)
                continue
            self._release(*entry)
        self._pending = still

    def wait(self) -> None:
        """Wait for every copy submitted so far, then free what they held."""
        if self._pending:
            fences = [entry[0] for entry in self._pending]
            hint = "uploads to the GPU did not finish within 60 s"
            hinted(hint, vk.vkWaitForFences, self.context.device, len(fences), fences, vk.VK_TRUE, WAIT_NS)
        self.reclaim()

    def _release(self, fence, cb, staging) -> None:
        device = self.context.device
        if fence is not None:
            vk_destroy("Fence", vk.vkDestroyFence, device, fence, None)
        if cb is not None:
            vk.vkFreeCommandBuffers(device, self._pool, 1, [cb])
        staging.destroy()

    def destroy(self) -> None:
        """Release everything, once the copies still pending are done (a lost device: at once); idempotent."""
        try:
            self.wait()
        except RendererError:  # a lost device, or one stuck: its copies will never run
            pass
        pending, self._pending = self._pending, []
        for entry in pending:
            self._release(*entry)
        pool, self._pool = self._pool, None
        if pool is not None:
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, self.context.device, pool, None)
