"""A galaxy of N particles on a spiral, moved by a Taichi kernel every frame, drawn as shaded spheres.

This is the benchmark scene: the same kernel and camera as the Taichi GGUI and ModernGL contenders.
"""

import taichi as ti

from renderer.camera import Camera
from renderer.scene import Param, Scene

ARMS = 3


@ti.kernel
def spiral(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), t: ti.f32):
    n = pos.shape[0]
    for i in pos:
        u = (i + 0.5) / n  # 0..1 along the arm
        arm = i % ARMS
        # an integer hash spreads each arm into a band (a float sin() hash is not exact on GPUs at large i)
        h = ti.cast(i, ti.u32) * ti.u32(2654435761)
        h ^= h >> 15
        h *= ti.u32(2246822519)
        h ^= h >> 13
        jitter = ti.cast(h & ti.u32(0xFFFF), ti.f32) / 65535.0 - 0.5
        r = 0.05 + 0.85 * ti.sqrt(u)
        angle = 3.0 * 6.2831853 * u + arm * 6.2831853 / ARMS - 0.6 * t + jitter * 0.35
        z = 0.12 * ti.sin(7.0 * u * 6.2831853 + t * 1.5) * (1.0 - u) + jitter * 0.05
        pos[i] = ti.Vector([r * ti.cos(angle), r * ti.sin(angle) * 0.9, z])


class Particles(Scene):
    name = "particles"
    description = "N particles on a spiral, moved by a kernel each frame (the benchmark scene)"
    kernels = (spiral,)
    camera = Camera(eye=(0.0, 0.0, 2.5), target=(0.0, 0.0, 0.0))

    params = {
        "count": Param(100_000, 1, 100_000_000, "particles"),
        "radius": Param(0.006, 0.0001, 0.1, "particle radius (world units)"),
        "color": Param((0.35, 0.65, 1.0), help="RGB colour of the particles"),
    }

    def setup(self, gpu):
        self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
        gpu.particles(self.positions, radius=self.radius, color=self.color)
        self.step = gpu.kernel("spiral").bind(self.positions, 0.0)

    def update(self, frame, dt, input):
        self.step.set("t", frame * dt)
        self.step()
