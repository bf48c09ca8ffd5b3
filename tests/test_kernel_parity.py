"""Kernel correctness against plain Python Taichi on the same device.

Each program (arrays and a list of launches) runs through the renderer (the AOT module on the renderer's
device, with its CPU dispatch: renderer/compute/kernels.py, plan_cpu_dispatch) and through plain Taichi
(`ti.init(arch=ti.vulkan)` in a child process, tests/taichi_reference.py), and every array must come back
the same. Integers exactly; floats exactly too except where the arithmetic passes through denormals, which plain
Taichi's process flushes to zero (DENORMAL_TOLERANCE). Both run the same Taichi code generator's SPIR-V on the
same driver, instruction for instruction; only the dispatch (how many invocations share the elements) differs,
and that must not change any result.

The programs are the kernels of tests/parity_kernels.py (inner loops, a while loop, a 2-D range, a runtime
range far above what the capped dispatch covers) and the built-in scenes' kernels, launched as the scenes
launch them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from renderer.compute import aot, kernels
from renderer.compute.kernels import LoopLimitWarning, NdArray
from renderer.device.memory import TAICHI_USAGE, Buffer
from scenes import boids, cloth, fluid, galaxies, particles, reaction_diffusion
from tests import parity_kernels

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Arr:
    """A program's array named as a kernel argument."""

    name: str


@dataclass
class Program:
    arrays: dict = field(default_factory=dict)  # name -> (shape, dtype, element_shape, initial data or None)
    launches: list = field(default_factory=list)  # (kernel, [Arr or value, ...])

    def array(self, name, shape, dtype=np.float32, element_shape=(), initial=None) -> Arr:
        self.arrays[name] = (tuple(shape), np.dtype(dtype), tuple(element_shape), initial)
        return Arr(name)

    def launch(self, kernel, *args) -> None:
        self.launches.append((kernel, args))


# -- the programs


INNER_ELEMENTS, INNER_ITERATIONS = 204_800, 1_000  # 100 elements of 1,000 iterations per capped invocation
FAR_RANGE = 200_000_000  # well above CPU_CAPPED_RANGE (134,213,632)
MARK_EVERY = 100_000


def inner_loops() -> Program:
    p = Program()
    p.launch(parity_kernels.inner_sum, p.array("out", (INNER_ELEMENTS,), np.int32), INNER_ITERATIONS)
    return p


def while_loop() -> Program:
    p = Program()
    p.launch(parity_kernels.collatz, p.array("out", (300_000,), np.int32))
    return p


def grid_with_inner_loops() -> Program:
    p = Program()
    p.launch(parity_kernels.grid_rows, p.array("out", (640, 512), np.int32))
    return p


def far_range() -> Program:
    p = Program()
    p.launch(
        parity_kernels.marks, p.array("out", (FAR_RANGE // MARK_EVERY,), np.int32), FAR_RANGE, MARK_EVERY
    )
    return p


def particles_scene() -> Program:
    p = Program()
    positions = p.array("positions", (100_000,), element_shape=(3,))
    for frame in (0, 1, 57):
        p.launch(particles.spiral, positions, frame / 60.0)
    return p


def galaxies_scene() -> Program:
    p = Program()
    n, dt = (200_000,), 1.0 / 60.0
    pos = p.array("positions", n, element_shape=(3,))
    vel = p.array("velocities", n, element_shape=(3,))
    col = p.array("colors", n, element_shape=(3,))
    scene = types.SimpleNamespace(cores=galaxies.Galaxies.initial_cores())
    p.launch(galaxies.seed, pos, vel, *(tuple(c) for c in scene.cores))
    for _ in range(20):
        galaxies.Galaxies.move_cores(scene, dt)
        p.launch(galaxies.advance, pos, vel, col, tuple(scene.cores[0]), tuple(scene.cores[2]), dt)
    return p


def cloth_scene() -> Program:
    p = Program()
    n, dt, stiffness = 64, 1.0 / 60.0 / cloth.SUBSTEPS, 150_000.0
    pos = p.array("positions", (n * n,), element_shape=(3,))
    scratch = p.array("scratch", (n * n,), element_shape=(3,))
    nrm = p.array("normals", (n * n,), element_shape=(3,))
    col = p.array("colors", (n * n,), element_shape=(3,))
    vel = p.array("velocities", (n * n,), element_shape=(3,))
    idx = p.array("indices", ((n - 1) * (n - 1) * 6,), np.uint32)
    ball = p.array("ball", (1,), element_shape=(3,))
    p.launch(cloth.weave, pos, vel, col, idx, n)
    p.launch(cloth.place_ball, ball)
    for _ in range(5):  # frames: the cloth reaches the ball around the fourth
        for i in range(cloth.SUBSTEPS):
            src, dst = (pos, scratch) if i % 2 == 0 else (scratch, pos)
            p.launch(cloth.step, src, vel, dst, n, dt, stiffness)
        p.launch(cloth.shade, pos, nrm, n)
    return p


def reaction_diffusion_scene() -> Program:
    p = Program()
    shape, feed, kill = (256, 256), 0.0367, 0.0649
    field = p.array("field", shape, element_shape=(2,))
    scratch = p.array("scratch", shape, element_shape=(2,))
    p.launch(reaction_diffusion.seed, field)
    for i in range(reaction_diffusion.SUBSTEPS * 4):
        src, dst = (field, scratch) if i % 2 == 0 else (scratch, field)
        p.launch(reaction_diffusion.react, src, dst, feed, kill)
    return p


def fluid_scene() -> Program:
    p = Program()
    n, dt = (2048,), 1.0 / 60.0
    pos = p.array("positions", n, element_shape=(3,))
    speed = p.array("speeds", n)
    vel, old, delta = (p.array(name, n, element_shape=(3,)) for name in ("velocities", "old", "delta"))
    cell, order, found = (p.array(name, n, np.int32) for name in ("cell", "order", "found"))
    count = p.array("count", (fluid.CELLS,), np.int32)
    start = p.array("start", (fluid.CELLS + 1,), np.int32)
    cursor = p.array("cursor", (fluid.CELLS,), np.int32)
    neighbours = p.array("neighbours", (n[0] * fluid.MAX_NEIGHBOURS,), np.int32)
    lam = p.array("multipliers", n)
    across = 12
    tiles, sizes, colors = (
        p.array(name, (across * across,), element_shape=(3,)) for name in ("tiles", "sizes", "colors")
    )
    p.launch(fluid.seed, pos, vel, speed, count)
    p.launch(fluid.lay_floor, tiles, sizes, colors, across)
    for frame in range(30):  # the block falls, spreads and reaches the paddle
        wall = fluid.paddle_x(frame * dt)
        p.launch(fluid.predict, pos, vel, old, cell, count, dt, wall)
        p.launch(fluid.prefix, count, start, cursor)
        p.launch(fluid.scatter, cell, cursor, order)
        p.launch(fluid.sort_cells, start, order)
        p.launch(fluid.gather, pos, start, order, found, neighbours)
        for _ in range(fluid.ITERATIONS):
            p.launch(fluid.multipliers, pos, found, neighbours, lam)
            p.launch(fluid.corrections, pos, found, neighbours, lam, delta)
            p.launch(fluid.apply, pos, delta, wall)
        p.launch(fluid.finish, pos, old, vel, speed, dt)
    return p


def boids_scene() -> Program:
    p = Program()
    n, dt = (2048,), 1.0 / 60.0
    pos, vel, col, new_pos, new_vel = (
        p.array(name, n, element_shape=(3,))
        for name in ("positions", "velocities", "colors", "new_p", "new_v")
    )
    p.launch(boids.seed, pos, vel, col)
    for frame in range(20):
        p.launch(boids.flock, pos, vel, new_pos, new_vel, col, boids.goal_at(frame * dt), dt)
        p.launch(boids.settle, new_pos, new_vel, pos, vel)
    return p


def limit_single_element() -> Program:
    p = Program()
    p.launch(parity_kernels.count_to, p.array("out", (1,), np.int32), 70_000)
    return p


PROGRAMS = {
    f.__name__: f
    for f in (
        inner_loops,
        while_loop,
        grid_with_inner_loops,
        far_range,
        particles_scene,
        galaxies_scene,
        cloth_scene,
        reaction_diffusion_scene,
        fluid_scene,
        boids_scene,
        limit_single_element,
    )
}


# -- plain Taichi, in a child process: the renderer's process must not create Taichi's own device


def _spec_arg(value) -> dict:
    if isinstance(value, Arr):
        return {"array": value.name}
    if isinstance(value, (tuple, list, np.ndarray)):
        return {"vector": [float(v) for v in value]}
    return {"value": value}


@pytest.fixture(scope="module")
def plain_taichi(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    """Every program's arrays as plain Python Taichi leaves them on its own Vulkan device (one child process)."""
    folder = tmp_path_factory.mktemp("plain_taichi")
    programs = {}
    for name, make in PROGRAMS.items():
        program = make()
        arrays = {}
        for array, (shape, dtype, element_shape, initial) in program.arrays.items():
            init = None
            if initial is not None:
                init = str(folder / f"{name}.{array}.npy")
                np.save(init, initial)
            arrays[array] = {
                "shape": shape,
                "dtype": dtype.name,
                "element_shape": element_shape,
                "init": init,
            }
        launches = [
            {
                "kernel": aot.KernelRef.of(k).__dict__,
                "args": [_spec_arg(a) for a in args],
            }
            for k, args in program.launches
        ]
        programs[name] = {"arrays": arrays, "launches": launches}
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"out": str(folder), "programs": programs}))
    env = dict(os.environ)
    env.pop(
        "VK_INSTANCE_LAYERS", None
    )  # as the compiler: Taichi's own device is not the one under validation
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run(
        [sys.executable, "-m", "tests.taichi_reference", str(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return {name: dict(np.load(folder / f"{name}.npz")) for name in PROGRAMS}


# -- the renderer


def run_in_renderer(runtime, program: Program) -> dict[str, np.ndarray]:
    """The program's arrays after its launches, through the renderer's modules (one per kernel file)."""
    context = runtime.context
    by_file: dict[str, list] = {}
    for kernel, _ in program.launches:
        refs = by_file.setdefault(aot.KernelRef.of(kernel).file, [])
        if aot.KernelRef.of(kernel) not in refs:
            refs.append(aot.KernelRef.of(kernel))
    modules = {
        file: runtime.load_module(aot.compile_kernels(refs, context.taichi_capabilities), Path(file).stem)
        for file, refs in by_file.items()
    }
    buffers, memories, arrays = [], [], {}
    try:
        for name, (shape, dtype, element_shape, initial) in program.arrays.items():
            count = int(np.prod(shape + element_shape))
            buffer = Buffer(context, count * dtype.itemsize, TAICHI_USAGE, host=True, name=name)
            buffers.append(buffer)
            buffer.write(np.zeros(count, dtype) if initial is None else np.ascontiguousarray(initial, dtype))
            memories.append(runtime.import_memory(buffer))
            arrays[name] = NdArray(memories[-1], shape, dtype, element_shape, name=name)
        for i, (kernel, args) in enumerate(program.launches):
            ref = aot.KernelRef.of(kernel)
            values = [arrays[a.name] if isinstance(a, Arr) else a for a in args]
            modules[ref.file].kernel(ref.name).launch(*values)
            if i % 64 == 63:
                runtime.wait()
        runtime.wait()
        return {
            name: buffer.read(dtype).reshape(shape + element_shape)
            for buffer, (name, (shape, dtype, element_shape, _)) in zip(
                buffers, program.arrays.items(), strict=True
            )
        }
    finally:
        runtime.wait()
        for memory in memories:
            memory.destroy()
        for buffer in buffers:
            buffer.destroy()


# Plain Taichi's ti.init() sets flush-to-zero in the thread's MXCSR, and lavapipe's threads, started after it,
# inherit it: its kernels flush denormal results to zero, the renderer's keep them. So float values may differ
# where the arithmetic passes through denormals (seen in the reaction-diffusion field's decaying tails), by far
# less than this; everything else, and every integer, must be identical.
DENORMAL_TOLERANCE = 1e-30


def assert_same(name: str, ours: dict, theirs: dict) -> None:
    assert ours.keys() == theirs.keys()
    for array in ours:
        expected = theirs[array].reshape(ours[array].shape)
        if expected.dtype.kind == "f":
            mismatched = np.count_nonzero(~(np.abs(ours[array] - expected) <= DENORMAL_TOLERANCE))
        else:
            mismatched = np.count_nonzero(ours[array] != expected)
        assert mismatched == 0, (
            f"{name}: {array} differs from plain Taichi's in {mismatched} of {expected.size} values"
        )


# the kernels that warn of the loop limiter when loaded (LoopLimitWarning): those with a loop inside their
# parallel loop. The fluid's and the boids' neighbour searches have them, well under the limit per element (a
# cell's or the flock's particles, the cells in one serial sum), so those two scenes warn when loaded, as they
# should; the other scenes stay quiet
WARNED = {
    "inner_loops": {"inner_sum"},
    "while_loop": {"collatz"},
    "grid_with_inner_loops": {"grid_rows"},
    "fluid_scene": {"prefix", "sort_cells", "gather", "multipliers", "corrections"},
    "boids_scene": {"flock"},
}


def on_cpu_driver(runtime) -> bool:
    """The loop limiter and its warning are llvmpipe's; a GPU runs every loop to its end and warns of nothing."""
    return runtime.context.device_type == "CPU"


def warned_kernels(caught) -> set[str]:
    warned = [w.message for w in caught if issubclass(w.category, LoopLimitWarning)]
    assert len(warned) <= 1  # one warning a module, naming its kernels
    return {name for w in warned for name in w.kernels}


@pytest.mark.parametrize("name", [name for name in PROGRAMS if name != "limit_single_element"])
def test_the_renderer_computes_what_plain_taichi_computes(runtime, plain_taichi, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = run_in_renderer(runtime, PROGRAMS[name]())
    assert_same(name, ours, plain_taichi[name])
    assert warned_kernels(caught) == (WARNED.get(name, set()) if on_cpu_driver(runtime) else set())


def test_every_element_of_the_heavy_programs_is_complete(plain_taichi, runtime):
    """The parity above is not two equally wrong results: every element ran its whole inner loop."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = run_in_renderer(runtime, inner_loops())
    assert bool(warned_kernels(caught)) == on_cpu_driver(runtime)
    i = np.arange(INNER_ELEMENTS)
    full, rest = divmod(INNER_ITERATIONS, 7)
    expected = full * 21 + sum((i + k) % 7 for k in range(rest)) + 1
    np.testing.assert_array_equal(ours["out"], expected)
    np.testing.assert_array_equal(plain_taichi["inner_loops"]["out"], expected)
    marks = np.arange(FAR_RANGE // MARK_EVERY) + 1
    np.testing.assert_array_equal(plain_taichi["far_range"]["out"], marks)


def test_a_single_element_past_the_loop_limit_stops_as_in_plain_taichi_and_is_named(runtime, plain_taichi):
    """llvmpipe ends an invocation's loops after 65,535 iterations: plain Taichi loses the rest of the 70,000
    as well. The renderer cannot prevent that; it says so, naming the kernel, when the kernel is loaded."""
    if not on_cpu_driver(runtime):
        pytest.skip("a GPU driver has no loop limiter")
    with pytest.warns(LoopLimitWarning, match=r"kernel\(s\) 'count_to' run a loop .*65,535") as caught:
        ours = run_in_renderer(runtime, limit_single_element())
    assert warned_kernels(caught) == {"count_to"}
    assert_same("limit_single_element", ours, plain_taichi["limit_single_element"])
    assert ours["out"][0] < 70_000  # cut short: if this fails, the driver has no such limit any more
    assert ours["out"][0] >= kernels.CPU_LOOP_LIMIT - 2
