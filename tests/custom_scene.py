"""A scene with its own GLSL shaders (points coloured by a vec4 input) and a line strip (tests)."""

import taichi as ti

from renderer.scene import Scene

VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
layout(location = 1) in vec4 tint;
layout(location = 0) out vec4 v_tint;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); gl_PointSize = 2.0; v_tint = tint; }
"""
FRAGMENT = """#version 450
layout(location = 0) in vec4 v_tint;
layout(location = 0) out vec4 out_color;
void main() {
    out_color = v_tint;
}
"""


@ti.kernel
def ring(
    pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), tint: ti.types.ndarray(dtype=ti.math.vec4, ndim=1)
):
    n = pos.shape[0]
    for i in pos:
        a = 6.2831853 * i / n
        pos[i] = ti.Vector([0.8 * ti.cos(a), 0.8 * ti.sin(a), 0.0])
        tint[i] = ti.Vector([1.0, 0.0, 0.0, 1.0]) if i < n // 2 else ti.Vector([0.0, 1.0, 0.0, 1.0])


class Custom(Scene):
    name = "custom"
    kernels = (ring,)

    def setup(self, gpu):
        self.positions = gpu.array("positions", (64,), element_shape=(3,))
        self.tints = gpu.array("tints", (64,), element_shape=(4,))
        gpu.custom(VERTEX, FRAGMENT, [self.positions, self.tints], topology="points")
        gpu.lines(self.positions, color=(0.0, 0.0, 1.0), strip=True)
        self.launch = gpu.kernel("ring").bind(self.positions, self.tints)

    def update(self, frame, dt, input):
        self.launch()
