"""What creating, submitting and destroying Vulkan objects costs on this machine's driver (run on the H100 with
the vulkan package: python3 bench/h100/vk_objects_probe.py). Taichi 1.7.4's ti_flush creates a VkSemaphore and a
VkFence for every submit and frees them at ti_wait; the renderer reuses one fence per frame in flight."""

import time

import vulkan as vk

app = vk.VkApplicationInfo(pApplicationName="p", apiVersion=vk.VK_MAKE_VERSION(1, 3, 0))
inst = vk.vkCreateInstance(vk.VkInstanceCreateInfo(pApplicationInfo=app), None)
phys = vk.vkEnumeratePhysicalDevices(inst)
pd = max(
    phys,
    key=lambda p: vk.vkGetPhysicalDeviceProperties(p).deviceType == vk.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
)
print("device", vk.vkGetPhysicalDeviceProperties(pd).deviceName, flush=True)
fams = vk.vkGetPhysicalDeviceQueueFamilyProperties(pd)
fam = next(i for i, f in enumerate(fams) if f.queueFlags & vk.VK_QUEUE_COMPUTE_BIT)
qci = vk.VkDeviceQueueCreateInfo(queueFamilyIndex=fam, queueCount=1, pQueuePriorities=[1.0])
dev = vk.vkCreateDevice(pd, vk.VkDeviceCreateInfo(queueCreateInfoCount=1, pQueueCreateInfos=[qci]), None)
q = vk.vkGetDeviceQueue(dev, fam, 0)
pool = vk.vkCreateCommandPool(
    dev,
    vk.VkCommandPoolCreateInfo(
        queueFamilyIndex=fam, flags=vk.VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT
    ),
    None,
)
N = 256


def t(label, fn, n=N):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    dt = (time.perf_counter() - t0) / n * 1e6
    print(f"{label}: {dt:.1f} us", flush=True)


fence0 = vk.vkCreateFence(dev, vk.VkFenceCreateInfo(flags=vk.VK_FENCE_CREATE_SIGNALED_BIT), None)
t("baseline vkGetFenceStatus (Python wrapper cost)", lambda: vk.vkGetFenceStatus(dev, fence0))
t(
    "vkCreateFence+vkDestroyFence",
    lambda: vk.vkDestroyFence(dev, vk.vkCreateFence(dev, vk.VkFenceCreateInfo(), None), None),
)
t(
    "vkCreateSemaphore+vkDestroySemaphore",
    lambda: vk.vkDestroySemaphore(dev, vk.vkCreateSemaphore(dev, vk.VkSemaphoreCreateInfo(), None), None),
)
cbs = vk.vkAllocateCommandBuffers(
    dev,
    vk.VkCommandBufferAllocateInfo(
        commandPool=pool, level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount=N
    ),
)
barrier = vk.VkMemoryBarrier(
    srcAccessMask=vk.VK_ACCESS_SHADER_WRITE_BIT, dstAccessMask=vk.VK_ACCESS_SHADER_READ_BIT
)


def record(cb):
    vk.vkBeginCommandBuffer(cb, vk.VkCommandBufferBeginInfo(flags=0))
    vk.vkCmdPipelineBarrier(
        cb,
        vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
        vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
        0,
        1,
        [barrier],
        0,
        None,
        0,
        None,
    )
    vk.vkEndCommandBuffer(cb)


it = iter(cbs)
t("record begin+barrier+end", lambda: record(next(it)))
# Taichi-like flush: new semaphore + new fence per submit, all freed at the end (ti_wait)
made = []
it = iter(cbs)


def taichi_flush():
    cb = next(it)
    sem = vk.vkCreateSemaphore(dev, vk.VkSemaphoreCreateInfo(), None)
    fence = vk.vkCreateFence(dev, vk.VkFenceCreateInfo(), None)
    si = vk.VkSubmitInfo(
        commandBufferCount=1, pCommandBuffers=[cb], signalSemaphoreCount=1, pSignalSemaphores=[sem]
    )
    vk.vkQueueSubmit(q, 1, [si], fence)
    made.append((sem, fence))


t("taichi-like flush (create semaphore+fence, vkQueueSubmit)", taichi_flush)
t0 = time.perf_counter()
vk.vkQueueWaitIdle(q)
t1 = time.perf_counter()
for sem, fence in made:
    vk.vkDestroyFence(dev, fence, None)
    vk.vkDestroySemaphore(dev, sem, None)
t2 = time.perf_counter()
print(
    f"then vkQueueWaitIdle {1e3 * (t1 - t0):.2f} ms, destroy {N} fence+semaphore pairs {1e3 * (t2 - t1):.2f} ms "
    f"({1e6 * (t2 - t1) / N:.1f} us each)",
    flush=True,
)
# submit with a reused fence and no semaphore (what the renderer does per frame)
it = iter(cbs)


def reuse_submit():
    cb = next(it)
    vk.vkResetFences(dev, 1, [fence0])
    vk.vkQueueSubmit(q, 1, [vk.VkSubmitInfo(commandBufferCount=1, pCommandBuffers=[cb])], fence0)
    vk.vkWaitForFences(dev, 1, [fence0], vk.VK_TRUE, 10**9)


t("reset fence+vkQueueSubmit+wait (reused fence)", reuse_submit)
# create N fences, then destroy them (only the creation / only the destruction)
fs = []
t("vkCreateFence alone", lambda: fs.append(vk.vkCreateFence(dev, vk.VkFenceCreateInfo(), None)))
t("vkDestroyFence alone", lambda: vk.vkDestroyFence(dev, fs.pop(), None))
ss = []
t("vkCreateSemaphore alone", lambda: ss.append(vk.vkCreateSemaphore(dev, vk.VkSemaphoreCreateInfo(), None)))
t("vkDestroySemaphore alone", lambda: vk.vkDestroySemaphore(dev, ss.pop(), None))
vk.vkDeviceWaitIdle(dev)
print("done", flush=True)
