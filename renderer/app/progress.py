"""A progress bar for headless runs on standard error: frames done, frames a second, and the time left.

On a terminal one line is redrawn in place (at most every UPDATE_S); elsewhere (a CI log, a pipe) a plain line
is written at each quarter of the run, and only once LOG_AFTER_S have passed since the last one, so that short
runs write nothing and long ones a few lines.
"""

from __future__ import annotations

import contextlib
import sys
import time

UPDATE_S = 0.1
LOG_AFTER_S = 5.0
BAR = 24


class Progress:
    """Call `update(done)` after each frame and `finish()` at the end (or when the run stops). `clock`: the
    time source (seconds), for tests."""

    def __init__(self, total: int, stream=None, clock=time.perf_counter):
        self.total, self.clock = total, clock
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.live = bool(self.stream.isatty())
        except (AttributeError, ValueError, OSError):
            self.live = False
        self.start = self.last = clock()
        self.quarter = 0  # of the last plain line written
        self.drawn = False

    def text(self, done: int, now: float) -> str:
        elapsed = now - self.start
        fps = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / fps if fps > 0 else float("nan")
        filled = BAR * done // max(self.total, 1)
        eta = f"{left:.0f} s left" if left == left else "? s left"
        return f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{self.total} frames  {fps:.1f} fps  {eta}"

    def update(self, done: int) -> None:
        now = self.clock()
        if self.live:
            if now - self.last >= UPDATE_S or done == self.total:
                self._write(f"\r{self.text(done, now)}\x1b[K")
                self.drawn, self.last = True, now
            return
        quarter = 4 * done // max(self.total, 1)
        if quarter > self.quarter and quarter < 4 and now - self.last >= LOG_AFTER_S:
            self._write(self.text(done, now) + "\n")
            self.quarter, self.last = quarter, now

    def finish(self) -> None:
        """End the redrawn line (the run's summary follows on a line of its own)."""
        if self.drawn:
            self._write("\n")
            self.drawn = False

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed terminal must not stop the run
            self.stream.write(text)
            self.stream.flush()
