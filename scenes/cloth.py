"""A cloth: a mass-spring grid falls onto a ball and drapes over it. Kernels integrate the springs, keep
the cloth out of the ball, and recompute the normals of the indexed triangle mesh every frame."""

import numpy as np
import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene

vec3_array = ti.types.ndarray(dtype=ti.math.vec3, ndim=1)
SUBSTEPS = 24
BALL_CENTER = ti.math.vec3(0.0, -0.25, 0.0)
BALL_RADIUS = 0.3
# (di, dj) of the springs: structural, shear, bend
SPRINGS = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (-1, -1),
    (1, -1),
    (-1, 1),
    (2, 0),
    (-2, 0),
    (0, 2),
    (0, -2),
]


@ti.kernel
def weave(
    pos: vec3_array, vel: vec3_array, col: vec3_array, idx: ti.types.ndarray(dtype=ti.u32, ndim=1), n: ti.i32
):
    """The initial flat cloth above the ball, its chequered colours, and the triangles (two per cell)."""
    for k in pos:
        i, j = k // n, k % n
        pos[k] = ti.Vector([i / (n - 1) - 0.5, 0.45, j / (n - 1) - 0.5])
        vel[k] = ti.Vector([0.0, 0.0, 0.0])
        c = ((i // 4) + (j // 4)) % 2
        col[k] = ti.Vector([0.85, 0.35, 0.25]) if c == 0 else ti.Vector([0.95, 0.85, 0.6])
    for cell in range((n - 1) * (n - 1)):
        i, j = cell // (n - 1), cell % (n - 1)
        a = ti.cast(i * n + j, ti.u32)
        b = a + ti.u32(1)
        c = a + ti.u32(n)
        d = c + ti.u32(1)
        idx[cell * 6 + 0], idx[cell * 6 + 1], idx[cell * 6 + 2] = a, c, b
        idx[cell * 6 + 3], idx[cell * 6 + 4], idx[cell * 6 + 5] = b, c, d


@ti.kernel
def step(src: vec3_array, vel: vec3_array, dst: vec3_array, n: ti.i32, dt: ti.f32, stiffness: ti.f32):
    """One substep: spring forces from `src`, semi-implicit Euler into `dst` (ping-pong, one dispatch)."""
    rest = 1.0 / (n - 1)
    for k in src:
        i, j = k // n, k % n
        f = ti.Vector([0.0, -9.8, 0.0])
        for s in ti.static(SPRINGS):
            ii, jj = i + s[0], j + s[1]
            if 0 <= ii < n and 0 <= jj < n:
                d = src[ii * n + jj] - src[k]
                length = d.norm() + 1e-9
                f += stiffness * (length - rest * ti.sqrt(s[0] ** 2 + s[1] ** 2)) * d / length
        v = (vel[k] + f * dt) * ti.exp(-1.0 * dt)
        p = src[k] + v * dt
        offset = p - BALL_CENTER
        dist = offset.norm()
        if dist < BALL_RADIUS * 1.02:  # on the ball: push out, keep the tangential velocity, minus friction
            normal = offset / dist
            p = BALL_CENTER + normal * BALL_RADIUS * 1.02
            v -= ti.min(v.dot(normal), 0.0) * normal
            v *= 0.97  # friction: the cloth grips the ball instead of sliding off
        vel[k], dst[k] = v, p


@ti.kernel
def place_ball(ball: vec3_array):
    for k in ball:
        ball[k] = BALL_CENTER


@ti.kernel
def shade(pos: vec3_array, nrm: vec3_array, n: ti.i32):
    """Vertex normals from the neighbouring grid points (central differences, one-sided at the border)."""
    for k in pos:
        i, j = k // n, k % n
        di = pos[ti.min(i + 1, n - 1) * n + j] - pos[ti.max(i - 1, 0) * n + j]
        dj = pos[i * n + ti.min(j + 1, n - 1)] - pos[i * n + ti.max(j - 1, 0)]
        nrm[k] = dj.cross(di).normalized(1e-12)


class Cloth(Scene):
    name = "cloth"
    description = "a mass-spring cloth drapes over a ball; a lit triangle mesh with normals from a kernel"
    kernels = (weave, step, shade, place_ball)
    camera = Camera(eye=(1.2, 0.9, 1.6), target=(0.0, -0.1, 0.0))

    params = {
        "resolution": Param(64, 4, 512, "grid points along each side"),
        "stiffness": Param(
            150_000.0, 1_000.0, 400_000.0, "spring stiffness (higher needs more substeps)", live=True
        ),
    }

    def setup(self, gpu):
        n = self.resolution
        self.positions = gpu.array("positions", (n * n,), element_shape=(3,))
        self.scratch = gpu.array("scratch", (n * n,), element_shape=(3,), usage=("storage",))
        self.normals = gpu.array("normals", (n * n,), element_shape=(3,))
        self.colors = gpu.array("colors", (n * n,), element_shape=(3,))
        self.velocities = gpu.array("velocities", (n * n,), element_shape=(3,), usage=("storage",))
        self.indices = gpu.array("indices", ((n - 1) * (n - 1) * 6,), dtype=np.uint32, usage=("index",))
        gpu.mesh(self.positions, self.normals, self.indices, colors=self.colors)
        self.weave = gpu.kernel("weave").bind(self.positions, self.velocities, self.colors, self.indices, n)
        self.shade = gpu.kernel("shade").bind(self.positions, self.normals, n)
        # the ball, drawn as one big shaded sphere sprite
        self.ball = gpu.array("ball", (1,), element_shape=(3,))
        gpu.particles(self.ball, radius=BALL_RADIUS * 0.98, color=(0.35, 0.45, 0.6))
        self.place_ball = gpu.kernel("place_ball").bind(self.ball)
        step = gpu.kernel("step")
        self.steps = [
            step.bind(self.positions, self.velocities, self.scratch, n, 0.0, self.stiffness),
            step.bind(self.scratch, self.velocities, self.positions, n, 0.0, self.stiffness),
        ]

    def update(self, frame, dt, input):
        if frame == 0:
            self.weave()
            self.place_ball()
        for launch in self.steps:
            launch.set("dt", dt / SUBSTEPS)
            launch.set("stiffness", self.stiffness)  # live: the panel may change it
        for i in range(SUBSTEPS):  # an even count: the last substep writes `positions`, the drawn array
            self.steps[i % 2]()
        self.shade()
