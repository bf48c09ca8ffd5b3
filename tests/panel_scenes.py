"""Scenes for the panel's tests: every kind of parameter, live and not, and widgets of the scene's own."""

import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene


@ti.kernel
def spread(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), offset: ti.f32):
    for i in pos:
        pos[i] = ti.Vector([(i % 16) * 0.1 - 0.75 + offset, (i // 16) * 0.1 - 0.35, 0.0])


class Knobs(Scene):
    name = "knobs"
    description = "a grid of particles moved by a live parameter"
    kernels = (spread,)
    camera = Camera(eye=(0.0, 0.0, 2.5))
    params = {
        "offset": Param(0.0, -0.5, 0.5, "moves the grid (read in update)", live=True),
        "radius": Param(0.02, 0.005, 0.06, "particle radius (read in setup)"),
        "label": Param("none", help="free text"),
        "flag": Param(False, help="a switch"),
    }

    def setup(self, gpu):
        self.positions = gpu.array("positions", (128,), element_shape=(3,))
        gpu.particles(self.positions, radius=self.radius, color=(1.0, 0.8, 0.3))
        self.launch = gpu.kernel("spread").bind(self.positions, 0.0)
        self.clicks = 0

    def update(self, frame, dt, input):
        self.launch.set("offset", self.offset)
        self.launch()

    def ui(self, imgui):
        imgui.text(f"clicks: {self.clicks}")
        if imgui.button("count a click"):
            self.clicks += 1


class BrokenWidgets(Knobs):
    name = "broken-widgets"

    def ui(self, imgui):
        imgui.begin_group()  # left open: the panel recovers from it
        raise ValueError("the scene's widgets failed")
