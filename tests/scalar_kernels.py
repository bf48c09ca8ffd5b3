"""Kernels taking one argument of every scalar type the compiled module can declare (tests/test_bad_inputs.py):
each writes what it received into `out`, so a test sees whether the value arrived unchanged."""

import taichi as ti

out_array = ti.types.ndarray(dtype=ti.f32, ndim=1)


@ti.kernel
def every_scalar(
    out: out_array,
    a: ti.i8,
    b: ti.u8,
    c: ti.i16,
    d: ti.u16,
    e: ti.i32,
    f: ti.u32,
    g: ti.u1,
    h: ti.f16,
    k: ti.f32,
):
    out[0] = ti.cast(a, ti.f32)
    out[1] = ti.cast(b, ti.f32)
    out[2] = ti.cast(c, ti.f32)
    out[3] = ti.cast(d, ti.f32)
    out[4] = ti.cast(e, ti.f32)
    out[5] = ti.cast(f, ti.f32)
    out[6] = ti.cast(g, ti.f32)
    out[7] = ti.cast(h, ti.f32)
    out[8] = k


@ti.kernel
def wide_int(out: out_array, a: ti.i64):
    out[0] = ti.cast(a, ti.f32)


@ti.kernel
def wide_float(out: out_array, a: ti.f64):
    out[0] = ti.cast(a, ti.f32)


@ti.kernel
def half_vector(out: out_array, v: ti.types.vector(2, ti.f16), w: ti.types.vector(2, ti.i32)):
    out[0] = ti.cast(v[0], ti.f32)
    out[1] = ti.cast(v[1], ti.f32)
    out[2] = ti.cast(w[0], ti.f32)
    out[3] = ti.cast(w[1], ti.f32)


@ti.kernel
def byte_vector(out: out_array, v: ti.types.vector(2, ti.u8)):
    out[0] = ti.cast(v[0], ti.f32)


@ti.kernel
def returns(out: ti.types.ndarray(dtype=ti.f32, ndim=1)) -> ti.f32:
    out[0] = 1.0
    return 2.0
