"""Kernels the tests compile (plain Python Taichi, like a scene's)."""

import taichi as ti


@ti.kernel
def fill(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), t: ti.f32, offset: ti.math.vec3, n: ti.i32):
    for i in pos:
        pos[i] = ti.Vector([i * 1.0, t, n * 1.0]) + offset


@ti.kernel
def accumulate(total: ti.types.ndarray(dtype=ti.f32, ndim=1), values: ti.types.ndarray(dtype=ti.f32, ndim=1)):
    for i in values:
        ti.atomic_add(total[0], values[i])
