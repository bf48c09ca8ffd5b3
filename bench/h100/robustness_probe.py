"""On a GPU without the validation layer: the failure paths that differ from lavapipe's. Frames handed out in
place (copy=False) are host memory the device imported, readable after close; the device's limits and
out-of-memory answers become OutOfMemoryError naming what to lower; the cost of reading frames in place.
Run from the project root: python3 bench/h100/robustness_probe.py. Not run on a GPU yet (no machine could be had
when it was written); its output on lavapipe is as expected: imported memory, views intact, both limits named."""

import sys
import time

sys.path.insert(0, ".")
import numpy as np  # noqa: E402

from renderer import HeadlessRenderer  # noqa: E402
from renderer.errors import OutOfMemoryError  # noqa: E402
from renderer.scene import Scene  # noqa: E402
from scenes.particles import Particles  # noqa: E402


def views_outlive_close() -> None:
    with HeadlessRenderer(Particles(count=100_000), 1280, 720) as r:
        ctx = r.context
        print(f"device: {ctx.describe()}; host import alignment {ctx.host_import_alignment}")
        print(
            f"limits: maxStorageBufferRange {ctx.max_storage_buffer_range:,}, largest image {ctx.max_image_dimension}"
        )
        slot = r.frames.slots[0]
        owned = slot.color.host_owned if r.frames.in_place else slot.readback.host_owned
        print(
            f"frames read {'in place from the colour image' if r.frames.in_place else 'from a readback buffer'}; "
            f"memory imported from host: {owned}"
        )
        views = [(p, p.copy()) for _, p in r.frames_iter(8, copy=False)]
        slots = r.frames.frames_in_flight
    with HeadlessRenderer(Particles(count=100_000), 1280, 720) as other:
        other.render(8)
    intact = all(np.array_equal(p, c) for p, c in views[-slots:])
    print(
        f"after close and another renderer: the last {slots} views intact: {intact}; "
        f"non-background pixels {int((views[-1][0][..., :3].sum(-1) > 60).sum())}"
    )


class Big(Scene):
    name = "big"
    elements = 1

    def setup(self, gpu):
        gpu.array("positions", (self.elements,), element_shape=(3,))


def limits() -> None:
    for what, make in (
        ("a frame beyond the largest image", lambda: HeadlessRenderer(Particles(count=10), 40000, 16)),
        ("an array beyond maxStorageBufferRange", lambda: HeadlessRenderer(_big(2**31), 16, 16)),
    ):
        try:
            make().close()
            print(f"{what}: no error")
        except OutOfMemoryError as exc:
            print(f"{what}: OutOfMemoryError: {exc}")


def _big(elements: int) -> Big:
    scene = Big()
    scene.elements = elements
    return scene


def exhaust_device_memory() -> None:
    """Arrays of 3.9 GiB (under the binding limit) until the device says it is full."""
    scenes = []
    renderer = None
    try:
        renderer = HeadlessRenderer(Particles(count=10), 64, 64)
        start = time.perf_counter()
        for i in range(40):
            scenes.append(
                renderer.session.loaded.gpu.array(f"a{i}", (3_900_000_000 // 12,), element_shape=(3,))
            )
        print(f"40 arrays of 3.9 GB made: no error ({time.perf_counter() - start:.1f} s)")
    except OutOfMemoryError as exc:
        print(f"after {len(scenes)} arrays of 3.9 GB: OutOfMemoryError: {exc}")
    finally:
        if renderer is not None:
            renderer.close()


def in_place_cost() -> None:
    for n in (1_000_000, 10_000_000):
        for copy in (False, True):
            with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720) as r:
                for _ in r.frames_iter(20, copy=copy):
                    pass
                start = time.perf_counter()
                count = 0
                for _ in r.frames_iter(200, first=20, copy=copy):
                    count += 1
                ms = 1000 * (time.perf_counter() - start) / count
            print(f"N={n:,}: {ms:.3f} ms/frame, frames read back {'as copies' if copy else 'in place'}")


views_outlive_close()
limits()
exhaust_device_memory()
in_place_cost()
