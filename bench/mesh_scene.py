"""The mesh benchmark's scene: a cloth-like grid of `grid` x `grid` vertices (2 (grid-1)^2 triangles) whose
positions and normals one kernel (`wave`) writes every frame, lit, seen from above at an angle.

Ours draws it through the scene API (`gpu.mesh`); the peers (bench/contenders.py) take `wave` and `weave` from
this file's source with their ndarray parameters turned into fields, as for the particle benchmark, so every
contender runs the same math.
"""

import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene

SIDE = 1.6  # the sheet spans [-SIDE/2, SIDE/2] in x and z
AMPLITUDE = 0.08
EYE = (0.0, 1.2, 1.7)
TARGET = (0.0, -0.1, 0.0)
COLOR = (0.85, 0.45, 0.3)
LIGHT = (0.3, 1.0, 0.6)  # MeshDraw's default light direction (towards the light)
AMBIENT = 0.3  # MeshDraw's ambient share without a scene light


@ti.kernel
def weave(idx: ti.types.ndarray(dtype=ti.u32, ndim=1), n: ti.i32):
    """Two triangles per grid cell (run once)."""
    for cell in range((n - 1) * (n - 1)):
        i, j = cell // (n - 1), cell % (n - 1)
        a = ti.cast(i * n + j, ti.u32)
        b = a + ti.u32(1)
        c = a + ti.u32(n)
        d = c + ti.u32(1)
        idx[cell * 6 + 0], idx[cell * 6 + 1], idx[cell * 6 + 2] = a, c, b
        idx[cell * 6 + 3], idx[cell * 6 + 4], idx[cell * 6 + 5] = b, c, d


@ti.kernel
def wave(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    nrm: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    n: ti.i32,
    t: ti.f32,
):
    """The sheet at time t: two travelling waves; the normals from the height's analytic gradient."""
    for k in pos:
        i, j = k // n, k % n
        x = (i / (n - 1) - 0.5) * SIDE
        z = (j / (n - 1) - 0.5) * SIDE
        a1, a2 = 7.0 * x + 2.0 * t, 5.0 * z - 1.3 * t
        a3 = 11.0 * (x + z) + 3.1 * t
        y = AMPLITUDE * (ti.sin(a1) * ti.cos(a2) + 0.35 * ti.sin(a3))
        dydx = AMPLITUDE * (7.0 * ti.cos(a1) * ti.cos(a2) + 0.35 * 11.0 * ti.cos(a3))
        dydz = AMPLITUDE * (-5.0 * ti.sin(a1) * ti.sin(a2) + 0.35 * 11.0 * ti.cos(a3))
        pos[k] = ti.Vector([x, y, z])
        nrm[k] = ti.Vector([-dydx, 1.0, -dydz]).normalized()


class WaveMesh(Scene):
    name = "wave-mesh"
    description = "a grid mesh whose positions and normals a kernel writes every frame (the mesh benchmark)"
    kernels = (weave, wave)
    camera = Camera(eye=EYE, target=TARGET)
    params = {
        "grid": Param(225, 2, 8192, "vertices along each side"),
        "splat": Param(
            True, help="splat the small triangles where the device and frame allow it (gpu.mesh's splat=)"
        ),
    }

    def setup(self, gpu):
        n = self.grid
        self.positions = gpu.array("positions", (n * n,), element_shape=(3,))
        self.normals = gpu.array("normals", (n * n,), element_shape=(3,))
        self.indices = gpu.array("indices", ((n - 1) * (n - 1) * 6,), dtype="uint32", usage=("index",))
        self.draw = gpu.mesh(self.positions, self.normals, self.indices, color=COLOR, splat=self.splat)
        self.weave = gpu.kernel("weave").bind(self.indices, n)
        self.step = gpu.kernel("wave").bind(self.positions, self.normals, n, 0.0)

    def update(self, frame, dt, input):
        if frame == 0:
            self.weave()
        self.step.set("t", frame * dt)
        self.step()
