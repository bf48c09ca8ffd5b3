"""A scene's own GLSL: vertex inputs from arrays that kernels write, the scene's vertex and fragment shaders.

The shaders see one uniform block and one input per array, in the order given:

    layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;  // viewport.xy: pixels
    layout(location = 0) in vec3 position;   // inputs[0]: float, vec2, vec3 or vec4 per element
    ...

They are compiled with glslc when the scene loads (cached by source); an error names the scene's file, the
shader and glslc's line number. Before the pipeline is made, the compiled shaders are checked against what
this draw provides (device/interface.py): the vertex inputs, the varyings between the two shaders, the one
colour output, the uniform block and no push constants; a mismatch is a ShaderInterfaceError naming the shader
and what to change, and nothing has been made. An input array the vertex shader does not read is bound but
given no vertex attribute. `lines()` is built on this with shaders of the renderer's own.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..device import interface, shaders, vk
from ..device.memory import Buffer
from ..errors import RendererError
from .base import Drawable, FrameView
from .transform import Transformable
from .uniforms import FrameUniforms, Std140

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


class CustomDraw(Transformable, Drawable):
    """A draw with a scene's own vertex and fragment shaders over its arrays (and lines)."""

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
        vertex_name: str = "(custom)",
        fragment_name: str = "(custom)",
    ):
        """`inputs`: (buffer, element_shape) per vertex input, all float32; `vertex_name`, `fragment_name`:
        what messages call the shaders (the scene's file, or the shader's own)."""
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
        formats = {i: FORMATS[shape] for i, (_, shape) in enumerate(inputs)}
        provided = self.provided(formats, topology, render_pass.color_formats)
        reads = interface.check_graphics(
            interface.Shader(vertex_spirv, "vertex", vertex_name),
            interface.Shader(fragment_spirv, "fragment", fragment_name),
            provided,
        )
        with self.destroyed_on_failure():
            self.create_uniforms(frames_in_flight, "custom uniforms")
            strides = [4 * int(np.prod(shape)) for _, shape in inputs]
            self.create_pipeline(
                render_pass,
                vertex_spirv,
                fragment_spirv,
                bindings=[(stride, vk.VK_VERTEX_INPUT_RATE_VERTEX) for stride in strides],
                # an array the shader does not read stays bound, with no attribute (the layer warns of one)
                attributes=[(i, i, fmt, 0) for i, fmt in formats.items() if i in reads],
                topology=TOPOLOGIES[topology],
            )

    @classmethod
    def provided(cls, formats: dict, topology: str, color_formats: tuple) -> interface.Provided:
        """What the draw gives its shaders: attributes (location -> VkFormat) of the input arrays, the
        uniform block at set 0 binding 0, the render pass's colour attachments, no push constants."""
        return interface.Provided(
            attributes=formats,
            descriptors={
                (0, binding): interface.ProvidedDescriptor(kind, 1, stages, cls.UNIFORMS.size)
                for binding, kind, stages in FrameUniforms.layout_bindings(sampled=False)
            },
            color_formats=tuple(color_formats),
            topology=TOPOLOGIES[topology],
            what_to_do={
                "attributes": "pass one array per input location, in order, in gpu.custom(..., inputs=[...])",
                "descriptors": "a scene's shaders get the Frame uniform block only (set 0, binding 0: "
                "mat4 view_proj; vec4 viewport)",
            },
        )

    def uniform_values(self, view: FrameView) -> dict:
        # the draw's transform (identity unless set) is folded into view_proj: the shaders see one matrix
        view_proj = view.view_projection @ self._transform
        return {"view_proj": view_proj, "viewport": (view.width, view.height)}

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


STAGES = {"vert": "vertex", "frag": "fragment"}


def compile_scene_shader(shader, stage: str, scene_file: str) -> tuple[bytes, str]:
    """glslc for a scene's shader: GLSL text, or the path (os.PathLike) of a file of it. Returns the SPIR-V
    (with the variables' names, for interface messages) and the shader's name in messages: its file's path as
    given, or the scene's file. A compile error names the file, the shader and the line."""
    if isinstance(shader, os.PathLike):
        name = os.fspath(shader)
        try:
            source = Path(shader).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise shaders.ShaderCompileError(
                f"{STAGES[stage]} shader {name} (of {scene_file}) cannot be read: {exc}"
            ) from exc
        label = f"{name} ({STAGES[stage]} shader of {scene_file})"
    elif isinstance(shader, str):
        source, name, label = shader, scene_file, f"{scene_file} ({STAGES[stage]} shader)"
    else:
        raise RendererError(
            f"{scene_file}: a {STAGES[stage]} shader is GLSL text or a pathlib.Path of a file of it, not "
            f"{type(shader).__name__}"
        )
    return shaders.compile_glsl(source, stage, label, names=True), name


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


# lines with a colour per vertex (`lines(colors=...)`, or scalars through a colormap): input 1 is the colours
LINES_COLORED_VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 color;
layout(location = 0) out vec3 v_color;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); v_color = color; }
"""
LINES_COLORED_FRAGMENT = """#version 450
layout(location = 0) in vec3 v_color;
layout(location = 0) out vec4 out_color;
void main() { out_color = vec4(v_color, 1.0); }
"""
