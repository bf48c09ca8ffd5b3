"""Are a scene's frames the same run to run on this device, and with each way of clearing (with and without the
conditional depth clear)? Renders tests/test_clears.py's Background (4 frames) and Toggling (10 frames; all
particles large in frames 2, 3, 6, 7) at 128x96 under validation, six times each: the clear in the pass without
the skip (twice), by transfer, by compute without and with the skip, in the pass with the skip. Prints, per run,
the pixels of each frame that differ from the first run's, and saves first | run | difference as PNGs to $OUT.

    python3 bench/h100/repeat_probe.py
"""

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.frame import offscreen  # noqa: E402
from tests.test_clears import Background, Toggling  # noqa: E402

OUT = os.environ.get("OUT", "/tmp")
RUNS = (
    ("pass", False),
    ("pass", False, "again"),
    ("transfer", False),
    ("compute", False),
    ("compute", True),
    ("pass", True),
)


def frames(make, mode: str, skip: bool, count: int) -> list:
    offscreen.CLEAR_BEFORE_PASS, offscreen.SKIP_EMPTY_DEPTH_CLEAR = mode, skip
    with HeadlessRenderer(make(), 128, 96, validate=True) as r:
        made = [pixels.copy() for _, pixels in r.frames_iter(count, 1 / 60)]
        r.context.check_validation(f"{mode}, skip {skip}")
    return made


for name, make, count in (
    ("background", lambda: Background(count=3000, radius=0.002), 4),
    ("toggling", lambda: Toggling(count=3000, radius=0.002), 10),
):
    runs = {key: frames(make, key[0], key[1], count) for key in RUNS}
    first = runs[RUNS[0]]
    for key, made in runs.items():
        differing = []
        for i, (a, b) in enumerate(zip(first, made, strict=True)):
            d = (a != b).any(axis=2)
            differing.append(int(d.sum()))
            if d.any():
                ys, xs = np.nonzero(d)
                print(
                    name,
                    key,
                    "frame",
                    i,
                    "e.g.",
                    [
                        (int(y), int(x), a[y, x].tolist(), b[y, x].tolist())
                        for y, x in zip(ys[:4], xs[:4], strict=True)
                    ],
                )
                diff = (d[..., None] * 255).repeat(4, 2).astype(np.uint8)
                Image.fromarray(np.concatenate([a, b, diff], 1)).save(
                    f"{OUT}/{name}_{'_'.join(map(str, key))}_{i}.png"
                )
        print(name, key, "differing pixels per frame", differing)
