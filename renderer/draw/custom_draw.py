"""A scene's own GLSL: vertex inputs from arrays that kernels write, the scene's vertex and fragment shaders.

The shaders see one uniform block and one input per array, in the order given, then one per instance array:

    layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
    // viewport.xy: the frame's pixels, viewport.z: the time (seconds: frame * dt), viewport.w: dt
    layout(location = 0) in vec3 position;   // inputs[0]: float, vec2, vec3 or vec4 per element
    ...
    layout(location = N) in vec3 offset;     // instance_inputs[0] (N: len(inputs)), one element per instance

and, where the draw is given them, the scene's own uniforms (`uniforms`: a dict or dataclass instance of
floats, ints, vec2-4 and mat2-4, read every frame) as a second block, its members in the same order, and
`textures` (images kernels write) as combined image samplers:

    layout(set = 0, binding = 2) uniform Params { vec4 tint; float strength; } params;
    layout(set = 0, binding = 3) uniform sampler2D textures_0;   // textures[0]; textures[1] at binding 4, ...

They are compiled with glslc when the scene loads (cached by source); an error names the scene's file, the
shader and glslc's line number. Before the pipeline is made, the compiled shaders are checked against what
this draw provides (device/interface.py): the vertex inputs, the varyings between the two shaders, the one
colour output, the uniform block and no push constants; a mismatch is a ShaderInterfaceError naming the shader
and what to change, and nothing has been made; the Params block's members are checked by name, type and
offset against the uniforms given. An input array the vertex shader does not read is bound but
given no vertex attribute. `lines()` is built on this with shaders of the renderer's own.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
from pathlib import Path

import numpy as np

from ..device import interface, shaders, vk
from ..device.handles import create_sampler, vk_destroy
from ..device.memory import Buffer
from ..device.pipelines import BLENDS, CULL_MODES, DEPTH_COMPARES
from ..errors import ArgumentError, RendererError
from .base import Drawable, FrameView, check_count, check_usage
from .transform import Transformable
from .transparency import check_opacity
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
UNIFORM_HELP = "a float, an int, a vector of 2-4 numbers (vec2-vec4) or a 2x2-4x4 matrix (mat2-mat4)"
TEXTURE_STAGES = vk.VK_PIPELINE_STAGE_VERTEX_SHADER_BIT | vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT


def uniform_type(name: str, value) -> str:
    """The GLSL type of a scene's uniform from its value: float, int, vec2-4 (any sequence of 2-4 numbers:
    vectors are float) or mat2-4 (square, as written in maths); RendererError for anything else."""
    if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) or name.startswith(
        "gl_"
    ):
        raise RendererError(f"uniform names are GLSL identifiers (letters, digits, '_'), not {name!r}")
    if isinstance(value, (bool, np.bool_)):
        raise RendererError(
            f"uniform {name!r} is {value!r}; a uniform is {UNIFORM_HELP} (for a flag: 0 or 1)"
        )
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is not None and array.dtype.kind in "iuf":
        if array.ndim == 1 and 2 <= len(array) <= 4:
            return f"vec{len(array)}"
        if array.ndim == 2 and array.shape[0] == array.shape[1] and 2 <= array.shape[0] <= 4:
            return f"mat{array.shape[0]}"
    raise RendererError(f"uniform {name!r} is {value!r}; a uniform is {UNIFORM_HELP}")


def uniform_items(uniforms) -> dict:
    """A scene's uniforms as a dict, name -> value in the order given: a dict, or a dataclass instance (its
    fields in order)."""
    if dataclasses.is_dataclass(uniforms) and not isinstance(uniforms, type):
        return {f.name: getattr(uniforms, f.name) for f in dataclasses.fields(uniforms)}
    if isinstance(uniforms, dict):
        return dict(uniforms)
    raise RendererError(
        f"uniforms must be a dict of name -> value or a dataclass instance, not {type(uniforms).__name__}"
    )


class CustomDraw(Transformable, Drawable):
    """A draw with a scene's own vertex and fragment shaders over its arrays (and lines). `set(name=value,
    ...)` changes its uniforms (each of the type it was given as), drawn from the frame whose update calls it;
    `transform` moves the whole draw."""

    # the block the scene's shaders see (the module's docstring)
    UNIFORMS = Std140(("view_proj", "mat4"), ("viewport", "vec4"))
    what = "custom draw"  # "lines draw" for lines

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
        uniforms=None,
        textures: tuple = (),
        blend: str | None = None,
        depth_test: bool = True,
        depth_write: bool = True,
        instance_inputs: tuple = (),
        instance_count: int = 1,
        transparent: bool = False,
        cull: str = "none",
        depth_compare: str = "less",
        opacity: float | None = None,
        input_names: tuple = (),
        what: str = "custom draw",
    ):
        """`inputs`: (buffer, element_shape) per vertex input, all float32 (`what`, `input_names`: what messages
        call the draw and them, "input 0", ... by default); `vertex_name`, `fragment_name`:
        what messages call the shaders (the scene's file, or the shader's own); `uniforms`: the scene's own
        (a dict or dataclass instance, kept and read every frame; the Params block at binding 2); `textures`:
        Images kernels write, sampled at bindings 3, ...; `blend`: None, "alpha" or "additive"; `depth_test`,
        `depth_write`: the depth buffer's use; `instance_inputs`: (buffer, element_shape) per instance input,
        at the locations after `inputs`; `instance_count`: instances drawn. `transparent`: drawn in the
        transparent pass (the fragment shader compiled by `transparent_fragment`); `cull`: "none", "back" or
        "front" (counter-clockwise triangles face the camera); `depth_compare`: a name of
        pipelines.DEPTH_COMPARES; `opacity`: the value of the uniform "opacity" that `draw.opacity` sets (the
        renderer's own lines)."""
        # names only: a list or a dict is no key (and `in` would raise TypeError: unhashable)
        if not (isinstance(topology, str) and topology in TOPOLOGIES):
            raise RendererError(f"topology must be one of {sorted(TOPOLOGIES)}, not {topology!r}")
        if blend is not None and not (isinstance(blend, str) and blend in BLENDS):
            raise RendererError(f"blend must be None, 'alpha' or 'additive', not {blend!r}")
        if not (isinstance(cull, str) and cull in CULL_MODES):
            raise RendererError(f"cull must be one of {sorted(CULL_MODES)}, not {cull!r}")
        if not (isinstance(depth_compare, str) and depth_compare in DEPTH_COMPARES):
            raise RendererError(
                f"depth_compare must be one of {sorted(DEPTH_COMPARES)}, not {depth_compare!r}"
            )
        if transparent and blend is not None:
            raise RendererError("a transparent draw is blended order-independently; leave blend out")
        self.transparent = bool(transparent)
        self.opacity_uniform = opacity is not None
        if opacity is not None:
            self._opacity = check_opacity(opacity)
        self.params = None
        if uniforms is not None:
            items = uniform_items(uniforms)
            if not items:
                raise RendererError("uniforms has no values; leave it out for a draw without a Params block")
            self.params = Std140(*((name, uniform_type(name, value)) for name, value in items.items()))
        self.uniforms_given = uniforms
        self.what = what
        names = [*input_names[: len(inputs)], *(f"input {i}" for i in range(len(input_names), len(inputs)))]
        names += [f"instance input {i}" for i in range(len(instance_inputs))]
        for (buffer, shape), name in zip([*inputs, *instance_inputs], names, strict=True):
            if shape not in FORMATS:
                raise RendererError(
                    f"{buffer.name}: vertex inputs are float, vec2, vec3 or vec4, not {shape}"
                )
            check_usage(buffer, "vertex", f"{self.what} {name}")
        if indices is not None:
            check_usage(indices, "index", f"{self.what} indices")
        # never more vertices (without indices), instances or indices than their buffers hold: the draw would
        # read past their ends
        held = [
            (b, 4 * math.prod(s), 0 if indices is not None else vertex_count, "vertices") for b, s in inputs
        ]
        held += [(b, 4 * math.prod(s), instance_count, "instances") for b, s in instance_inputs]
        held += [(indices, 4, index_count, "indices")] if indices is not None else []
        for buffer, size, count, what in held:
            if buffer.size < size * count:
                raise RendererError(
                    f"{buffer.name} holds {buffer.size // size} {what}; the draw reads {count}"
                )
        self.context, self.inputs, self.vertex_count = context, inputs, vertex_count
        self.indices, self.index_count = indices, index_count
        self.textures, self.instance_inputs = list(textures), list(instance_inputs)
        self.instance_count = instance_count
        arrays = [*inputs, *instance_inputs]
        formats = {i: FORMATS[shape] for i, (_, shape) in enumerate(arrays)}
        provided = self.provided(
            formats,
            topology,
            (render_pass.transparent_pass() if self.transparent else render_pass).color_formats,
            params=self.params,
            textures=len(self.textures),
            instance_inputs=len(self.instance_inputs),
        )
        reads = interface.check_graphics(
            interface.Shader(vertex_spirv, "vertex", vertex_name),
            interface.Shader(fragment_spirv, "fragment", fragment_name),
            provided,
        )
        if self.params is not None:
            self.checked_values()  # refused here, before anything is made
        with self.destroyed_on_failure():
            if self.textures:
                self.sampler = create_sampler(context.device, vk.VK_FILTER_LINEAR)
            self.uniforms = FrameUniforms(
                context,
                self.UNIFORMS,
                frames_in_flight,
                "custom uniforms",
                params=self.params,
                textures=[(image.view, self.sampler) for image in self.textures],
            )
            rates = [vk.VK_VERTEX_INPUT_RATE_VERTEX] * len(inputs) + [vk.VK_VERTEX_INPUT_RATE_INSTANCE] * len(
                instance_inputs
            )
            strides = [4 * math.prod(shape) for _, shape in arrays]
            self.create_pipeline(
                render_pass,
                vertex_spirv,
                fragment_spirv,
                bindings=list(zip(strides, rates, strict=True)),
                # an array the shader does not read stays bound, with no attribute (the layer warns of one)
                attributes=[(i, i, fmt, 0) for i, fmt in formats.items() if i in reads],
                topology=TOPOLOGIES[topology],
                blend=blend,
                depth_test=bool(depth_test),
                depth_write=bool(depth_write),
                cull_mode=CULL_MODES[cull],
                depth_compare=DEPTH_COMPARES[depth_compare],
            )
        self.capacity = self.index_count if indices is not None else self.vertex_count
        self.instance_capacity = self.instance_count

    sampler = None

    @property
    def opacity(self) -> float:
        """The opacity of lines made with one (their uniform "opacity"); set it from update(). A custom draw's
        transparency is its fragment shader's alpha: give it a uniform of its own."""
        return self._opacity

    @opacity.setter
    def opacity(self, value) -> None:
        value = check_opacity(value)
        if not self.transparent:
            Drawable.opacity.fset(self, value)  # refused: an opaque draw
        if not self.opacity_uniform:
            raise ArgumentError(
                "this draw has no opacity of its own: lines take opacity= when made; a custom draw's alpha is "
                "what its fragment shader writes (give it a uniform, and set that)"
            )
        self._opacity = value
        self.set(opacity=value)

    @property
    def count(self) -> int:
        """How many vertices (or indices, with `indices`) are drawn: the first `count`; set it from update(),
        from 0 to the number the draw was made with (the frames record again, once each)."""
        return self.index_count if self.indices is not None else self.vertex_count

    @count.setter
    def count(self, value) -> None:
        if self.indices is not None:
            self.index_count = check_count(value, self.capacity, "index")
        else:
            self.vertex_count = check_count(value, self.capacity, "vertex")

    @property
    def instances(self) -> int:
        """How many instances are drawn; set it from update(), from 0 to the number the draw was made with."""
        return self.instance_count

    @instances.setter
    def instances(self, value) -> None:
        self.instance_count = check_count(value, self.instance_capacity, "instance")

    def recorded(self) -> tuple:
        return (self.vertex_count, self.index_count, self.instance_count)

    def set(self, **values) -> None:
        """Change uniforms by name (from update(): drawn this frame), each of the type it was given as; the
        dict or dataclass given as `uniforms` is changed too."""
        self._live("its uniforms cannot be set")
        if self.params is None:
            raise RendererError("this draw was given no uniforms; pass uniforms={...} to gpu.custom")
        for name, value in values.items():
            self.check_value(name, value)
        for name, value in values.items():
            if isinstance(self.uniforms_given, dict):
                self.uniforms_given[name] = value
            else:
                setattr(self.uniforms_given, name, value)

    def check_value(self, name: str, value) -> None:
        """RendererError unless `value` fits uniform `name` as declared by its first value (an int where a
        float was given is a float)."""
        declared = dict(self.params.fields).get(name)
        if declared is None:
            raise RendererError(
                f"no uniform {name!r} in this draw (its uniforms: {[n for n, _ in self.params.fields]})"
            )
        try:
            found = uniform_type(name, value)
        except RendererError as exc:
            raise RendererError(f"{exc} (it was given as a {declared})") from None
        if found != declared and not (declared == "float" and found == "int"):
            raise RendererError(f"uniform {name!r} is a {declared}, not {value!r} (a {found})")

    def checked_values(self) -> dict:
        """The uniforms' values now, each checked against its type."""
        values = uniform_items(self.uniforms_given)
        missing = [name for name, _ in self.params.fields if name not in values]
        if missing:
            raise RendererError(
                f"uniform {missing[0]!r} was taken out of the uniforms; the draw still needs a value"
            )
        for name, value in values.items():
            self.check_value(name, value)
        return values

    @classmethod
    def provided(
        cls,
        formats: dict,
        topology: str,
        color_formats: tuple,
        params: Std140 | None = None,
        textures: int = 0,
        instance_inputs: int = 0,
    ) -> interface.Provided:
        """What the draw gives its shaders: attributes (location -> VkFormat) of the input arrays (the last
        `instance_inputs` of them per instance), the uniform block at set 0 binding 0, the `params` block at
        binding 2 and `textures` combined image samplers at 3, ..., the render pass's colour attachments, no
        push constants."""
        descriptors = {}
        for binding, kind, stages in FrameUniforms.layout_bindings(False, params is not None, textures):
            size = {0: cls.UNIFORMS.size, 2: params.size if params else 0}.get(binding, 0)
            members = ()
            if binding == 2:
                members = tuple((name, t, params.offsets[name]) for name, t in params.fields)
            descriptors[(0, binding)] = interface.ProvidedDescriptor(
                kind, 1, stages, size, members, "the uniforms argument of gpu.custom"
            )
        attributes = "pass one array per input location, in order, in gpu.custom(..., inputs=[...])"
        if instance_inputs:
            attributes += (
                f" (locations {len(formats) - instance_inputs}.. are the instance_inputs=[...], in order)"
            )
        frame = "the Frame uniform block (set 0, binding 0: mat4 view_proj; vec4 viewport)"
        if params is None and not textures:
            more = f"a scene's shaders get {frame.replace('block', 'block only', 1)}"
        else:
            more = f"a scene's shaders get {frame}"
            if params is not None:
                more += ", their uniforms at binding 2 (uniform Params { ... })"
            if textures:
                more += f", and textures at bindings 3-{2 + textures} (uniform sampler2D)"
        return interface.Provided(
            attributes=formats,
            descriptors=descriptors,
            color_formats=tuple(color_formats),
            topology=TOPOLOGIES[topology],
            what_to_do={"attributes": attributes, "descriptors": more},
        )

    def uniform_values(self, view: FrameView) -> dict:
        # the draw's transform (identity unless set) is folded into view_proj: the shaders see one matrix
        return {
            "view_proj": view.view_projection @ self._transform,
            "viewport": (view.width, view.height, view.time, view.dt),
        }

    def write_uniforms(self, slot: int, view: FrameView) -> None:
        """The Frame block, and the scene's uniforms as they are now (checked: a value of another type is a
        RendererError naming the uniform)."""
        super().write_uniforms(slot, view)
        if self.params is not None:
            self.uniforms.write_params(slot, self.checked_values())

    def reads(self) -> list:
        stage = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
        reads = [
            (b, stage, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT) for b, _ in self.inputs + self.instance_inputs
        ]
        reads += [(image, TEXTURE_STAGES, vk.VK_ACCESS_SHADER_READ_BIT) for image in self.textures]
        if self.indices is not None:
            reads.append((self.indices, stage, vk.VK_ACCESS_INDEX_READ_BIT))
        return reads

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        arrays = self.inputs + self.instance_inputs
        if arrays:
            handles = [b.handle for b, _ in arrays]
            vk.vkCmdBindVertexBuffers(cb, 0, len(handles), handles, [0] * len(handles))
        if self.indices is not None:
            vk.vkCmdBindIndexBuffer(cb, self.indices.handle, 0, vk.VK_INDEX_TYPE_UINT32)
            vk.vkCmdDrawIndexed(cb, self.index_count, self.instance_count, 0, 0, 0)
        else:
            vk.vkCmdDraw(cb, self.vertex_count, self.instance_count, 0, 0)

    def destroy(self) -> None:
        super().destroy()
        sampler, self.sampler = self.sampler, None
        if sampler is not None:
            vk_destroy("Sampler", vk.vkDestroySampler, self.context.device, sampler, None)


STAGES = {"vert": "vertex", "frag": "fragment"}


COLOR_OUTPUT = re.compile(r"layout\s*\(\s*location\s*=\s*0\s*\)\s*out\s+vec4\s+([A-Za-z_]\w*)\s*;")


def transparent_fragment(source: str, label: str) -> str:
    """A fragment shader that writes a colour and its alpha (not premultiplied) at location 0, made into one
    of a transparent draw: its main() runs, then shaders/oit_output.glsl's emit() turns that colour into the
    weighted accumulation (the same output) and the revealage (location 1). glslc's line numbers stay the
    file's."""
    found = COLOR_OUTPUT.search(source)
    if found is None:
        raise RendererError(
            f"{label}: a transparent draw's fragment shader declares its colour as "
            "`layout(location = 0) out vec4 name;` (its alpha the opacity), which this one does not"
        )
    name = found.group(1)
    version, _, rest = source.partition("\n")
    return (
        f"{version}\n#extension GL_GOOGLE_include_directive : require\n#define main scene_main\n#line 2\n"
        f'{rest}\n#undef main\n#define OIT\n#define OIT_ACCUM {name}\n#include "oit_output.glsl"\n'
        f"void main() {{\n    scene_main();\n    emit({name}.rgb, clamp({name}.a, 0.0, 1.0));\n}}\n"
    )


def compile_scene_shader(shader, stage: str, scene_file: str, transparent: bool = False) -> tuple[bytes, str]:
    """glslc for a scene's shader: GLSL text, or the path (os.PathLike) of a file of it. Returns the SPIR-V
    (with the variables' names, for interface messages) and the shader's name in messages: its file's path as
    given, or the scene's file. A compile error names the file, the shader and the line. `transparent`: a
    transparent draw's fragment shader (transparent_fragment)."""
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
    try:
        source.encode()  # glslc reads UTF-8, which has no lone surrogate ("\udcff")
    except UnicodeEncodeError as exc:
        raise shaders.ShaderCompileError(
            f"shader {label} failed to compile:\n{label}: character {exc.start} ({source[exc.start]!r}) is not "
            f"text ({exc.reason})"
        ) from None
    if transparent:
        source = transparent_fragment(source, label)
    return shaders.compile_glsl(source, stage, label, names=True), name


LINES_VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); }
"""


def lines_fragment(color, opacity: bool = False) -> str:
    """Lines in one colour; with `opacity`, its alpha the uniform "opacity" (a transparent draw)."""
    r, g, b = (float(c) for c in color)
    alpha = "params.opacity" if opacity else "1.0"
    return f"""#version 450
{LINES_OPACITY if opacity else ""}
layout(location = 0) out vec4 out_color;
void main() {{ out_color = vec4({r:.6f}, {g:.6f}, {b:.6f}, {alpha}); }}
"""


LINES_OPACITY = "layout(set = 0, binding = 2) uniform Params { float opacity; } params;"


# lines with a colour per vertex (`lines(colors=...)`, or scalars through a colormap): input 1 is the colours
# (a vec3 array gives alpha 1; an RGBA one, read as vec4, its own)
LINES_COLORED_VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
layout(location = 1) in vec4 color;
layout(location = 0) out vec4 v_color;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); v_color = color; }
"""


def lines_colored_fragment(opacity: bool = False) -> str:
    """Lines coloured per vertex; with `opacity`, their alpha times the uniform "opacity"."""
    alpha = "v_color.a * params.opacity" if opacity else "1.0"
    return f"""#version 450
{LINES_OPACITY if opacity else ""}
layout(location = 0) in vec4 v_color;
layout(location = 0) out vec4 out_color;
void main() {{ out_color = vec4(v_color.rgb, {alpha}); }}
"""
