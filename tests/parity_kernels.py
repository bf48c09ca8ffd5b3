"""Kernels with loops inside their parallel loop, which the parity tests run through the renderer and through
plain Python Taichi (tests/test_kernel_parity.py)."""

import taichi as ti

i32_array = ti.types.ndarray(dtype=ti.i32, ndim=1)


@ti.kernel
def inner_sum(out: i32_array, iterations: ti.i32):
    """Every element runs an inner loop of `iterations`; an element never reached stays 0."""
    for i in out:
        total = 0
        for k in range(iterations):
            total += (i + k) % 7
        out[i] = total + 1


@ti.kernel
def collatz(out: i32_array):
    """A data-dependent inner loop (a while): the Collatz steps of i + 1."""
    for i in out:
        x = ti.cast(i + 1, ti.i64)
        steps = 0
        while x != 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            steps += 1
        out[i] = steps + 1


@ti.kernel
def grid_rows(out: ti.types.ndarray(dtype=ti.i32, ndim=2)):
    """A 2-D range with an inner loop whose length depends on the element."""
    for i, j in out:
        total = 1
        for k in range(j % 97):
            total += (i * k) % 5
        out[i, j] = total


@ti.kernel
def marks(out: i32_array, n: ti.i32, every: ti.i32):
    """A runtime range with no inner loop: every `every`-th of range(n) writes its index (plus one)."""
    for i in range(n):
        if i % every == 0:
            out[i // every] = i // every + 1


@ti.kernel
def count_to(out: i32_array, iterations: ti.i32):
    """One inner loop of `iterations` per element: what an invocation counts before it stops."""
    for i in out:
        count = 0
        for _ in range(iterations):
            count += 1
        out[i] = count
