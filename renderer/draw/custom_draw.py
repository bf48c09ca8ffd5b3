"""A scene's own GLSL: vertex inputs from arrays that kernels write, the scene's vertex and fragment shaders.

The shaders see one uniform block and one input per array, in the order given:

    layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;  // viewport.xy: pixels
    layout(location = 0) in vec3 position;   // inputs[0]: float, vec2, vec3 or vec4 per element
    ...

They are compiled with glslc when the scene loads (cached by source); an error names the scene's file, the
shader and glslc's line number. `lines()` is built on this with shaders of the renderer's own.
"""

from __future__ import annotations

import numpy as np

from ..device import shaders, vk
from ..device.memory import Buffer
from ..errors import RendererError
from .base import Drawable
from .uniforms import Std140

FORMATS = {
    (): vk.VK_FORMAT_R32_SFLOAT,
    (2,): vk.VK_FORMAT_R32G32_SFLOAT,
    (3,): vk.VK_FORMAT_R32G32B32_SFLOAT,
    (4,): vk.VK_FORMAT_R32G32B32A32_SFLOAT,
}
TOPOLOGIES = {
    "points": vk.VK_PRIMITIVE_TOPOLOGY_POINT_LIST,
    "lines": vk.VK_PRIMITIVE_TOPOLOGY_LINE_LIST,
    "line_strip": vk.VK_PRIMITIVE_TOPOLOGY_LINE_STRIP,
    "triangles": vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
    "triangle_strip": vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
}


class CustomDraw(Drawable):
    # the block the scene's shaders see (the module's docstring)
    UNIFORMS = Std140(("view_proj", "mat4"), ("viewport", "vec4"))

    def __init__(
        self,
        context,
        render_pass,
        frames_in_flight: int,
        *,
        vertex_spirv: bytes,
        fragment_spirv: bytes,
        inputs: list,
        vertex_count: int,
        topology: str,
        indices: Buffer | None = None,
        index_count: int = 0,
    ):
        """`inputs`: (buffer, element_shape) per vertex input, all float32."""
        if topology not in TOPOLOGIES:
            raise RendererError(f"topology must be one of {sorted(TOPOLOGIES)}, not {topology!r}")
        for buffer, shape in inputs:
            if shape not in FORMATS:
                raise RendererError(
                    f"{buffer.name}: vertex inputs are float, vec2, vec3 or vec4, not {shape}"
                )
            if not buffer.usage & vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT:
                raise RendererError(f"{buffer.name} lacks usage 'vertex'; it cannot be a vertex input")
        self.context, self.inputs, self.vertex_count = context, inputs, vertex_count
        self.indices, self.index_count = indices, index_count
        with self.destroyed_on_failure():
            self.create_uniforms(frames_in_flight, "custom uniforms")
            strides = [4 * int(np.prod(shape)) for _, shape in inputs]
            self.create_pipeline(
                render_pass,
                vertex_spirv,
                fragment_spirv,
                bindings=[(stride, vk.VK_VERTEX_INPUT_RATE_VERTEX) for stride in strides],
                attributes=[(i, i, FORMATS[shape], 0) for i, (_, shape) in enumerate(inputs)],
                topology=TOPOLOGIES[topology],
            )

    def uniform_values(self, view_projection: np.ndarray, height: int, projection_scale: float) -> dict:
        return {"view_proj": view_projection, "viewport": (0.0, height)}

    def reads(self) -> list:
        stage = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
        reads = [(b, stage, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT) for b, _ in self.inputs]
        if self.indices is not None:
            reads.append((self.indices, stage, vk.VK_ACCESS_INDEX_READ_BIT))
        return reads

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        if self.inputs:
            handles = [b.handle for b, _ in self.inputs]
            vk.vkCmdBindVertexBuffers(cb, 0, len(handles), handles, [0] * len(handles))
        if self.indices is not None:
            vk.vkCmdBindIndexBuffer(cb, self.indices.handle, 0, vk.VK_INDEX_TYPE_UINT32)
            vk.vkCmdDrawIndexed(cb, self.index_count, 1, 0, 0, 0)
        else:
            vk.vkCmdDraw(cb, self.vertex_count, 1, 0, 0)


def compile_scene_shader(source: str, stage: str, scene_file: str) -> bytes:
    """glslc for a scene's shader; the error names the scene's file and the shader."""
    return shaders.compile_glsl(
        source, stage, f"{scene_file} ({'vertex' if stage == 'vert' else 'fragment'} shader)"
    )


LINES_VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); }
"""


def lines_fragment(color) -> str:
    r, g, b = (float(c) for c in color)
    return f"""#version 450
layout(location = 0) out vec4 out_color;
void main() {{ out_color = vec4({r:.6f}, {g:.6f}, {b:.6f}, 1.0); }}
"""
