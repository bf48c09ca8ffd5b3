"""Events shared by the renderer and Taichi (renderer/compute/events.py): import/export, misuse, and ordering.

Every test waits for the GPU (runtime.wait()) before it destroys events or buffers; the `context` fixture
fails the test on any validation message, synchronization hazards included.
"""

from __future__ import annotations

import numpy as np
import pytest
import vulkan as vk

from renderer.compute.events import Event
from renderer.compute.kernels import NdArray
from renderer.device import vk as renderer_vk
from renderer.device.memory import TAICHI_USAGE, Buffer
from renderer.errors import EventError

pytestmark = pytest.mark.timeout(60)  # a GPU wait on a never-set event would hang: fail instead


def raw(handle) -> int:
    return int(vk.ffi.cast("uintptr_t", handle))


@pytest.fixture
def app_event(context):
    """A VkEvent the test (the application) creates and destroys itself."""
    handle = vk.vkCreateEvent(context.device, vk.VkEventCreateInfo(), None)
    yield handle
    vk.vkDestroyEvent(context.device, handle, None)


@pytest.fixture
def owned(runtime):
    """Events and buffers a test creates, released after the GPU is idle (before the runtime is destroyed)."""
    things: list = []
    yield things
    runtime.wait()
    for thing in reversed(things):
        thing.destroy()


def test_export_of_an_imported_event_is_the_same_vkevent(runtime, app_event):
    event = Event.import_vulkan(runtime, app_event)
    assert event.owned is False
    assert raw(event.export_vulkan()) == raw(app_event)
    event.destroy()


def test_destroying_an_imported_event_leaves_the_application_event_alive(context, runtime, app_event, owned):
    event = Event.import_vulkan(runtime, app_event)
    event.signal()  # the event is used on the GPU (its command buffers exist) before it is destroyed
    event.host_wait()
    runtime.wait()
    # Watch vkDestroyEvent while the imported event is destroyed; the app's handle is kept from the driver so
    # that a regression fails here instead of crashing on the use-after-free below.
    destroyed, real_destroy = [], renderer_vk.vkDestroyEvent

    def watch(device, handle, allocator):
        destroyed.append(raw(handle))
        if raw(handle) != raw(app_event):
            real_destroy(device, handle, allocator)

    renderer_vk.vkDestroyEvent = watch  # the renderer calls Vulkan through renderer.device.vk
    try:
        event.destroy()
    finally:
        renderer_vk.vkDestroyEvent = real_destroy
    assert raw(app_event) not in destroyed, "destroying an imported event destroyed the application's VkEvent"
    # The application's VkEvent is still valid: using it and destroying it (app_event's teardown) must not be
    # reported by the validation layer, which it would be had event.destroy() destroyed it.
    assert Event.import_vulkan(runtime, app_event).is_set()
    vk.vkResetEvent(context.device, app_event)
    with pytest.raises(vk.VkEventReset):
        vk.vkGetEventStatus(context.device, app_event)


def test_import_needs_an_event(runtime):
    with pytest.raises(EventError):
        Event.import_vulkan(runtime, None)


def test_wait_on_a_never_signalled_event_is_refused(runtime, owned):
    event = Event.create(runtime)
    owned.append(event)
    with pytest.raises(EventError, match="never signalled"):
        event.wait()
    # a signal followed by a reset leaves nothing to wait for either
    event.signal()
    event.reset()
    with pytest.raises(EventError, match="never signalled"):
        event.wait()


def test_host_wait_on_a_never_signalled_event_times_out(runtime, owned):
    event = Event.create(runtime)
    owned.append(event)
    with pytest.raises(EventError, match="not signalled within 0.2 s"):
        event.host_wait(timeout=0.2)
    assert not event.is_set()


def test_host_wait_after_signal_returns(runtime, owned):
    event = Event.create(runtime)
    owned.append(event)
    assert not event.is_set()
    event.signal()
    event.host_wait(timeout=10)
    assert event.is_set()
    event.reset()
    runtime.wait()
    assert not event.is_set()


def record_copy(context, src: Buffer, dst: Buffer):
    """A command pool and one command buffer that copies src to dst and makes the copy visible to the host."""
    pool_info = vk.VkCommandPoolCreateInfo(queueFamilyIndex=context.queue_family)
    pool = vk.vkCreateCommandPool(context.device, pool_info, None)
    cb = vk.vkAllocateCommandBuffers(
        context.device,
        vk.VkCommandBufferAllocateInfo(
            commandPool=pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=1
        ),
    )[0]
    vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo())
    region = vk.VkBufferCopy(srcOffset=0, dstOffset=0, size=src.size)
    vk.vkCmdCopyBuffer(cb, src.handle, dst.handle, 1, [region])
    to_host = vk.VkBufferMemoryBarrier(
        srcAccessMask=vk.VK_ACCESS_TRANSFER_WRITE_BIT,
        dstAccessMask=vk.VK_ACCESS_HOST_READ_BIT,
        srcQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
        dstQueueFamilyIndex=vk.VK_QUEUE_FAMILY_IGNORED,
        buffer=dst.handle,
        offset=0,
        size=dst.size,
    )
    vk.vkCmdPipelineBarrier(
        cb,
        vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
        vk.VK_PIPELINE_STAGE_HOST_BIT,
        0,
        0,
        None,
        1,
        [to_host],
        0,
        None,
    )
    vk.vkEndCommandBuffer(cb)
    return pool, cb


def test_signal_after_reset_is_clean_under_validation(context, runtime, owned):
    """signal(), wait(), reset(), repeated: the seed's event cycle must not be a race the layer reports
    (a set after a reset needs an execution barrier between them: SYNC-vkCmdSetEvent-missingbarrier-reset)."""
    event = Event.create(runtime)
    owned.append(event)
    try:
        for _ in range(3):
            event.signal()
            event.wait()
            event.reset()
        runtime.wait()
        problems = [str(m) for m in context.validation_log.problems()]
    finally:
        context.validation_log.clear()  # reported here, not again by the fixture's teardown
    assert problems == []


def test_kernel_output_is_copied_after_signal_and_wait(context, runtime, test_module, owned):
    n = 257
    offset = np.array([0.5, -0.25, 100.0], np.float32)
    vertices = Buffer(
        context, n * 3 * 4, TAICHI_USAGE | vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, name="vertices"
    )
    owned.append(vertices)
    memory = runtime.import_memory(vertices)
    owned.append(memory)
    host = Buffer(context, vertices.size, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="readback")
    owned.append(host)
    event = Event.create(runtime)
    owned.append(event)
    pool, cb = record_copy(context, vertices, host)
    fence = vk.vkCreateFence(context.device, vk.VkFenceCreateInfo(), None)
    submit = vk.VkSubmitInfo(pCommandBuffers=[cb])
    launch = test_module.kernel("fill").bind(NdArray(memory, (n,), np.float32, (3,)), 0.0, offset, n)
    try:
        for t in (1.0, 2.5, -7.0, 42.0):
            host.write(np.full(n * 3, np.nan, np.float32))
            launch.set("t", t)
            launch()
            event.signal()
            event.wait()
            vk.vkQueueSubmit(context.queue, 1, [submit], fence)
            vk.vkWaitForFences(context.device, 1, [fence], vk.VK_TRUE, 30 * 10**9)
            vk.vkResetFences(context.device, 1, [fence])
            expected = (
                np.stack(
                    [np.arange(n, dtype=np.float32), np.full(n, t, np.float32), np.full(n, n, np.float32)],
                    axis=1,
                )
                + offset
            )
            np.testing.assert_array_equal(host.read(np.float32).reshape(n, 3), expected, err_msg=f"t={t}")
            event.host_wait(timeout=10)  # the signal was submitted, so this returns
            event.reset()
        runtime.wait()
        context.check_validation("while ordering a copy after a kernel with an event")
    finally:
        runtime.wait()
        vk.vkDestroyFence(context.device, fence, None)
        vk.vkDestroyCommandPool(context.device, pool, None)
