"""Boids: a flock that steers by cohesion, alignment and separation, drawn as instanced arrows.

A kernel compares every boid with every other (the flock is small), steers it, and writes its position,
velocity and a colour from its heading; each arrow points along its boid's velocity. The flock chases a point
that wanders on a slow curve, and the camera orbits it, set by the scene every frame.
"""

import math

import taichi as ti

from renderer.camera import Camera, Light
from renderer.scene import Param, Scene

vec3_array = ti.types.ndarray(dtype=ti.math.vec3, ndim=1)

SIGHT = 0.2  # how far a boid sees its flockmates (world units)
PERSONAL_SPACE = 0.08  # closer than this, boids steer apart
MIN_SPEED, MAX_SPEED = 0.35, 0.8  # world units per second
COHESION, ALIGNMENT, SEPARATION, CHASE = 0.4, 1.0, 0.03, 0.25  # steering weights
ROAM = 1.0  # boids farther than this from the origin turn back


@ti.func
def hash01(i: ti.u32, salt: ti.u32) -> ti.f32:
    h = (i ^ salt) * ti.u32(2654435761)
    h ^= h >> 15
    h *= ti.u32(2246822519)
    h ^= h >> 13
    return ti.cast(h & ti.u32(0xFFFFFF), ti.f32) / 16777216.0


@ti.func
def heading_color(v):
    """A colour from the direction of flight: the compass heading round a hue wheel, darker when diving."""
    hue = ti.atan2(v.z, v.x) / 6.2831853
    rise = v.y / ti.max(v.norm(), 1e-9)
    wheel = 0.5 + 0.45 * ti.cos(6.2831853 * (hue + ti.Vector([0.0, 1.0 / 3.0, 2.0 / 3.0])))
    return wheel * (0.75 + 0.25 * rise)


@ti.kernel
def seed(pos: vec3_array, vel: vec3_array, col: vec3_array):
    """Boids scattered through a ball, flying in all directions at the slowest speed."""
    for i in pos:
        k = ti.cast(i, ti.u32)
        a, b, c = hash01(k, ti.u32(1)), hash01(k, ti.u32(2)), hash01(k, ti.u32(3))
        r = 0.8 * c ** (1.0 / 3.0)
        z = 2.0 * b - 1.0
        s = ti.sqrt(1.0 - z * z)
        pos[i] = r * ti.Vector([s * ti.cos(6.2831853 * a), z, s * ti.sin(6.2831853 * a)])
        a, b = hash01(k, ti.u32(4)), hash01(k, ti.u32(5))
        z = 2.0 * b - 1.0
        s = ti.sqrt(1.0 - z * z)
        vel[i] = MIN_SPEED * ti.Vector([s * ti.cos(6.2831853 * a), z, s * ti.sin(6.2831853 * a)])
        col[i] = heading_color(vel[i])


@ti.kernel
def flock(
    pos: vec3_array,
    vel: vec3_array,
    new_pos: vec3_array,
    new_vel: vec3_array,
    col: vec3_array,
    goal: ti.math.vec3,
    dt: ti.f32,
):
    """One step for every boid from the flock as it was (written to new_pos and new_vel)."""
    for i in pos:
        p, v = pos[i], vel[i]
        centre = ti.Vector([0.0, 0.0, 0.0])
        heading = ti.Vector([0.0, 0.0, 0.0])
        apart = ti.Vector([0.0, 0.0, 0.0])
        seen = 0
        for j in range(pos.shape[0]):
            d = pos[j] - p
            d2 = d.norm_sqr()
            if j != i and d2 < SIGHT * SIGHT:
                centre += pos[j]
                heading += vel[j]
                seen += 1
                if d2 < PERSONAL_SPACE * PERSONAL_SPACE:
                    apart -= d / ti.max(d2, 1e-6)
        steer = CHASE * (goal - p).normalized(1e-9) + SEPARATION * apart
        if seen > 0:
            steer += COHESION * (centre / seen - p) + ALIGNMENT * (heading / seen - v)
        out = p.norm() - ROAM
        if out > 0.0:
            steer -= 4.0 * out * p.normalized(1e-9)
        v += steer * dt
        speed = v.norm()
        v *= ti.min(ti.max(speed, MIN_SPEED), MAX_SPEED) / ti.max(speed, 1e-9)
        new_pos[i] = p + v * dt
        new_vel[i] = v
        col[i] = heading_color(v)


@ti.kernel
def settle(src_pos: vec3_array, src_vel: vec3_array, pos: vec3_array, vel: vec3_array):
    for i in pos:
        pos[i], vel[i] = src_pos[i], src_vel[i]


def goal_at(time: float) -> tuple[float, float, float]:
    """The point the flock chases: a slow Lissajous curve inside the roaming ball."""
    return (0.6 * math.sin(0.7 * time), 0.35 * math.sin(1.1 * time), 0.6 * math.cos(0.5 * time))


class Boids(Scene):
    name = "boids"
    description = "a flock of boids as instanced arrows along their velocities, coloured by heading"
    kernels = (seed, flock, settle)
    camera = Camera(eye=(0.0, 0.8, 2.6), target=(0.0, 0.0, 0.0))
    light = Light(direction=(0.3, 1.0, 0.5), color=(1.0, 1.0, 1.0), ambient=0.35)
    background = (0.06, 0.07, 0.1)

    params = {
        "count": Param(1024, 2, 8192, "boids (each compares itself with all the others)"),
        "size": Param(0.12, 0.005, 0.5, "arrow length (world units)"),
        "orbit": Param(
            0.15, -2.0, 2.0, "camera orbit speed (radians per second; 0 leaves it to the mouse)", live=True
        ),
    }

    def setup(self, gpu):
        n = (self.count,)
        storage = ("storage",)
        self.positions = gpu.array("positions", n, element_shape=(3,))
        self.velocities = gpu.array("velocities", n, element_shape=(3,))
        self.colors = gpu.array("colors", n, element_shape=(3,))
        new_pos = gpu.array("new_positions", n, element_shape=(3,), usage=storage)
        new_vel = gpu.array("new_velocities", n, element_shape=(3,), usage=storage)
        gpu.instances(
            "arrow", self.positions, directions=self.velocities, scale=self.size, colors=self.colors
        )
        self.seed = gpu.kernel("seed").bind(self.positions, self.velocities, self.colors)
        self.flock = gpu.kernel("flock").bind(
            self.positions, self.velocities, new_pos, new_vel, self.colors, goal_at(0.0), 0.0
        )
        self.settle = gpu.kernel("settle").bind(new_pos, new_vel, self.positions, self.velocities)

    def update(self, frame, dt, input):
        if frame == 0:
            self.seed()
        time = frame * dt
        self.flock.set("goal", goal_at(time))
        self.flock.set("dt", dt)
        self.flock()
        self.settle()
        if self.orbit:
            angle = self.orbit * time
            self.camera = Camera(
                eye=(2.6 * math.sin(angle), 0.8, 2.6 * math.cos(angle)), target=(0.0, 0.0, 0.0)
            )
