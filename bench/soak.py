"""Soak: many frames headless with periodic scene switches; memory, live objects and validation.

    python3 bench/soak.py                     # 100,000 frames, a scene switch every 5,000
    python3 bench/soak.py --frames 20000 --every 2000

Not part of the test suite (it runs for minutes). It prints, at each switch, the process's RSS, its open file
descriptors and the renderer's live objects per type (renderer/device/handles.py). At the end it compares the last
sample with the first one after a whole cycle through the scenes that has the same scene loaded: RSS growth
under 2 MiB and unchanged live-object counts pass (exit status 0). Any validation message fails it at once.
The validation layer runs with synchronization validation within each submission; its check between
submissions (`--sync-between-submissions`, on in the tests) keeps a history that layer 1.3.239 never prunes,
so over a long run the layer itself slows down and grows.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

import _setup  # noqa: E402

if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():  # set up like run_demo.py, then re-run in .venv
    _setup.ensure_packages()
    python = _setup.ensure_venv(ROOT)
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.device import handles  # noqa: E402
from renderer.scene import registry  # noqa: E402

RSS_LIMIT_MIB = 2.0  # growth allowed after warm-up
SCENES = [
    ("particles", {"count": 2000}),
    ("galaxies", {"count": 2000}),
    ("cloth", {"resolution": 16}),
    ("reaction-diffusion", {"size": 32}),
]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def live_objects() -> dict:
    """Live Vulkan objects and Taichi handles per type (renderer/device/handles.py), and open file descriptors."""
    return {**handles.live_counts(), "fds": len(os.listdir("/proc/self/fd"))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--every", type=int, default=5_000, help="frames between scene switches")
    p.add_argument("--size", type=int, default=64, help="square frame size in pixels")
    p.add_argument(
        "--no-validate",
        action="store_true",
        help="without the validation layer (to tell its own memory from the renderer's)",
    )
    p.add_argument(
        "--sync-between-submissions",
        action="store_true",
        help="also the layer's synchronization check between queue submissions (on in the tests); the layer "
        "slows down and grows with it over a long run",
    )
    args = p.parse_args()
    builtins = registry.builtin_scenes()
    make = [lambda name=name, params=params: builtins[name](**params) for name, params in SCENES]
    samples = []
    start = time.perf_counter()
    with HeadlessRenderer(
        make[0](),
        args.size,
        args.size,
        validate=not args.no_validate,
        sync_between_submissions=args.sync_between_submissions,
    ) as renderer:
        done = 0
        switch = 0
        while done < args.frames:
            count = min(args.every, args.frames - done)
            renderer.render(count)
            done += count
            switch += 1
            renderer.switch(make[switch % len(make)]())
            sample = {"frames": done, "rss_mib": round(rss_mib(), 1), **live_objects()}
            samples.append(sample)
            print(f"{time.perf_counter() - start:7.1f} s  {sample}", flush=True)
            renderer.context.check_validation(f"after {done} frames")
    renderer.context.check_validation("at teardown")
    # compare with the first sample after a whole cycle through the scenes that has the same scene loaded
    last = samples[-1]
    same_scene = [
        i for i in range(len(make), len(samples) - 1) if i % len(make) == (len(samples) - 1) % len(make)
    ]
    if not same_scene:
        print(f"\n{done} frames: too few switches to compare (need over {2 * len(make)}); no verdict")
        return 1
    warm = samples[same_scene[0]]
    grown = last["rss_mib"] - warm["rss_mib"]
    counts = {k: v for k, v in last.items() if k not in ("frames", "rss_mib")}
    flat = counts == {k: v for k, v in warm.items() if k not in ("frames", "rss_mib")}
    print(f"\n{done} frames, {switch} scene switches in {time.perf_counter() - start:.0f} s")
    print(
        f"RSS at frame {warm['frames']} (after warm-up) {warm['rss_mib']} MiB, at frame {last['frames']} "
        f"{last['rss_mib']} MiB: growth {grown:+.1f} MiB (limit {RSS_LIMIT_MIB} MiB)"
    )
    print(f"live objects and file descriptors {'flat' if flat else 'CHANGED'}: {counts}")
    if not args.no_validate:
        between = "" if args.sync_between_submissions else " within each submission"
        print(f"validation: no warning or error reported (synchronization validation on{between})")
    return 0 if flat and grown < RSS_LIMIT_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
