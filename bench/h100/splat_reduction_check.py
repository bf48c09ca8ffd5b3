"""On a GPU: the point splat's subgroup reductions draw the same image as none. The dense, flat and spread cases of
bench/splat_cases.py (1M and 10M particles, 1280x720, frame 10) rendered with each reduction the device has and
with none; prints, per case, the reduction and whether its pixels equal the unreduced ones exactly.
Run from the project root: python3 bench/h100/splat_reduction_check.py"""

import sys

sys.path.insert(0, ".")
sys.path.insert(0, "bench")
import numpy as np  # noqa: E402
from splat_cases import scene_for  # noqa: E402

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.draw import point_splat  # noqa: E402


def frame(case: str, count: int, reduction: str) -> np.ndarray:
    point_splat.REDUCTION = reduction
    with HeadlessRenderer(scene_for(case, count, 720), 1280, 720) as r:
        return r.render(11)[..., :3].copy()


for count in (1_000_000, 10_000_000):
    for case in ("dense", "flat", "spread"):
        reference = frame(case, count, "off")
        for reduction in ("partitioned", "ballot"):
            try:
                pixels = frame(case, count, reduction)
            except Exception as exc:  # the device lacks it
                print(f"{count:,} {case} {reduction}: not run ({exc})")
                continue
            same = np.array_equal(pixels, reference)
            lit = int((reference != reference[0, 0]).any(axis=2).sum())
            print(f"{count:,} {case} {reduction}: identical to no reduction: {same} ({lit:,} lit pixels)")
