"""Gray-Scott reaction-diffusion on a 2-D grid: spots grow and divide. A kernel paints the field straight into
an image the renderer owns (Taichi's image interop), shown on a full-screen quad."""

import taichi as ti

from renderer.scene import Param, Scene

field2 = ti.types.ndarray(dtype=ti.math.vec2, ndim=2)
SUBSTEPS = 16  # even: the last substep writes `field`


@ti.kernel
def seed(field: field2):
    n, m = field.shape[0], field.shape[1]
    for i, j in field:
        field[i, j] = ti.Vector([1.0, 0.0])
        h = ti.cast((i // 16) * 1021 + (j // 16), ti.u32) * ti.u32(2654435761)
        h ^= h >> 15
        h *= ti.u32(2246822519)
        h ^= h >> 13
        if (
            (h & ti.u32(7)) == 0
            and 8 <= i % 16 < 14
            and 8 <= j % 16 < 14
            and 16 <= i < n - 16
            and 16 <= j < m - 16
        ):
            field[i, j] = ti.Vector([0.5, 0.25])


@ti.kernel
def react(src: field2, dst: field2, feed: ti.f32, kill: ti.f32):
    n, m = src.shape[0], src.shape[1]
    for i, j in src:
        c = src[i, j]
        lap = (
            src[(i + 1) % n, j]
            + src[(i - 1 + n) % n, j]
            + src[i, (j + 1) % m]
            + src[i, (j - 1 + m) % m]
            - 4.0 * c
        )
        uvv = c[0] * c[1] * c[1]
        du = 0.2097 * lap[0] - uvv + feed * (1.0 - c[0])
        dv = 0.105 * lap[1] + uvv - (feed + kill) * c[1]
        dst[i, j] = c + ti.Vector([du, dv])


@ti.kernel
def paint(image: ti.types.rw_texture(num_dimensions=2, fmt=ti.Format.rgba8, lod=0), field: field2):
    for i, j in field:
        v = ti.min(field[i, j][1] * 3.0, 1.0)
        color = ti.Vector([0.05, 0.06, 0.12]) * (1.0 - v) + ti.Vector([0.2, 0.9, 0.8]) * v
        edge = ti.min(ti.abs(field[i, j][0] - 0.6) * 4.0, 1.0)
        image.store(
            ti.Vector([i, j]), ti.Vector([color[0], color[1] * edge + 0.1 * (1.0 - edge), color[2], 1.0])
        )


class ReactionDiffusion(Scene):
    name = "reaction-diffusion"
    description = "Gray-Scott reaction-diffusion; a kernel paints the field into an image shown on a quad"
    kernels = (seed, react, paint)
    background = (0.0, 0.0, 0.0)

    params = {
        "size": Param(256, 16, 4096, "grid cells along each side"),
        "feed": Param(0.0367, 0.0, 0.1, "feed rate F", live=True),
        "kill": Param(0.0649, 0.0, 0.1, "kill rate k", live=True),
    }

    def setup(self, gpu):
        shape = (self.size, self.size)
        self.field = gpu.array("field", shape, element_shape=(2,), usage=("storage",))
        self.scratch = gpu.array("scratch", shape, element_shape=(2,), usage=("storage",))
        self.image = gpu.image("picture", self.size, self.size, "rgba8")
        gpu.quad(self.image, fullscreen=True)
        self.seed = gpu.kernel("seed").bind(self.field)
        react = gpu.kernel("react")
        self.steps = [
            react.bind(self.field, self.scratch, self.feed, self.kill),
            react.bind(self.scratch, self.field, self.feed, self.kill),
        ]
        self.paint = gpu.kernel("paint").bind(self.image, self.field)

    def update(self, frame, dt, input):
        if frame == 0:
            self.seed()
        for launch in self.steps:  # live parameters: the panel may change them while the scene runs
            launch.set("feed", self.feed)
            launch.set("kill", self.kill)
        for i in range(SUBSTEPS):
            self.steps[i % 2]()
        self.paint()
