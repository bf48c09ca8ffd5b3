"""Ctrl-C at safe points only.

Python raises KeyboardInterrupt in whatever Python code runs when the signal comes, and while the renderer
works that is often a callback Taichi's C code made into it (compute/hooks.py): there the exception cannot
propagate, becomes a failed Vulkan call inside Taichi, and a crash or an ignored Ctrl-C. So the renderer's
own work (set-up, each frame, a scene switch, teardown) runs inside `deferred()`: Ctrl-C is remembered, and
raised as KeyboardInterrupt when the outermost such block ends, with everything consistent. A second Ctrl-C
before then raises at once (outside the callbacks): the way out of a scene whose update never returns.
"""

from __future__ import annotations

import _signal  # the signal module's C functions: its Python wrappers cost ~6 us a call (enum conversions)
import signal
import threading

_state = {"depth": 0, "pending": False, "previous": None}
_callback_files: set[str] = set()  # modules whose functions C code calls back (compute/hooks.py, ...)


def register_callbacks(module_file: str) -> None:
    """The functions of this module are called from C: a KeyboardInterrupt must never be raised inside them."""
    _callback_files.add(module_file)


def _in_callback(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename in _callback_files:
            return True
        frame = frame.f_back
    return False


def _remember(signum, frame) -> None:
    """The first Ctrl-C waits for the block's end; a second one while it waits (a scene's update that never
    returns, a long compilation) raises at once, unless it came inside a callback."""
    if _state["pending"] and not _in_callback(frame):
        _state["pending"] = False
        raise KeyboardInterrupt
    _state["pending"] = True


class deferred:
    """Within the block, Ctrl-C is remembered; when the outermost block ends it raises KeyboardInterrupt
    (in place of an error raised meanwhile, which the interruption usually caused: a compiler it stopped).
    Only the main thread receives signals; elsewhere, and under a SIGINT handler the program installed
    itself, nothing changes."""

    def __enter__(self) -> deferred:
        self.active = threading.current_thread() is threading.main_thread() and (
            _state["depth"] > 0 or _signal.getsignal(signal.SIGINT) is signal.default_int_handler
        )
        if self.active:
            if _state["depth"] == 0:
                _state["previous"] = _signal.signal(signal.SIGINT, _remember)
            _state["depth"] += 1
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if not self.active:
            return
        _state["depth"] -= 1
        if _state["depth"] > 0:
            return
        _signal.signal(signal.SIGINT, _state["previous"])
        if _state["pending"]:
            _state["pending"] = False
            if kind is None or not issubclass(kind, KeyboardInterrupt):
                raise KeyboardInterrupt from exc
