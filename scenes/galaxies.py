"""Two galaxies collide: stars orbit two massive cores that fall past each other (a restricted N-body
simulation), coloured by speed. Kernels write positions and colours; the host moves the two cores."""

import numpy as np
import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene

G_MASS = 0.05  # G times a core's mass
SOFTENING = 0.01


@ti.func
def hash01(i: ti.u32, salt: ti.u32) -> ti.f32:
    h = (i ^ salt) * ti.u32(2654435761)
    h ^= h >> 15
    h *= ti.u32(2246822519)
    h ^= h >> 13
    return ti.cast(h & ti.u32(0xFFFFFF), ti.f32) / 16777216.0


@ti.func
def pull(p, core):
    d = core - p
    r2 = d.dot(d) + SOFTENING
    return G_MASS * d / (r2 * ti.sqrt(r2))


@ti.kernel
def seed(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    vel: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    c1: ti.math.vec3,
    v1: ti.math.vec3,
    c2: ti.math.vec3,
    v2: ti.math.vec3,
):
    for i in pos:
        k = ti.cast(i, ti.u32)
        r = 0.06 + 0.3 * hash01(k, ti.u32(1))
        a = 6.2831853 * hash01(k, ti.u32(2))
        h = (hash01(k, ti.u32(3)) - 0.5) * 0.02
        center, center_v, tilt = c1, v1, 0.0
        if i % 2 == 1:
            center, center_v, tilt = c2, v2, 0.6
        offset = ti.Vector([r * ti.cos(a), r * ti.sin(a) * ti.cos(tilt) + h, r * ti.sin(a) * ti.sin(tilt)])
        speed = ti.sqrt(G_MASS / r)
        tangent = ti.Vector([-ti.sin(a), ti.cos(a) * ti.cos(tilt), ti.cos(a) * ti.sin(tilt)])
        pos[i] = center + offset
        vel[i] = center_v + speed * tangent


@ti.kernel
def advance(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    vel: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    col: ti.types.ndarray(dtype=ti.math.vec3, ndim=1),
    c1: ti.math.vec3,
    c2: ti.math.vec3,
    dt: ti.f32,
):
    for i in pos:
        p, v = pos[i], vel[i]
        v += (pull(p, c1) + pull(p, c2)) * dt
        p += v * dt
        pos[i], vel[i] = p, v
        s = ti.min(v.norm() / 0.8, 1.0)  # slow: deep blue, fast: white-orange
        col[i] = ti.Vector([0.25 + 0.75 * s, 0.35 + 0.45 * s, 1.0 - 0.6 * s])


class Galaxies(Scene):
    name = "galaxies"
    description = "two galaxies collide: a restricted N-body simulation coloured by speed"
    kernels = (seed, advance)
    camera = Camera(eye=(0.0, 0.9, 2.4), target=(0.0, 0.0, 0.0))

    params = {
        "count": Param(200_000, 2, 50_000_000, "stars"),
        "radius": Param(0.004, 0.0001, 0.1, "star radius (world units)"),
    }

    def setup(self, gpu):
        n = (self.count,)
        self.positions = gpu.array("positions", n, element_shape=(3,))
        self.velocities = gpu.array("velocities", n, element_shape=(3,), usage=("storage",))
        self.colors = gpu.array("colors", n, element_shape=(3,))
        gpu.particles(self.positions, radius=self.radius, colors=self.colors)
        self.cores = self.initial_cores()
        self.seed = gpu.kernel("seed").bind(self.positions, self.velocities, *self.cores.reshape(4, 3))
        self.advance = gpu.kernel("advance").bind(
            self.positions, self.velocities, self.colors, self.cores[0], self.cores[2], 0.0
        )

    @staticmethod
    def initial_cores() -> np.ndarray:
        """Rows: core 1 position, velocity, core 2 position, velocity (a slightly bound fly-by)."""
        return np.array([[-0.6, 0.0, -0.1], [0.08, 0.02, 0.0], [0.6, 0.0, 0.1], [-0.08, -0.02, 0.0]])

    def move_cores(self, dt: float) -> None:
        c1, v1, c2, v2 = self.cores
        d = c2 - c1
        r2 = d @ d + SOFTENING
        a = G_MASS * d / (r2 * np.sqrt(r2))
        v1 += a * dt
        v2 -= a * dt
        c1 += v1 * dt
        c2 += v2 * dt

    def update(self, frame, dt, input):
        if frame == 0:
            self.cores = self.initial_cores()
            self.seed.set("c1", self.cores[0])
            self.seed.set("c2", self.cores[2])
            self.seed()
        self.move_cores(dt)
        self.advance.set("c1", self.cores[0])
        self.advance.set("c2", self.cores[2])
        self.advance.set("dt", dt)
        self.advance()
