"""A graphics pipeline's shaders checked against what the draw provides, before the pipeline is made.

A shader that compiles may still ask for what the pipeline does not give it: a vertex input location no vertex
attribute fills, a varying the vertex shader does not write, a descriptor the pipeline layout lacks, push
constants it has no range for. Drivers are not required to survive that (lavapipe dies of SIGSEGV or SIGBUS in
vkCreateGraphicsPipelines), so `check_graphics` reads both shaders (spirv.py) and raises ShaderInterfaceError,
naming the shader, the stage and the mismatch, before anything is made. It also refuses what the validation
layer reports as a defect though drivers survive it (a varying written but not read, a colour output the
render pass has no attachment for, points without gl_PointSize), so a run with --validate stays clean, and a
vertex shader that writes no gl_Position (a fragment shader passed first compiles as one).

What the draw provides is a `Provided`: vertex attributes (location -> VkFormat), descriptors ((set, binding)
-> `ProvidedDescriptor`), push-constant ranges, the render pass's colour formats and the topology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RendererError
from . import spirv, vk


class ShaderInterfaceError(RendererError):
    """A shader's inputs, outputs, descriptors or entry point do not match what its pipeline provides."""


DESCRIPTOR_KINDS = {
    vk.VK_DESCRIPTOR_TYPE_SAMPLER: "sampler",
    vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER: "combined image sampler",
    vk.VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE: "sampled image",
    vk.VK_DESCRIPTOR_TYPE_STORAGE_IMAGE: "storage image",
    vk.VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER: "uniform texel buffer",
    vk.VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER: "storage texel buffer",
    vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER: "uniform buffer",
    vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER: "storage buffer",
    vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC: "uniform buffer",
    vk.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC: "storage buffer",
    vk.VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT: "input attachment",
}
# a descriptor of the key's kind also serves a shader's variable of these kinds
SERVES = {
    "combined image sampler": {"combined image sampler", "sampled image", "sampler"},
}
# what a shader's variable of each kind is declared as in GLSL (for the messages)
GLSL_KINDS = {
    "uniform buffer": "uniform Block { ... }",
    "storage buffer": "buffer Block { ... }",
    "combined image sampler": "uniform sampler2D",
    "sampled image": "uniform texture2D",
    "sampler": "uniform sampler",
    "storage image": "uniform image2D",
    "uniform texel buffer": "uniform samplerBuffer",
    "storage texel buffer": "uniform imageBuffer",
    "input attachment": "uniform subpassInput",
}
STAGE_BITS = {
    "vertex": vk.VK_SHADER_STAGE_VERTEX_BIT,
    "fragment": vk.VK_SHADER_STAGE_FRAGMENT_BIT,
    "compute": vk.VK_SHADER_STAGE_COMPUTE_BIT,
}
POINT_LIST = vk.VK_PRIMITIVE_TOPOLOGY_POINT_LIST

_FORMAT_NAMES = {
    getattr(vk, n): n[len("VK_FORMAT_") :]
    for n in dir(vk)
    if n.startswith("VK_FORMAT_") and isinstance(getattr(vk, n), int)
}


def format_type(fmt: int) -> tuple[str, int] | None:
    """(scalar type as a shader reads it: float, int, uint, double, int64_t, uint64_t; components) of a
    colour or vertex format, or None for a format this does not know (then nothing is checked of it)."""
    name = _FORMAT_NAMES.get(fmt, "")
    match = re.fullmatch(r"((?:[RGBA]\d+)+)_([A-Z]+)(?:_PACK\d+)?", name)
    if match is None:
        return None
    channels = re.findall(r"[RGBA](\d+)", match.group(1))
    numeric, wide = match.group(2), channels[0] == "64"
    if numeric == "UINT":
        scalar = "uint64_t" if wide else "uint"
    elif numeric == "SINT":
        scalar = "int64_t" if wide else "int"
    else:  # UNORM, SNORM, USCALED, SSCALED, SRGB, UFLOAT, SFLOAT: floats to the shader
        scalar = "double" if wide else "float"
    return scalar, len(channels)


@dataclass(frozen=True)
class ProvidedDescriptor:
    """A binding of the pipeline layout: its VkDescriptorType, count, stage flags, for a buffer the bytes
    its descriptors cover (0: not known), and for a uniform block whose fields the draw gives by name,
    `members`: (name, GLSL type, byte offset) of each in order (then the shader's block members must be
    among them, by name, type and offset) and `members_from`: what gives them, for the messages."""

    type: int
    count: int = 1
    stages: int = vk.VK_SHADER_STAGE_ALL_GRAPHICS
    size: int = 0
    members: tuple = ()
    members_from: str = "the draw"


@dataclass(frozen=True)
class Provided:
    """What a graphics pipeline gives its shaders."""

    attributes: dict  # location -> VkFormat
    descriptors: dict  # (set, binding) -> ProvidedDescriptor
    color_formats: tuple = (vk.VK_FORMAT_R8G8B8A8_UNORM,)  # the render pass's colour attachments, in order
    push_constants: tuple = ()  # (stage flags, offset, size) ranges
    topology: int = vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST
    what_to_do: dict = field(default_factory=dict)  # "attributes", "descriptors": how the draw provides more


@dataclass(frozen=True)
class Shader:
    """A shader to check: its SPIR-V, the stage it is given as ("vertex", "fragment") and the name the
    messages call it by (its file, or the scene's file and the stage)."""

    spirv: bytes
    stage: str
    name: str

    @property
    def label(self) -> str:
        """`fragment shader shaders/glow.frag`, or `fragment shader of scenes/glow.py` for one in a scene."""
        own_file = Path(self.name).suffix in SHADER_SUFFIXES
        return f"{self.stage} shader {'' if own_file else 'of '}{self.name}"


SHADER_SUFFIXES = {".vert", ".frag", ".glsl", ".spv", ".comp", ".geom", ".tesc", ".tese"}


def _other(this: Shader, other: Shader) -> str:
    """The other shader as `this` one's message names it: by its stage alone when both are in one file."""
    return f"{other.stage} shader" if other.name == this.name else other.label


def _fail(shader: Shader, message: str) -> ShaderInterfaceError:
    return ShaderInterfaceError(f"the {shader.label} {message}")


def entry_point(shader: Shader) -> spirv.EntryPoint:
    """The shader's `main`, which must be of the stage it is given as."""
    try:
        module = spirv.reflect(shader.spirv)
    except spirv.SpirvError as exc:
        raise _fail(shader, f"is not a SPIR-V module this renderer can read: {exc}") from exc
    entry = module.entry_point("main")
    try:  # read what the checks read, so that what cannot be read is named as this shader's
        entry and (entry.inputs(), entry.outputs(), entry.descriptors(), entry.push_constant_size())
    except spirv.SpirvError as exc:
        raise _fail(shader, f"has an interface this renderer cannot read: {exc}") from exc
    if entry is None:
        found = ", ".join(f"{e.model} '{e.name}'" for e in module.entry_points) or "none"
        raise _fail(
            shader, f"has no entry point 'main' (entry points: {found}); name its entry function main"
        )
    if entry.model != shader.stage:
        raise _fail(
            shader,
            f"is a {entry.model} shader (its main's execution model), given as the {shader.stage} shader: "
            f"pass the {shader.stage} shader's source there",
        )
    return entry


def _group(slots: list[spirv.Slot]) -> dict:
    """Slots by the variable (or block member) they belong to, in order: (variable id, part) -> slots."""
    groups: dict = {}
    for s in slots:
        groups.setdefault((s.variable.id, s.part), []).append(s)
    return groups


def _describe(slots: list[spirv.Slot]) -> str:
    """`location 2 (vec3 'v_normal')` for the slots of one variable or member."""
    first = slots[0]
    v = first.variable
    locations = sorted({s.location for s in slots})
    where = f"location {locations[0]}" if len(locations) == 1 else f"locations {locations[0]}-{locations[-1]}"
    if first.component:
        where += f" component {first.component}"
    if first.part and first.part != v.name:
        return f"{where} ({first.part} of {v.label()})"
    return f"{where} ({v.label()})"


def _listing(slots: list[spirv.Slot]) -> str:
    groups = _group(slots)
    return ", ".join(_describe(g) for g in groups.values()) if groups else "none"


def _declare(slots: list[spirv.Slot], direction: str) -> str:
    """How to declare what `slots` are on the other side: `layout(location = 2) out vec3 v_normal;`, or, for
    a member of a block, the member in a block alike."""
    v, first = slots[0].variable, slots[0]
    if first.part and first.part != v.name:
        return f"a block {v.type.glsl().split()[-1]} alike, with {first.part.rpartition('.')[2]}"
    return f"`layout(location = {first.location}) {direction} {v.type.glsl()} {v.name or 'name'};`"


def check_vertex_inputs(shader: Shader, entry: spirv.EntryPoint, provided: Provided) -> set[int]:
    """Every input location of the vertex shader is a vertex attribute the draw provides, of the same numeric
    type (a shader input with more components than the format gets them as Vulkan fills them: 0, 0, 1).
    Returns the locations the shader reads."""
    given = {loc: format_type(fmt) for loc, fmt in provided.attributes.items()}
    offered = ", ".join(f"{loc} ({_format_glsl(t)})" if t else str(loc) for loc, t in sorted(given.items()))
    offered = f"locations {offered}" if offered else "no vertex inputs"
    more = provided.what_to_do.get("attributes", "")
    for slots in _group(entry.inputs()).values():
        for s in slots:
            if s.location not in given:
                raise _fail(
                    shader,
                    f"reads input {_describe(slots)}, which the draw does not provide; it provides "
                    f"{offered}" + (f": {more}" if more else ""),
                )
            t = given[s.location]
            if t is not None and t[0] != s.scalar:
                raise _fail(
                    shader,
                    f"reads input {_describe(slots)} as {s.scalar}, but the draw provides location "
                    f"{s.location} as {_format_glsl(t)}: declare it `{_retyped(slots, t)}`",
                )
    return {s.location for s in entry.inputs()}


def _format_glsl(t: tuple[str, int]) -> str:
    scalar, n = t
    if n == 1:
        return scalar
    prefix = {"float": "", "double": "d", "int": "i", "uint": "u"}.get(scalar, scalar)
    return f"{prefix}vec{n}"


def _retyped(slots: list[spirv.Slot], t: tuple[str, int]) -> str:
    v = slots[0].variable
    return f"layout(location = {slots[0].location}) in {_format_glsl(t)} {v.name or 'name'};"


def check_varyings(
    vertex: Shader, vertex_entry: spirv.EntryPoint, fragment: Shader, fragment_entry: spirv.EntryPoint
) -> None:
    """Every fragment input is written by the vertex shader at the same location with the same type, and every
    vertex output is read (the validation layer reports an unread one)."""
    written = {(s.location, s.component): s for s in vertex_entry.outputs()}
    reads = {(s.location, s.component): s for s in fragment_entry.inputs()}
    writes_listing = _listing(vertex_entry.outputs())
    fix_types = "declare the output and the input alike (type, location)"
    for slots in _group(fragment_entry.inputs()).values():
        missing = [s for s in slots if (s.location, s.component) not in written]
        if missing:
            raise _fail(
                fragment,
                f"reads input {_describe(slots)}, which the {_other(fragment, vertex)} does not write "
                f"(it writes {writes_listing}): write it in the vertex shader "
                f"({_declare(slots, 'out')}) or remove it from the fragment shader",
            )
        for s in slots:
            w = written[(s.location, s.component)]
            if w.scalar != s.scalar:
                theirs = _group([x for x in vertex_entry.outputs() if x.variable is w.variable])
                raise _fail(
                    fragment,
                    f"reads input {_describe(slots)}, but the {_other(fragment, vertex)} writes "
                    f"{_describe(theirs[(w.variable.id, w.part)])} there: {fix_types}",
                )
    for slots in _group(vertex_entry.outputs()).values():
        unread = [s for s in slots if (s.location, s.component) not in reads]
        if not unread:
            continue
        partly = len(unread) < len(slots)
        if partly:
            ids = {
                reads[(s.location, s.component)].variable.id
                for s in slots
                if (s.location, s.component) in reads
            }
            theirs = [x for x in fragment_entry.inputs() if x.variable.id in ids]
            raise _fail(
                vertex,
                f"writes output {_describe(slots)}, but the {_other(vertex, fragment)} reads "
                f"{_listing(theirs)} there, fewer components: {fix_types}",
            )
        raise _fail(
            vertex,
            f"writes output {_describe(slots)}, which the {_other(vertex, fragment)} does not read (it "
            f"reads {_listing(fragment_entry.inputs())}): read it in the fragment shader "
            f"({_declare(slots, 'in')}) or remove it from the vertex shader",
        )


def check_fragment_outputs(shader: Shader, entry: spirv.EntryPoint, provided: Provided) -> None:
    """Every fragment output is a colour attachment of the render pass, of its numeric type."""
    formats = provided.color_formats
    attachments = ", ".join(
        f"{i} ({_format_glsl(format_type(f)) if format_type(f) else _FORMAT_NAMES.get(f, f)})"
        for i, f in enumerate(formats)
    )
    for slots in _group(entry.outputs()).values():
        for s in slots:
            if s.location >= len(formats):
                raise _fail(
                    shader,
                    f"writes output {_describe(slots)}, but the render pass has "
                    f"{len(formats)} colour attachment(s), at location(s) {attachments}: write the colour "
                    f"to `layout(location = 0) out vec4 ...` only",
                )
            t = format_type(formats[s.location])
            if t is not None and t[0] != s.scalar:
                raise _fail(
                    shader,
                    f"writes output {_describe(slots)} as {s.scalar}, but colour attachment "
                    f"{s.location} holds {t[0]} values ({_FORMAT_NAMES.get(formats[s.location])}): declare it "
                    f"`layout(location = {s.location}) out {_format_glsl((t[0], 4))} ...`",
                )


def check_descriptors(shader: Shader, entry: spirv.EntryPoint, provided: Provided) -> None:
    """Every descriptor the shader declares is in the pipeline layout, of a kind that serves it, with enough
    array elements, visible to the shader's stage, and a uniform block no larger than the buffer bound."""
    more = provided.what_to_do.get("descriptors", "")
    layout = (
        ", ".join(
            f"set {s} binding {b}: {DESCRIPTOR_KINDS.get(p.type, p.type)}"
            for (s, b), p in sorted(provided.descriptors.items())
        )
        or "none"
    )
    stage_bit = STAGE_BITS.get(shader.stage, 0)
    for d in entry.descriptors():
        v = d.variable
        what = (
            f"set {d.set} binding {d.binding} ({v.type.glsl()}{f' {v.name!r}' if v.name else ''}, a {d.kind})"
        )
        p = provided.descriptors.get((d.set, d.binding))
        if p is None:
            raise _fail(
                shader,
                f"uses {what}, which the pipeline does not provide; it provides {layout}"
                + (f": {more}" if more else ""),
            )
        kind = DESCRIPTOR_KINDS.get(p.type, str(p.type))
        if d.kind != kind and d.kind not in SERVES.get(kind, ()):
            raise _fail(
                shader,
                f"uses {what}, but the pipeline provides a {kind} there: declare it as a {kind} "
                f"(`layout(set = {d.set}, binding = {d.binding}) {GLSL_KINDS.get(kind, kind)}`)",
            )
        if not p.stages & stage_bit:
            raise _fail(
                shader,
                f"uses {what}, which the pipeline provides to other stages only: use it in those shaders",
            )
        if d.count is None or d.count > p.count:
            count = "a runtime-sized array" if d.count is None else f"an array of {d.count}"
            raise _fail(
                shader,
                f"declares {what} as {count}, but the pipeline provides {p.count} descriptor(s) there: "
                f"declare {'no array' if p.count == 1 else f'at most [{p.count}]'}",
            )
        if d.kind == "uniform buffer" and p.members:
            check_block_members(shader, what, v.type.element if v.type.kind == "array" else v.type, p)
        if d.kind == "uniform buffer" and p.size and d.size > p.size:
            raise _fail(
                shader,
                f"declares {what} as {d.size} bytes, but the buffer bound there holds {p.size}: declare the "
                f"block as documented, no larger",
            )


def check_block_members(shader: Shader, what: str, block: spirv.Type, p: ProvidedDescriptor) -> None:
    """Each member the shader's uniform block declares is one the draw gives (`p.members`): the same name,
    GLSL type and offset (the shader may leave members out)."""
    given = {name: (glsl, offset) for name, glsl, offset in p.members}
    declaration = " ".join(f"{glsl} {name};" for name, glsl, _ in p.members)
    by_offset = {offset: (name, glsl) for name, glsl, offset in p.members}
    for i, member in enumerate(block.members):
        name = block.member_names.get(i, "")
        glsl = member.glsl()
        offset = block.member_decorations.get(i, {}).get("Offset", 0)
        if not name:  # a module without names: the member at its offset, by type
            name = by_offset.get(offset, (f"at offset {offset}", None))[0]
        if name not in given:
            raise _fail(
                shader,
                f"declares member {glsl} {name!r} in {what}, which {p.members_from} does not give; it gives "
                f"`{declaration}`: add {name!r} there or remove it from the block",
            )
        want, at = given[name]
        if glsl != want:
            raise _fail(
                shader,
                f"declares member {name!r} of {what} as {glsl}, but {p.members_from} gives a {want}: declare "
                f"`{want} {name};` (the block: `{declaration}`)",
            )
        if offset != at:
            raise _fail(
                shader,
                f"declares member {name!r} of {what} at byte {offset}, but {p.members_from} puts it at byte "
                f"{at}: declare the members in its order (`{declaration}`)",
            )


def check_push_constants(shader: Shader, entry: spirv.EntryPoint, provided: Provided) -> None:
    """The shader's push-constant block lies within ranges the pipeline layout gives its stage."""
    size = entry.push_constant_size()
    if not size:
        return
    stage_bit = STAGE_BITS.get(shader.stage, 0)
    ranges = [(o, o + n) for stages, o, n in provided.push_constants if stages & stage_bit]
    if not any(start == 0 and end >= size for start, end in ranges):  # glslc's blocks start at offset 0
        given = ", ".join(f"bytes {a}-{b}" for a, b in ranges) or "none"
        raise _fail(
            shader,
            f"reads a push-constant block of {size} bytes, but the pipeline gives its stage {given}: "
            + ("remove the push_constant block" if not ranges else "read no more than that"),
        )


def check_graphics(vertex: Shader, fragment: Shader, provided: Provided) -> set[int]:
    """Raise ShaderInterfaceError at the first mismatch between the two shaders and what the pipeline provides
    (nothing is made here). Returns the vertex input locations the vertex shader reads."""
    v = entry_point(vertex)
    f = entry_point(fragment)
    reads = check_vertex_inputs(vertex, v, provided)
    check_varyings(vertex, v, fragment, f)
    check_fragment_outputs(fragment, f, provided)
    for shader, entry in ((vertex, v), (fragment, f)):
        check_descriptors(shader, entry, provided)
        check_push_constants(shader, entry, provided)
    if not v.writes_builtin("Position"):
        raise _fail(
            vertex,
            "does not write gl_Position, so nothing it draws has a place on screen (is it the fragment "
            "shader, passed first?): write gl_Position in main (`gl_Position = frame.view_proj * "
            "vec4(position, 1.0);`)",
        )
    if provided.topology == POINT_LIST and not v.writes_builtin("PointSize"):
        raise _fail(
            vertex,
            "does not write gl_PointSize, which a draw of points needs (its size is undefined otherwise): "
            "write it in main (`gl_PointSize = 2.0;`)",
        )
    return reads
