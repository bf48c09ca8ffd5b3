"""Keeping the frame loop's thread on one core (`HeadlessRenderer(pin_thread=True)`).

Each frame the loop waits on a fence: the thread sleeps, and the scheduler may wake it on another core, whose
caches hold none of the interpreter's working set. Measured on a 16-vCPU virtual machine with an H100
(bench/h100/cpu_wait_probe.txt), main-thread CPU outside the waits per frame: 100M particles (1.5 ms waits)
0.29 ms, pinned 0.17 ms; 10k particles (0.19 ms waits) 0.18 ms either way. Pinning is the caller's choice, not a
default: a thread that cannot move waits when another busy process shares its core.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading


def current_core() -> int | None:
    """The core the calling thread runs on now (Linux), else None."""
    try:
        core = ctypes.CDLL(None).sched_getcpu()
    except (OSError, AttributeError):
        return None
    return core if core >= 0 else None


@contextlib.contextmanager
def pinned_thread():
    """Within the block, the calling thread runs only on the core it runs on now; its affinity is restored
    after (by the thread's id, so a generator finalised elsewhere restores the right thread). Where affinity
    cannot be set (not Linux), nothing changes."""
    core = current_core() if hasattr(os, "sched_setaffinity") else None
    thread = threading.get_native_id()
    allowed = os.sched_getaffinity(thread) if core is not None else set()
    if core not in allowed:
        yield
        return
    os.sched_setaffinity(thread, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(thread, allowed)
