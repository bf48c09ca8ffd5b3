"""A fluid: position-based fluids (PBF) in a box, a dam that breaks and a paddle that keeps it sloshing.

Kernels bin the particles into a uniform grid (a counting sort, each cell's list sorted by index so every run
computes the same sums in the same order), gather each particle's neighbours, solve the density constraints and
write the speeds that colour the particles through a colormap; the particles are partly transparent
(composited in any order: renderer/draw/transparency.py), so the tiles and the paddle show through the water.
The floor is instanced tiles; the paddle is an instanced plate moved by its transform from the host.
"""

import numpy as np
import taichi as ti

from renderer.camera import Camera, Light
from renderer.scene import Param, Scene

vec3_array = ti.types.ndarray(dtype=ti.math.vec3, ndim=1)
f32_array = ti.types.ndarray(dtype=ti.f32, ndim=1)
i32_array = ti.types.ndarray(dtype=ti.i32, ndim=1)

H = 0.1  # the kernel radius, also the grid's cell size (world units)
SPACING = 0.6 * H  # of the particles in the initial block
BOX = (2.0, 2.4, 1.0)  # the box: x from 0 to the paddle, y up from the floor, z from 0
GRID = (20, 24, 10)  # cells along x, y, z (BOX / H)
CELLS = GRID[0] * GRID[1] * GRID[2]
MAX_NEIGHBOURS = 48
MAX_SPEED = 4.0  # world units per second
ITERATIONS = 3  # constraint iterations per frame
BLOCK_X, BLOCK_Z = 14, 16  # particles along x and z in each layer of the initial block
GRAVITY = -9.8
PADDLE_TRAVEL, PADDLE_PERIOD = 0.45, 3.0  # how far the paddle moves in from x = BOX[0], and how often (s)
CORRECTION_Q, CORRECTION_K = 0.3, 0.01  # the artificial pressure that keeps particles from clumping
# the poly6 kernel (density) and the spiky kernel's gradient, normalised in units of H (their scales must match)
POLY6, SPIKY = 315.0 / (64.0 * np.pi), 45.0 / np.pi


def _rest_sums() -> tuple[float, float]:
    """The density of a particle inside the initial lattice (poly6, in units of H) and the sum of its
    constraint's squared gradients: the rest density and a scale for the relaxation."""
    r = np.arange(-2, 3) * SPACING / H
    d = np.stack(np.meshgrid(r, r, r), -1).reshape(-1, 3)
    q = np.linalg.norm(d, axis=1)
    near = (q > 0) & (q < 1)
    density = POLY6 * (1.0 + np.sum((1 - q[near] ** 2) ** 3))
    grads = SPIKY * (1 - q[near, None]) ** 2 * d[near] / q[near, None] / density
    return float(density), float(np.sum(grads**2))


REST_DENSITY, REST_GRADIENTS = _rest_sums()
RELAXATION = 0.5 * REST_GRADIENTS
CORRECTION_W = (1 - CORRECTION_Q**2) ** 3


@ti.func
def jitter(i: ti.i32) -> ti.f32:
    """A small per-particle offset in 0..1e-4, so particles clamped onto a wall do not coincide."""
    h = ti.cast(i, ti.u32) * ti.u32(2654435761)
    h ^= h >> 15
    return ti.cast(h & ti.u32(0xFFFF), ti.f32) * (1e-4 / 65536.0)


@ti.func
def confine(p, i: ti.i32, wall: ti.f32):
    lo = jitter(i)
    return ti.Vector(
        [
            ti.min(ti.max(p.x, lo), wall - lo),
            ti.min(ti.max(p.y, lo), BOX[1] - lo),
            ti.min(ti.max(p.z, lo), BOX[2] - lo),
        ]
    )


@ti.func
def cell_of(p):
    c = ti.cast(ti.floor(p / H), ti.i32)
    return ti.Vector(
        [
            ti.min(ti.max(c.x, 0), GRID[0] - 1),
            ti.min(ti.max(c.y, 0), GRID[1] - 1),
            ti.min(ti.max(c.z, 0), GRID[2] - 1),
        ]
    )


@ti.func
def cell_index(c) -> ti.i32:
    return (c.x * GRID[1] + c.y) * GRID[2] + c.z


@ti.kernel
def seed(pos: vec3_array, vel: vec3_array, speed: f32_array, count: i32_array):
    """The initial block against the left wall, at rest, and an empty grid."""
    for i in pos:
        layer, k = i // (BLOCK_X * BLOCK_Z), i % (BLOCK_X * BLOCK_Z)
        x, z = k // BLOCK_Z, k % BLOCK_Z
        pos[i] = (ti.Vector([x, layer, z]) + 0.5) * SPACING + ti.Vector(
            [0.0, 0.0, 0.5 * (BOX[2] - BLOCK_Z * SPACING)]
        )
        vel[i] = ti.Vector([0.0, 0.0, 0.0])
        speed[i] = 0.0
    for c in count:
        count[c] = 0


@ti.kernel
def predict(
    pos: vec3_array,
    vel: vec3_array,
    old: vec3_array,
    cell: i32_array,
    count: i32_array,
    dt: ti.f32,
    wall: ti.f32,
):
    """Gravity moves each particle ahead; it is counted into the cell it lands in."""
    for i in pos:
        old[i] = pos[i]
        v = vel[i] + ti.Vector([0.0, GRAVITY * dt, 0.0])
        p = confine(pos[i] + v * dt, i, wall)
        pos[i] = p
        c = cell_index(cell_of(p))
        cell[i] = c
        ti.atomic_add(count[c], 1)


@ti.kernel
def prefix(count: i32_array, start: i32_array, cursor: i32_array):
    """Where each cell's particles start in the sorted list (one invocation runs the serial sum), and the
    counts cleared for the next frame."""
    for _ in range(1):
        total = 0
        for c in range(CELLS):
            start[c] = total
            cursor[c] = total
            total += count[c]
            count[c] = 0
        start[CELLS] = total


@ti.kernel
def scatter(cell: i32_array, cursor: i32_array, order: i32_array):
    for i in cell:
        order[ti.atomic_add(cursor[cell[i]], 1)] = i


@ti.kernel
def sort_cells(start: i32_array, order: i32_array):
    """Each cell's particles by index (the scatter's atomics left them in any order)."""
    for c in range(CELLS):
        for a in range(start[c] + 1, start[c + 1]):
            key = order[a]
            b = a - 1
            while b >= start[c] and order[b] > key:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = key


@ti.kernel
def gather(pos: vec3_array, start: i32_array, order: i32_array, found: i32_array, neighbours: i32_array):
    """Each particle's neighbours closer than H, at most MAX_NEIGHBOURS, from the 27 cells around it: nine
    runs of three cells along z, which lie one after another in the sorted list."""
    for i in pos:
        p = pos[i]
        home = cell_of(p)
        z0, z1 = ti.max(home.z - 1, 0), ti.min(home.z + 1, GRID[2] - 1)
        n = 0
        for dx, dy in ti.ndrange((-1, 2), (-1, 2)):
            x, y = home.x + dx, home.y + dy
            if 0 <= x < GRID[0] and 0 <= y < GRID[1]:
                first = cell_index(ti.Vector([x, y, z0]))
                last = cell_index(ti.Vector([x, y, z1]))
                for a in range(start[first], start[last + 1]):
                    j = order[a]
                    if j != i and n < MAX_NEIGHBOURS and (pos[j] - p).norm_sqr() < H * H:
                        neighbours[i * MAX_NEIGHBOURS + n] = j
                        n += 1
        found[i] = n


@ti.func
def spiky_gradient(d):
    """The spiky kernel's gradient for the offset `d` (world units), in units of H."""
    q = d.norm() / H
    g = ti.Vector([0.0, 0.0, 0.0])
    if 1e-6 < q < 1.0:
        g = -SPIKY * (1.0 - q) ** 2 * d / (q * H)
    return g


@ti.kernel
def multipliers(pos: vec3_array, found: i32_array, neighbours: i32_array, lam: f32_array):
    """Each particle's density constraint (only compression: C >= 0) and its Lagrange multiplier."""
    for i in pos:
        p = pos[i]
        density = POLY6
        own = ti.Vector([0.0, 0.0, 0.0])
        squares = 0.0
        for k in range(found[i]):
            d = p - pos[neighbours[i * MAX_NEIGHBOURS + k]]
            q2 = d.norm_sqr() / (H * H)
            if q2 < 1.0:
                density += POLY6 * (1.0 - q2) ** 3
            g = spiky_gradient(d) / REST_DENSITY
            own += g
            squares += g.norm_sqr()
        constraint = ti.max(density / REST_DENSITY - 1.0, 0.0)
        lam[i] = -constraint / (squares + own.norm_sqr() + RELAXATION)


@ti.kernel
def corrections(pos: vec3_array, found: i32_array, neighbours: i32_array, lam: f32_array, delta: vec3_array):
    for i in pos:
        p = pos[i]
        dp = ti.Vector([0.0, 0.0, 0.0])
        for k in range(found[i]):
            j = neighbours[i * MAX_NEIGHBOURS + k]
            d = p - pos[j]
            q2 = d.norm_sqr() / (H * H)
            w = (1.0 - ti.min(q2, 1.0)) ** 3 / CORRECTION_W
            s = -CORRECTION_K * w * w * w * w
            dp += (lam[i] + lam[j] + s) * spiky_gradient(d)
        delta[i] = dp * (H / REST_DENSITY)


@ti.kernel
def apply(pos: vec3_array, delta: vec3_array, wall: ti.f32):
    for i in pos:
        pos[i] = confine(pos[i] + delta[i], i, wall)


@ti.kernel
def finish(pos: vec3_array, old: vec3_array, vel: vec3_array, speed: f32_array, dt: ti.f32):
    """Velocities from the moves the constraints allowed, and the speeds the colormap shows."""
    for i in pos:
        v = (pos[i] - old[i]) / dt
        fast = v.norm()
        if fast > MAX_SPEED:  # the few particles a stiff collision flings away
            v *= MAX_SPEED / fast
        vel[i] = v
        speed[i] = v.norm()


@ti.kernel
def lay_floor(tiles: vec3_array, sizes: vec3_array, colors: vec3_array, across: ti.i32):
    """A chequered floor of square tiles under the box (and a margin around it)."""
    for t in tiles:
        i, k = t // across, t % across
        side = 0.25
        tiles[t] = ti.Vector([(i - 2 + 0.5) * side, -0.06, (k - 4 + 0.5) * side])
        sizes[t] = ti.Vector([side * 0.96, 0.05, side * 0.96])
        colors[t] = ti.Vector([0.82, 0.8, 0.76]) if (i + k) % 2 == 0 else ti.Vector([0.32, 0.34, 0.38])


def paddle_x(time: float) -> float:
    return BOX[0] - PADDLE_TRAVEL * 0.5 * (1.0 - np.cos(2.0 * np.pi * time / PADDLE_PERIOD))


class Fluid(Scene):
    name = "fluid"
    description = (
        "a PBF fluid sloshes in a box: partly transparent particles coloured by speed (turbo) over instanced "
        "floor tiles"
    )
    kernels = (
        seed,
        predict,
        prefix,
        scatter,
        sort_cells,
        gather,
        multipliers,
        corrections,
        apply,
        finish,
        lay_floor,
    )
    camera = Camera(eye=(1.0, 1.35, 2.8), target=(1.0, 0.25, 0.5))
    light = Light(direction=(0.4, 1.0, 0.7), color=(1.0, 0.97, 0.92), ambient=0.3)
    background = (0.08, 0.09, 0.11)

    params = {
        "count": Param(4096, 16, 8192, "particles"),
        "radius": Param(0.035, 0.005, 0.1, "particle radius (world units)"),
        "opacity": Param(0.55, 0.0, 1.0, "the water's opacity", live=True),
    }

    def setup(self, gpu):
        n = (self.count,)
        storage = ("storage",)
        self.positions = gpu.array("positions", n, element_shape=(3,))
        self.speeds = gpu.array("speeds", n)
        arrays = {
            name: gpu.array(name, n, element_shape=(3,), usage=storage)
            for name in ("velocities", "old", "delta")
        }
        ints = {
            "cell": gpu.array("cell", n, np.int32, usage=storage),
            "count": gpu.array("count", (CELLS,), np.int32, usage=storage),
            "start": gpu.array("start", (CELLS + 1,), np.int32, usage=storage),
            "cursor": gpu.array("cursor", (CELLS,), np.int32, usage=storage),
            "order": gpu.array("order", n, np.int32, usage=storage),
            "found": gpu.array("found", n, np.int32, usage=storage),
            "neighbours": gpu.array("neighbours", (self.count * MAX_NEIGHBOURS,), np.int32, usage=storage),
        }
        lam = gpu.array("multipliers", n, usage=storage)
        pos, vel, old, delta = self.positions, arrays["velocities"], arrays["old"], arrays["delta"]
        self.water = gpu.particles(
            pos, radius=self.radius, scalars=self.speeds, colormap="turbo", range="auto", opacity=self.opacity
        )

        across = 12  # tiles along x and z: 3 x 3 metres from -0.5
        tiles = gpu.array("tiles", (across * across,), element_shape=(3,))
        sizes = gpu.array("tile_sizes", (across * across,), element_shape=(3,))
        colors = gpu.array("tile_colors", (across * across,), element_shape=(3,))
        gpu.instances("cube", tiles, scales=sizes, colors=colors)
        self.lay_floor = gpu.kernel("lay_floor").bind(tiles, sizes, colors, across)
        plate = gpu.array("paddle", element_shape=(3,), data=np.zeros((1, 3), np.float32))
        plate_size = np.array([[0.03, 0.7, BOX[2]]], np.float32)
        self.paddle = gpu.instances(
            "cube",
            plate,
            scales=gpu.array("paddle_size", element_shape=(3,), data=plate_size),
            color=(0.55, 0.6, 0.7),
        )

        self.seed = gpu.kernel("seed").bind(pos, vel, self.speeds, ints["count"])
        self.predict = gpu.kernel("predict").bind(pos, vel, old, ints["cell"], ints["count"], 0.0, BOX[0])
        self.prefix = gpu.kernel("prefix").bind(ints["count"], ints["start"], ints["cursor"])
        self.scatter = gpu.kernel("scatter").bind(ints["cell"], ints["cursor"], ints["order"])
        self.sort_cells = gpu.kernel("sort_cells").bind(ints["start"], ints["order"])
        self.gather = gpu.kernel("gather").bind(
            pos, ints["start"], ints["order"], ints["found"], ints["neighbours"]
        )
        self.multipliers = gpu.kernel("multipliers").bind(pos, ints["found"], ints["neighbours"], lam)
        self.corrections = gpu.kernel("corrections").bind(pos, ints["found"], ints["neighbours"], lam, delta)
        self.apply = gpu.kernel("apply").bind(pos, delta, BOX[0])
        self.finish = gpu.kernel("finish").bind(pos, old, vel, self.speeds, 0.0)

    def update(self, frame, dt, input):
        self.water.opacity = self.opacity  # live: the panel may change it (a uniform: nothing re-recorded)
        if frame == 0:
            self.seed()
            self.lay_floor()
        wall = paddle_x(frame * dt)
        move = np.eye(4)
        move[:3, 3] = (wall + 0.015, 0.35, 0.5 * BOX[2])
        self.paddle.transform = move
        self.predict.set("dt", dt)
        self.predict.set("wall", wall)
        self.apply.set("wall", wall)
        self.finish.set("dt", dt)
        self.predict()
        self.prefix()
        self.scatter()
        self.sort_cells()
        self.gather()
        for _ in range(ITERATIONS):
            self.multipliers()
            self.corrections()
            self.apply()
        self.finish()
