"""What a scene sees of and sets on the view: the viewport its custom shaders get, the camera, background and
light it sets in setup or update (taking effect that frame), and each scene's own view across switches."""

import numpy as np

from renderer import HeadlessRenderer
from renderer.scene import Scene

FULLSCREEN = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
void main() { gl_Position = vec4(vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2) * 2.0 - 1.0, 0.5, 1.0); }
"""
VIEWPORT_AS_COLOUR = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) out vec4 out_color;
void main() { out_color = vec4(frame.viewport.x / 255.0, frame.viewport.y / 255.0, 0.0, 1.0); }
"""


class ViewportShader(Scene):
    name = "viewport-shader"

    def setup(self, gpu):
        gpu.custom(FULLSCREEN, VIEWPORT_AS_COLOUR, [], count=3)

    def update(self, frame, dt, input):
        pass


def test_custom_shaders_get_the_viewport_in_pixels():
    with HeadlessRenderer(ViewportShader(), 64, 32, validate=True) as renderer:
        pixels = renderer.render(1)
    assert np.all(pixels[..., :3] == (64, 32, 0)), np.unique(pixels.reshape(-1, 4), axis=0)
