"""A scene whose every frame is recognisable: all particles sit at an x position set by the frame number."""

import taichi as ti

from renderer.camera import Camera
from renderer.scene import Scene

POSITIONS = 8  # frame k puts the particles at slot k % POSITIONS along x


def slot_x(frame: int) -> float:
    return -0.7 + 0.2 * (frame % POSITIONS)


@ti.kernel
def place(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), frame: ti.i32):
    for i in pos:
        x = -0.7 + 0.2 * (frame % 8)
        pos[i] = ti.Vector([x, (i % 5) * 0.02 - 0.04, 0.0])


class FrameMarker(Scene):
    name = "frame-marker"
    kernels = (place,)
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        self.positions = gpu.array("positions", (64,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.03, color=(1.0, 1.0, 1.0))
        self.launch = gpu.kernel("place").bind(self.positions, 0)

    def update(self, frame, dt, input):
        self.launch.set("frame", frame)
        self.launch()
