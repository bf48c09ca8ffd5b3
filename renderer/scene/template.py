"""`run_demo.py --new-scene NAME`: write a small working scene to start from."""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from pathlib import Path

from .api import SceneError

TEMPLATE = '''"""{title}: particles on a travelling wave (a starting point; edit the kernel and the scene)."""

import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene


@ti.kernel
def wave(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), t: ti.f32, amplitude: ti.f32):
    n = pos.shape[0]
    side = ti.cast(ti.sqrt(ti.cast(n, ti.f32)), ti.i32)
    for i in pos:
        x = (i % side) / side * 2.0 - 1.0
        z = (i // side) / side * 2.0 - 1.0
        y = amplitude * ti.sin(4.0 * x + 3.0 * t) * ti.cos(3.0 * z + 2.0 * t)
        pos[i] = ti.Vector([x, y, z])


class {cls}(Scene):
    name = "{name}"
    description = "particles on a travelling wave"
    kernels = (wave,)
    camera = Camera(eye=(0.0, 1.2, 2.6), target=(0.0, 0.0, 0.0))

    params = {{
        "count": Param(40_000, 1, 10_000_000, "particles"),
        "amplitude": Param(0.25, 0.0, 2.0, "height of the wave"),
    }}

    def setup(self, gpu):
        self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.008, color=(1.0, 0.6, 0.3))
        self.step = gpu.kernel("wave").bind(self.positions, 0.0, self.amplitude)

    def update(self, frame, dt, input):
        self.step.set("t", frame * dt)
        self.step()
'''


def write(name: str, folder: Path) -> Path:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
        raise SceneError(
            f"a scene name is a letter then letters, digits, '_' or '-' (at most 64), not {name!r}"
        )
    stem = name.replace("-", "_").lower()
    path = Path(folder) / f"{stem}.py"
    if path.exists():
        raise SceneError(f"{path} already exists; choose another name or remove it")
    if (
        keyword.iskeyword(stem)
        or stem in sys.stdlib_module_names
        or importlib.util.find_spec(stem) is not None
    ):
        raise SceneError(
            f"a scene named {name!r} would be written as {stem}.py, the name of a Python keyword or of an "
            "installed module (the file would hide it); choose another name"
        )
    cls = "".join(part.capitalize() for part in re.split(r"[-_]", name) if part)
    path.write_text(TEMPLATE.format(title=name, cls=cls, name=name))
    return path
