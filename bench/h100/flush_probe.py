"""Where ti_flush's time goes: the Vulkan device functions Taichi loads (of the kinds below) timed through a
generic x86-64 forwarding callback (integer and pointer arguments only: functions with more than six, or with
float arguments, are left alone). Run from the project root: python3 bench/h100/flush_probe.py N
(flush_probe.txt has its output on the H100)."""

import collections
import sys
import time

sys.path.insert(0, ".")
from renderer.compute import hooks as th  # noqa: E402

PREFIXES = (
    b"vkQueue",
    b"vkEnd",
    b"vkBegin",
    b"vkCreate",
    b"vkDestroy",
    b"vkReset",
    b"vkWait",
    b"vkGetFence",
    b"vkAllocate",
    b"vkFree",
    b"vkUpdateDescriptor",
    b"vkMap",
    b"vkUnmap",
    b"vkFlush",
    b"vkInvalidate",
    b"vkCmdDispatch",
    b"vkCmdBindPipeline",
    b"vkCmdPush",
    b"vkCmdCopyBuffer",
    b"vkCmdFill",
    b"vkGetEventStatus",
    b"vkSetEvent",
    b"vkCmdSetEvent",
    b"vkCmdResetEvent",
)
TOO_MANY_ARGS = (b"vkCmdCopyBufferToImage", b"vkCmdCopyImage")
GENERIC = "uint64_t(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)"
stats = collections.defaultdict(lambda: [0, 0.0])
active = [False]
keep = []
ffi = th._ffi
original_gdpa = th._device_proc_addr


def wrap(name, target):
    fn = ffi.cast("uint64_t(*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)", target)

    @ffi.callback(GENERIC)
    def timed(a, b, c, d, e, f):
        t0 = time.perf_counter()
        r = fn(a, b, c, d, e, f)
        if active[0]:
            s = stats[name]
            s[0] += 1
            s[1] += time.perf_counter() - t0
        return r

    keep.append((fn, timed))
    return ffi.cast("PFN_vkVoidFunction", timed)


@ffi.callback("PFN_vkVoidFunction(VkDevice, const char *)")
def gdpa(device, name):
    wanted = ffi.string(name)
    real = original_gdpa(device, name)
    if real != ffi.NULL and wanted.startswith(PREFIXES) and not wanted.startswith(TOO_MANY_ARGS):
        return wrap(wanted.decode(), real)
    return real


@ffi.callback("PFN_vkVoidFunction(VkInstance, const char *)")
def gipa(instance, name):
    wanted = ffi.string(name)
    if wanted == b"vkGetDeviceProcAddr":
        return ffi.cast("PFN_vkVoidFunction", gdpa)
    real = th._instance_proc_addr(instance, name)
    instance_level = (b"vkCreateInstance", b"vkDestroyInstance", b"vkCreateDevice", b"vkDestroyDevice")
    if real != ffi.NULL and wanted.startswith(PREFIXES) and not wanted.startswith(instance_level):
        return wrap(wanted.decode(), real)
    return real


th.instance_proc_addr = lambda: int(ffi.cast("uintptr_t", gipa))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from scenes.particles import Particles  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
frames = 200
flush_s = [0.0]
with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720) as r:
    real_flush = r.runtime.flush

    def flush():
        t0 = time.perf_counter()
        real_flush()
        if active[0]:
            flush_s[0] += time.perf_counter() - t0

    r.runtime.flush = flush
    t0 = None
    for f, _pixels in r.frames_iter(frames + 20, 1 / 60, copy=False):
        if f == 19:
            active[0] = True
            t0 = time.perf_counter()
    wall = time.perf_counter() - t0
    active[0] = False
print(f"N={n}: {1000 * wall / frames:.3f} ms/frame wall, ti_flush {1000 * flush_s[0] / frames:.3f} ms/frame")
for name, (count, total) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
    print(
        f"  {name:32s} {count / frames:7.2f} calls/frame  {1000 * total / frames:8.4f} ms/frame  {1e6 * total / max(count, 1):9.1f} us/call"
    )
