"""The main thread's CPU per frame outside the fence waits, the particle scene at 10k and 100M particles
(1280x720, read back), with the renderer's blocking fence wait, a wait that polls the fence (the core never
sleeps), and the blocking wait with the main thread pinned to one core (`os.sched_setaffinity`, after the renderer
started its driver's threads). Python's calls are the same in all three; the pieces are wait_probe.py's.

    python3 bench/h100/cpu_wait_probe.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wait_probe import Calls, cpu_per_frame  # noqa: E402

for n, frames in ((10_000, 200), (100_000_000, 50)):
    for mode in ("block", "poll", "pinned"):
        calls = Calls("poll" if mode == "poll" else "block")
        print(
            f"N={n:,} {mode}: {cpu_per_frame(n, frames, calls, {2} if mode == 'pinned' else None)}",
            flush=True,
        )
