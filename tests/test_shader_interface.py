"""A custom shader's interface is checked against what its draw provides before the pipeline is made
(renderer/device/interface.py, reading SPIR-V with renderer/device/spirv.py): every mismatch is one
ShaderInterfaceError naming the shader, the stage and the mismatch, nothing is left made, and the command line
exits with status 1 and the message instead of dying of a signal in vkCreateGraphicsPipelines."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from renderer.device import handles, interface, shaders, spirv
from renderer.device.interface import ShaderInterfaceError
from renderer.device.memory import Buffer
from renderer.device.pipelines import COLOR_FORMAT, create_render_pass
from renderer.draw.custom_draw import FORMATS, CustomDraw, compile_scene_shader
from renderer.resources import SHADER_DIR
from tests import custom_scene

ROOT = Path(__file__).resolve().parent.parent
SCENE = "scene_file.py"  # what the shaders of these cases are called in messages

VERTEX = custom_scene.VERTEX  # the test scene's, which the cases below change one thing in
FRAGMENT = """#version 450
layout(location = 0) in vec4 v_tint;
layout(location = 0) out vec4 out_color;
void main() { out_color = v_tint; }
"""


def edit(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


# name -> (vertex source, fragment source, topology, the exact message)
CASES = {
    "vertex input the draw does not provide": (
        edit(
            edit(VERTEX, "in vec4 tint;", "in vec4 tint;\nlayout(location = 3) in vec2 uv;"),
            "v_tint = tint;",
            "v_tint = tint + vec4(uv, 0.0, 0.0);",
        ),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py reads input location 3 (vec2 'uv'), which the draw does not "
        "provide; it provides locations 0 (vec3), 1 (vec4): pass one array per input location, in order, in "
        "gpu.custom(..., inputs=[...])",
    ),
    "vertex input of int type": (
        edit(edit(VERTEX, "in vec4 tint;", "in ivec4 tint;"), "v_tint = tint;", "v_tint = vec4(tint);"),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py reads input location 1 (ivec4 'tint') as int, but the draw "
        "provides location 1 as vec4: declare it `layout(location = 1) in vec4 tint;`",
    ),
    "vertex input of uint type": (
        edit(
            edit(VERTEX, "in vec3 position;", "in uvec3 position;"),
            "vec4(position, 1.0)",
            "vec4(vec3(position), 1.0)",
        ),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py reads input location 0 (uvec3 'position') as uint, but the draw "
        "provides location 0 as vec3: declare it `layout(location = 0) in vec3 position;`",
    ),
    "vertex input of 64-bit type": (
        edit(
            edit(VERTEX, "in vec3 position;", "in dvec2 position;"),
            "vec4(position, 1.0)",
            "vec4(vec2(position), 0.0, 1.0)",
        ),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py reads input location 0 (dvec2 'position') as double, but the "
        "draw provides location 0 as vec3: declare it `layout(location = 0) in vec3 position;`",
    ),
    "vertex input matrix past the inputs": (
        edit(edit(VERTEX, "in vec4 tint;", "in mat4 tint;"), "v_tint = tint;", "v_tint = tint[3];"),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py reads input locations 1-4 (mat4 'tint'), which the draw does not "
        "provide; it provides locations 0 (vec3), 1 (vec4): pass one array per input location, in order, in "
        "gpu.custom(..., inputs=[...])",
    ),
    "fragment input the vertex shader does not write": (
        VERTEX,
        edit(
            edit(FRAGMENT, "in vec4 v_tint;", "in vec4 v_tint;\nlayout(location = 2) in vec3 v_normal;"),
            "out_color = v_tint;",
            "out_color = v_tint + vec4(v_normal, 0.0);",
        ),
        "points",
        "the fragment shader of scene_file.py reads input location 2 (vec3 'v_normal'), which the vertex "
        "shader does not write (it writes location 0 (vec4 'v_tint')): write it in the vertex shader "
        "(`layout(location = 2) out vec3 v_normal;`) or remove it from the fragment shader",
    ),
    "varying of another type": (
        VERTEX,
        edit(
            edit(FRAGMENT, "in vec4 v_tint;", "flat in ivec4 v_tint;"),
            "out_color = v_tint;",
            "out_color = vec4(v_tint);",
        ),
        "points",
        "the fragment shader of scene_file.py reads input location 0 (ivec4 'v_tint'), but the vertex shader "
        "writes location 0 (vec4 'v_tint') there: declare the output and the input alike (type, location)",
    ),
    "varying of fewer components": (
        VERTEX,
        edit(
            edit(FRAGMENT, "in vec4 v_tint;", "in vec3 v_tint;"),
            "out_color = v_tint;",
            "out_color = vec4(v_tint, 1.0);",
        ),
        "points",
        "the vertex shader of scene_file.py writes output location 0 (vec4 'v_tint'), but the fragment "
        "shader reads location 0 (vec3 'v_tint') there, fewer components: declare the output and the input "
        "alike (type, location)",
    ),
    "varying at another location": (
        VERTEX,
        edit(FRAGMENT, "layout(location = 0) in vec4", "layout(location = 1) in vec4"),
        "points",
        "the fragment shader of scene_file.py reads input location 1 (vec4 'v_tint'), which the vertex "
        "shader does not write (it writes location 0 (vec4 'v_tint')): write it in the vertex shader "
        "(`layout(location = 1) out vec4 v_tint;`) or remove it from the fragment shader",
    ),
    "varying written but not read": (
        edit(
            edit(VERTEX, "out vec4 v_tint;", "out vec4 v_tint;\nlayout(location = 1) out vec2 v_uv;"),
            "v_tint = tint;",
            "v_tint = tint; v_uv = position.xy;",
        ),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py writes output location 1 (vec2 'v_uv'), which the fragment "
        "shader does not read (it reads location 0 (vec4 'v_tint')): read it in the fragment shader "
        "(`layout(location = 1) in vec2 v_uv;`) or remove it from the vertex shader",
    ),
    "varying block member not written": (
        edit(
            edit(
                VERTEX,
                "layout(location = 0) out vec4 v_tint;",
                "layout(location = 0) out V { vec4 tint; } v;",
            ),
            "v_tint = tint;",
            "v.tint = tint;",
        ),
        edit(
            edit(
                FRAGMENT,
                "layout(location = 0) in vec4 v_tint;",
                "layout(location = 0) in V { vec4 tint; vec3 normal; } v;",
            ),
            "out_color = v_tint;",
            "out_color = v.tint + vec4(v.normal, 0.0);",
        ),
        "points",
        "the fragment shader of scene_file.py reads input location 1 (v.normal of block V 'v'), which the "
        "vertex shader does not write (it writes location 0 (v.tint of block V 'v')): write it in the "
        "vertex shader (a block V alike, with normal) or remove it from the fragment shader",
    ),
    "second colour output": (
        VERTEX,
        edit(
            edit(FRAGMENT, "out vec4 out_color;", "out vec4 out_color;\nlayout(location = 1) out vec4 glow;"),
            "out_color = v_tint;",
            "out_color = v_tint; glow = v_tint;",
        ),
        "points",
        "the fragment shader of scene_file.py writes output location 1 (vec4 'glow'), but the render pass "
        "has 1 colour attachment(s), at location(s) 0 (vec4): write the colour to "
        "`layout(location = 0) out vec4 ...` only",
    ),
    "integer colour output": (
        VERTEX,
        edit(
            edit(FRAGMENT, "out vec4 out_color;", "out uvec4 out_color;"),
            "out_color = v_tint;",
            "out_color = uvec4(v_tint * 255.0);",
        ),
        "points",
        "the fragment shader of scene_file.py writes output location 0 (uvec4 'out_color') as uint, but "
        "colour attachment 0 holds float values (R8G8B8A8_UNORM): declare it "
        "`layout(location = 0) out vec4 ...`",
    ),
    "sampler the layout lacks": (
        VERTEX,
        edit(
            edit(
                FRAGMENT,
                "in vec4 v_tint;",
                "in vec4 v_tint;\nlayout(set = 0, binding = 1) uniform sampler2D tex;",
            ),
            "out_color = v_tint;",
            "out_color = v_tint * texture(tex, vec2(0.5));",
        ),
        "points",
        "the fragment shader of scene_file.py uses set 0 binding 1 (sampler2D 'tex', a combined image sampler), "
        "which the pipeline does not provide; it provides set 0 binding 0: uniform buffer: a scene's shaders "
        "get the Frame uniform block only (set 0, binding 0: mat4 view_proj; vec4 viewport)",
    ),
    "descriptor set the layout lacks": (
        edit(VERTEX, "layout(set = 0, binding = 0)", "layout(set = 1, binding = 0)"),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py uses set 1 binding 0 (block Frame 'frame', a uniform buffer), which "
        "the pipeline does not provide; it provides set 0 binding 0: uniform buffer: a scene's shaders get "
        "the Frame uniform block only (set 0, binding 0: mat4 view_proj; vec4 viewport)",
    ),
    "storage buffer for the uniform block": (
        edit(VERTEX, "uniform Frame", "readonly buffer Frame"),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py uses set 0 binding 0 (block Frame 'frame', a storage buffer), but "
        "the pipeline provides a uniform buffer there: declare it as a uniform buffer "
        "(`layout(set = 0, binding = 0) uniform Block { ... }`)",
    ),
    "sampler for the uniform block": (
        VERTEX,
        edit(
            edit(
                FRAGMENT,
                "in vec4 v_tint;",
                "in vec4 v_tint;\nlayout(set = 0, binding = 0) uniform sampler2D tex;",
            ),
            "out_color = v_tint;",
            "out_color = v_tint * texture(tex, vec2(0.5));",
        ),
        "points",
        "the fragment shader of scene_file.py uses set 0 binding 0 (sampler2D 'tex', a combined image sampler), "
        "but the pipeline provides a uniform buffer there: declare it as a uniform buffer "
        "(`layout(set = 0, binding = 0) uniform Block { ... }`)",
    ),
    "storage image for the uniform block": (
        VERTEX,
        edit(
            edit(
                FRAGMENT,
                "in vec4 v_tint;",
                "in vec4 v_tint;\nlayout(set = 0, binding = 0, rgba8) uniform readonly image2D img;",
            ),
            "out_color = v_tint;",
            "out_color = v_tint * imageLoad(img, ivec2(0));",
        ),
        "points",
        "the fragment shader of scene_file.py uses set 0 binding 0 (image2D 'img', a storage image), but the "
        "pipeline provides a uniform buffer there: declare it as a uniform buffer "
        "(`layout(set = 0, binding = 0) uniform Block { ... }`)",
    ),
    "array of uniform blocks": (
        edit(edit(VERTEX, "} frame;", "} frame[2];"), "frame.view_proj", "frame[1].view_proj"),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py declares set 0 binding 0 (block Frame[2] 'frame', a uniform "
        "buffer) as an array of 2, but the pipeline provides 1 descriptor(s) there: declare no array",
    ),
    "uniform block larger than the buffer": (
        edit(
            edit(VERTEX, "vec4 viewport; }", "vec4 viewport; vec4 extra[4]; }"),
            "gl_PointSize = 2.0;",
            "gl_PointSize = 2.0 + frame.extra[3].x;",
        ),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py declares set 0 binding 0 (block Frame 'frame', a uniform buffer) as "
        "144 bytes, but the buffer bound there holds 80: declare the block as documented, no larger",
    ),
    "push constants": (
        VERTEX,
        edit(
            edit(
                FRAGMENT, "in vec4 v_tint;", "in vec4 v_tint;\nlayout(push_constant) uniform P { vec4 c; } p;"
            ),
            "out_color = v_tint;",
            "out_color = v_tint * p.c;",
        ),
        "points",
        "the fragment shader of scene_file.py reads a push-constant block of 16 bytes, but the pipeline gives "
        "its stage none: remove the push_constant block",
    ),
    "points without gl_PointSize": (
        edit(VERTEX, " gl_PointSize = 2.0;", ""),
        FRAGMENT,
        "points",
        "the vertex shader of scene_file.py does not write gl_PointSize, which a draw of points needs (its "
        "size is undefined otherwise): write it in main (`gl_PointSize = 2.0;`)",
    ),
    "fragment shader passed as the vertex shader": (
        FRAGMENT,
        FRAGMENT,
        "triangles",
        "the vertex shader of scene_file.py does not write gl_Position, so nothing it draws has a place on "
        "screen (is it the fragment shader, passed first?): write gl_Position in main "
        "(`gl_Position = frame.view_proj * vec4(position, 1.0);`)",
    ),
}


@pytest.fixture(scope="module")
def device():
    """One validated context, render pass and pair of input arrays (vec3, vec4) for the cases."""
    import vulkan as vk

    from renderer.device.context import VulkanContext

    ctx = VulkanContext(validate=True)
    render_pass = create_render_pass(ctx.device, COLOR_FORMAT, vk.VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL)
    usage = vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
    arrays = [Buffer(ctx, 64 * 12, usage, name="positions"), Buffer(ctx, 64 * 16, usage, name="tints")]
    yield ctx, render_pass, [(arrays[0], (3,)), (arrays[1], (4,))]
    for a in arrays:
        a.destroy()
    render_pass.destroy()
    ctx.destroy()
    ctx.validation_log.raise_if_any("during the shader interface tests")


def make_draw(device, vertex: str, fragment: str, topology: str, inputs=None):
    ctx, render_pass, arrays = device
    vertex_spirv, vertex_name = compile_scene_shader(vertex, "vert", SCENE)
    fragment_spirv, fragment_name = compile_scene_shader(fragment, "frag", SCENE)
    return CustomDraw(
        ctx,
        render_pass,
        2,
        vertex_spirv=vertex_spirv,
        fragment_spirv=fragment_spirv,
        inputs=arrays if inputs is None else inputs,
        vertex_count=64,
        topology=topology,
        vertex_name=vertex_name,
        fragment_name=fragment_name,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_mismatch_is_one_typed_error_and_nothing_is_made(device, case):
    vertex, fragment, topology, message = CASES[case]
    before = handles.live_counts()
    with pytest.raises(ShaderInterfaceError) as caught:
        make_draw(device, vertex, fragment, topology)
    assert type(caught.value) is ShaderInterfaceError
    assert str(caught.value) == message
    assert handles.live_counts() == before
    assert device[0].validation_log.problems() == []  # caught before the driver saw anything


def test_the_cases_compile():
    """Each case is a shader glslc accepts: the mismatch is in the interface, not the GLSL."""
    for vertex, fragment, _, _ in CASES.values():
        shaders.compile_glsl(vertex, "vert", "case.vert")
        shaders.compile_glsl(fragment, "frag", "case.frag")


def test_matching_shaders_make_a_draw(device):
    """The check passes what matches, and what Vulkan allows beside: a vec4 input from a vec3 array (w = 1),
    an input array the shader does not read (bound with no attribute: the layer would warn of one), lines
    without gl_PointSize, flat on one side only."""
    before = handles.live_counts()
    variants = [
        (VERTEX, FRAGMENT, "points"),
        (
            edit(VERTEX, "in vec3 position;", "in vec4 position;").replace("vec4(position, 1.0)", "position"),
            FRAGMENT,
            "points",
        ),
        (edit(VERTEX, "v_tint = tint;", "v_tint = vec4(1.0);"), FRAGMENT, "triangles"),
        (edit(VERTEX, " gl_PointSize = 2.0;", ""), FRAGMENT, "lines"),
        (VERTEX, edit(FRAGMENT, "in vec4 v_tint;", "flat in vec4 v_tint;"), "triangle_strip"),
    ]
    for vertex, fragment, topology in variants:
        draw = make_draw(device, vertex, fragment, topology)
        assert draw.pipeline is not None
        draw.destroy()
    made = {k: n - before.get(k, 0) for k, n in handles.live_counts().items() if n != before.get(k, 0)}
    assert made == {"Pipeline": 5, "PipelineLayout": 5}  # the render pass's, destroyed with it
    assert device[0].validation_log.problems() == []


def test_an_unread_input_gets_no_attribute(device):
    vertex = edit(VERTEX, "v_tint = tint;", "v_tint = vec4(1.0);")
    vertex_spirv, _ = compile_scene_shader(vertex, "vert", SCENE)
    fragment_spirv, _ = compile_scene_shader(FRAGMENT, "frag", SCENE)
    provided = CustomDraw.provided({0: FORMATS[(3,)], 1: FORMATS[(4,)]}, "points", (COLOR_FORMAT,))
    reads = interface.check_graphics(
        interface.Shader(vertex_spirv, "vertex", SCENE),
        interface.Shader(fragment_spirv, "fragment", SCENE),
        provided,
    )
    assert reads == {0}


def test_the_test_scenes_shaders_pass():
    """tests/custom_scene.py's shaders and the renderer's own for lines() pass the check (no scene in scenes/
    draws with its own shaders)."""
    from renderer.draw import custom_draw

    pairs = [
        (custom_scene.VERTEX, custom_scene.FRAGMENT, {0: FORMATS[(3,)], 1: FORMATS[(4,)]}, "points"),
        (custom_draw.LINES_VERTEX, custom_draw.lines_fragment((1, 0, 0)), {0: FORMATS[(3,)]}, "line_strip"),
        (custom_draw.LINES_VERTEX, custom_draw.lines_fragment((1, 0, 0)), {0: FORMATS[(3,)]}, "lines"),
    ]
    for vertex, fragment, formats, topology in pairs:
        provided = CustomDraw.provided(formats, topology, (COLOR_FORMAT,))
        reads = interface.check_graphics(
            interface.Shader(compile_scene_shader(vertex, "vert", "s.py")[0], "vertex", "s.py"),
            interface.Shader(compile_scene_shader(fragment, "frag", "s.py")[0], "fragment", "s.py"),
            provided,
        )
        assert reads == set(formats)
    scenes = ROOT / "scenes"
    assert not [p.name for p in scenes.glob("*.py") if "gpu.custom(" in p.read_text()], "test those too"


def test_an_execution_model_mismatch_is_named():
    """glslc compiles for the stage it is told, so only SPIR-V of the wrong stage gets here; it is named."""
    vertex_spirv = shaders.compile_glsl(VERTEX, "vert", "v.vert")
    fragment_spirv = shaders.compile_glsl(FRAGMENT, "frag", "f.frag")
    provided = CustomDraw.provided({0: FORMATS[(3,)], 1: FORMATS[(4,)]}, "points", (COLOR_FORMAT,))
    with pytest.raises(ShaderInterfaceError) as caught:
        interface.check_graphics(
            interface.Shader(fragment_spirv, "vertex", "shaders/f.frag"),
            interface.Shader(vertex_spirv, "fragment", "shaders/v.vert"),
            provided,
        )
    assert str(caught.value) == (
        "the vertex shader shaders/f.frag is a fragment shader (its main's execution model), given as the "
        "vertex shader: pass the vertex shader's source there"
    )
    renamed = vertex_spirv.replace(b"main\0\0\0\0", b"mane\0\0\0\0")
    assert renamed != vertex_spirv
    with pytest.raises(
        ShaderInterfaceError, match=r"has no entry point 'main' \(entry points: vertex 'mane'\)"
    ):
        interface.check_graphics(
            interface.Shader(renamed, "vertex", "v.vert"),
            interface.Shader(fragment_spirv, "fragment", "f.frag"),
            provided,
        )
    with pytest.raises(
        ShaderInterfaceError, match="is not a SPIR-V module this renderer can read: not SPIR-V"
    ):
        interface.check_graphics(
            interface.Shader(b"#version 450\nvoid main() { return; }\n   ", "vertex", "v.vert"),
            interface.Shader(fragment_spirv, "fragment", "f.frag"),
            provided,
        )


# -- the reader on the renderer's own shaders


def builtin_modules():
    found = {}
    for path in sorted(SHADER_DIR.iterdir()):
        if path.suffix in (".vert", ".frag"):
            found[path.name] = spirv.reflect(shaders.load_builtin(path.name))
        elif path.suffix == ".comp":
            for variant in ("SPLAT", "SHADE_BY_PARTICLE", "TAKE_BY_PIXEL", "SHADE_LISTED"):
                found[f"{path.name} {variant}"] = spirv.reflect(
                    shaders.load_builtin(path.name, defines=(variant,))
                )
    return found


def test_the_reader_parses_every_builtin_shader():
    modules = builtin_modules()
    shader_files = {p.name for p in SHADER_DIR.iterdir() if p.suffix in (".vert", ".frag", ".comp")}
    assert {name.split()[0] for name in modules} == shader_files
    models = {".vert": "vertex", ".frag": "fragment", ".comp": "compute"}
    for name, module in modules.items():
        entry = module.entry_point("main")
        assert entry is not None and entry.model == models[Path(name.split()[0]).suffix], name
        assert module.version >= (1, 5), name  # --target-env=vulkan1.2


def test_the_reader_sees_what_the_builtin_shaders_declare():
    modules = builtin_modules()

    def slots(entry, which):
        return sorted({(s.location, s.scalar) for s in getattr(entry, which)()})

    mesh_vert = modules["mesh.vert"].entry_point()
    assert slots(mesh_vert, "inputs") == [(0, "float"), (1, "float"), (2, "float")]
    assert max(s.component for s in mesh_vert.inputs() if s.location == 0) == 2  # vec3
    assert mesh_vert.writes_builtin("Position") and not mesh_vert.writes_builtin("PointSize")
    particles = modules["particles.vert"].entry_point()
    assert particles.writes_builtin("PointSize")
    [frame] = particles.descriptors()
    assert (frame.set, frame.binding, frame.kind, frame.count) == (0, 0, "uniform buffer", 1)
    quad = modules["quad.frag"].entry_point()
    assert [(d.set, d.binding, d.kind) for d in quad.descriptors()] == [(0, 1, "combined image sampler")]
    assert slots(quad, "inputs") == [(0, "float")] and slots(quad, "outputs") == [(0, "float")]
    splat = modules["particles_splat.comp SPLAT"].entry_point()
    kinds = {(d.set, d.binding): d.kind for d in splat.descriptors()}
    assert kinds[(0, 0)] == "uniform buffer" and kinds[(1, 0)] == "storage buffer"
    assert all(d.count == 1 for d in splat.descriptors())
    from renderer.draw.point_splat import PUSH_BYTES

    for variant in ("SPLAT", "SHADE_BY_PARTICLE", "TAKE_BY_PIXEL", "SHADE_LISTED"):
        size = modules[f"particles_splat.comp {variant}"].entry_point().push_constant_size()
        assert 0 < size <= PUSH_BYTES, variant
    shade = modules["particles_splat.comp SHADE_BY_PARTICLE"].entry_point()
    kinds = {d.kind for d in shade.descriptors()}
    assert {"storage image", "combined image sampler"} <= kinds, kinds


def test_the_builtin_pairs_pass_the_varying_check():
    modules = builtin_modules()
    for name in ("mesh", "particles", "quad"):
        vertex = interface.Shader(b"", "vertex", f"{name}.vert")
        fragment = interface.Shader(b"", "fragment", f"{name}.frag")
        interface.check_varyings(
            vertex, modules[f"{name}.vert"].entry_point(), fragment, modules[f"{name}.frag"].entry_point()
        )


def test_the_reader_refuses_what_is_not_spirv():
    with pytest.raises(spirv.SpirvError, match="not SPIR-V: the first word"):
        spirv.reflect(b"\0" * 40)
    with pytest.raises(spirv.SpirvError, match="not a SPIR-V module"):
        spirv.reflect(b"\x03\x02\x23\x07\0")
    good = shaders.load_builtin("quad.frag")
    with pytest.raises(spirv.SpirvError, match="runs past the end"):
        spirv.reflect(good + (5 << 16).to_bytes(4, "little"))  # an instruction of 5 words, 1 there
    big_endian = b"".join(good[i : i + 4][::-1] for i in range(0, len(good), 4))
    assert spirv.reflect(big_endian).entry_point().model == "fragment"


# -- through the scene API and the command line


SCENE_SOURCE = """
import pathlib

from renderer.scene import Scene

HERE = pathlib.Path(__file__).parent


class Bad(Scene):
    name = "bad_shader"

    def setup(self, gpu):
        positions = gpu.array("positions", (16,), element_shape=(3,))
        tints = gpu.array("tints", (16,), element_shape=(4,))
        gpu.custom(VERTEX_ARG, FRAGMENT_ARG, [positions, tints], topology="points")

    def update(self, frame, dt, input):
        pass
"""


def write_scene(tmp_path: Path, vertex: str, fragment: str, files: bool = False) -> Path:
    path = tmp_path / "bad_shader.py"
    source = SCENE_SOURCE
    if files:
        (tmp_path / "ring.vert").write_text(vertex)
        (tmp_path / "ring.frag").write_text(fragment)
        source = source.replace("VERTEX_ARG", 'HERE / "ring.vert"').replace(
            "FRAGMENT_ARG", 'HERE / "ring.frag"'
        )
    else:
        source = source.replace("VERTEX_ARG", repr(vertex)).replace("FRAGMENT_ARG", repr(fragment))
    path.write_text(textwrap.dedent(source))
    return path


def run_cli(scene: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "renderer", "--headless", "--scene", str(scene), "--frames", "1"]
    command += ["--size", "32x32", "--out", str(tmp_path / "out"), "--validate"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_command_line_exits_1_naming_the_shader(tmp_path):
    """The case that died of SIGSEGV/SIGBUS in vkCreateGraphicsPipelines (a sampler the layout lacks)."""
    vertex, fragment, _, _ = CASES["sampler the layout lacks"]
    scene = write_scene(tmp_path, vertex, fragment)
    proc = run_cli(scene, tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])  # not -11 or -7: no signal
    expected = (
        f"the fragment shader of {scene} uses set 0 binding 1 (sampler2D 'tex', a combined image sampler), "
        "which the pipeline does not provide"
    )
    assert expected in proc.stderr, proc.stderr[-2000:]
    assert f"error: {scene}: scene 'bad_shader' setup failed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_shader_files_are_named_by_their_path(tmp_path):
    """gpu.custom(Path, Path): the message names the file the author gave, and the other file."""
    vertex, fragment, _, _ = CASES["fragment input the vertex shader does not write"]
    scene = write_scene(tmp_path, vertex, fragment, files=True)
    proc = run_cli(scene, tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    expected = (
        f"the fragment shader {tmp_path / 'ring.frag'} reads input location 2 (vec3 'v_normal'), which the "
        f"vertex shader {tmp_path / 'ring.vert'} does not write (it writes location 0 (vec4 'v_tint'))"
    )
    assert expected in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_scene_api_wraps_it_in_the_scenes_error(tmp_path):
    """Through the scene API in-process: the scene's error names the file, its cause is the typed error, and
    nothing the scene made is left."""
    from renderer import testing
    from renderer.scene.api import SceneError

    vertex, fragment, _, message = CASES["descriptor set the layout lacks"]
    scene_path = write_scene(tmp_path, vertex, fragment)
    namespace: dict = {"__file__": str(scene_path), "__name__": "bad_shader_scene"}
    exec(compile(scene_path.read_text(), str(scene_path), "exec"), namespace)
    before = handles.live_counts()
    with pytest.raises(SceneError) as caught:
        testing.render_scene(namespace["Bad"](), 1, size=(32, 32))
    assert type(caught.value.__cause__) is ShaderInterfaceError
    assert str(caught.value.__cause__) == message.replace("scene_file.py", "bad_shader_scene")
    assert handles.live_counts() == before


def test_a_scene_whose_shaders_match_renders_clean(tmp_path):
    """A shader file that reads only one of the two arrays renders with the validation layer quiet."""
    from renderer import testing

    vertex = edit(VERTEX, "v_tint = tint;", "v_tint = vec4(0.0, 1.0, 0.0, 1.0);")
    scene_path = write_scene(tmp_path, vertex, FRAGMENT, files=True)
    namespace: dict = {"__file__": str(scene_path), "__name__": "good_shader_scene"}
    exec(compile(scene_path.read_text(), str(scene_path), "exec"), namespace)
    pixels, _ = testing.render_scene(namespace["Bad"](), 1, size=(32, 32))
    assert pixels.shape[:2] == (32, 32)


# -- the checks on pipelines other than a custom draw's (no device needed)


def checked(vertex: str, fragment: str, provided: interface.Provided) -> set:
    return interface.check_graphics(
        interface.Shader(compile_scene_shader(vertex, "vert", "s.py")[0], "vertex", "v.vert"),
        interface.Shader(compile_scene_shader(fragment, "frag", "s.py")[0], "fragment", "f.frag"),
        provided,
    )


def provided_with(**changes) -> interface.Provided:
    import dataclasses

    base = CustomDraw.provided({0: FORMATS[(3,)], 1: FORMATS[(4,)]}, "points", (COLOR_FORMAT,))
    return dataclasses.replace(base, **changes)


def test_a_descriptor_of_another_stage_is_named():
    import vulkan as vk

    vertex_only = interface.ProvidedDescriptor(
        vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, vk.VK_SHADER_STAGE_VERTEX_BIT, 80
    )
    fragment = edit(
        edit(
            FRAGMENT,
            "in vec4 v_tint;",
            "in vec4 v_tint;\nlayout(set = 0, binding = 0) uniform Frame { mat4 m; vec4 viewport; } frame;",
        ),
        "out_color = v_tint;",
        "out_color = v_tint * frame.viewport;",
    )
    with pytest.raises(ShaderInterfaceError) as caught:
        checked(VERTEX, fragment, provided_with(descriptors={(0, 0): vertex_only}))
    assert str(caught.value) == (
        "the fragment shader f.frag uses set 0 binding 0 (block Frame 'frame', a uniform buffer), which the "
        "pipeline provides to other stages only: use it in those shaders"
    )


def test_push_constant_ranges():
    import vulkan as vk

    fragment = edit(
        edit(
            FRAGMENT,
            "in vec4 v_tint;",
            "in vec4 v_tint;\nlayout(push_constant) uniform P { vec4 a; mat4 b; } p;",
        ),
        "out_color = v_tint;",
        "out_color = v_tint * p.b * p.a;",
    )
    frag_bit, vert_bit = vk.VK_SHADER_STAGE_FRAGMENT_BIT, vk.VK_SHADER_STAGE_VERTEX_BIT
    assert checked(VERTEX, fragment, provided_with(push_constants=((frag_bit, 0, 80),))) == {0, 1}
    with pytest.raises(ShaderInterfaceError) as caught:
        checked(VERTEX, fragment, provided_with(push_constants=((frag_bit, 0, 64),)))
    assert str(caught.value) == (
        "the fragment shader f.frag reads a push-constant block of 80 bytes, but the pipeline gives its stage "
        "bytes 0-64: read no more than that"
    )
    with pytest.raises(ShaderInterfaceError, match="80 bytes, but the pipeline gives its stage none"):
        checked(VERTEX, fragment, provided_with(push_constants=((vert_bit, 0, 80),)))


def test_a_combined_image_sampler_serves_a_separate_image_and_sampler_but_not_a_buffer():
    import vulkan as vk

    sampled = interface.ProvidedDescriptor(
        vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, vk.VK_SHADER_STAGE_FRAGMENT_BIT
    )
    uniforms = provided_with().descriptors
    fragment = edit(
        edit(
            FRAGMENT,
            "in vec4 v_tint;",
            "in vec4 v_tint;\nlayout(set = 0, binding = 1) uniform sampler2D tex;",
        ),
        "out_color = v_tint;",
        "out_color = v_tint * texture(tex, vec2(0.5));",
    )
    assert checked(VERTEX, fragment, provided_with(descriptors={**uniforms, (0, 1): sampled})) == {0, 1}
    storage = edit(
        edit(
            FRAGMENT,
            "in vec4 v_tint;",
            "in vec4 v_tint;\nlayout(set = 0, binding = 1) readonly buffer B { vec4 c[]; } b;",
        ),
        "out_color = v_tint;",
        "out_color = v_tint * b.c[0];",
    )
    with pytest.raises(ShaderInterfaceError) as caught:
        checked(VERTEX, storage, provided_with(descriptors={**uniforms, (0, 1): sampled}))
    assert str(caught.value) == (
        "the fragment shader f.frag uses set 0 binding 1 (block B 'b', a storage buffer), but the pipeline "
        "provides a combined image sampler there: declare it as a combined image sampler "
        "(`layout(set = 0, binding = 1) uniform sampler2D`)"
    )


def test_no_vertex_inputs_and_an_integer_attachment():
    import vulkan as vk

    with pytest.raises(ShaderInterfaceError) as caught:
        checked(VERTEX, FRAGMENT, provided_with(attributes={}))
    assert str(caught.value).startswith(
        "the vertex shader v.vert reads input location 0 (vec3 'position'), which the draw does not provide; "
        "it provides no vertex inputs: "
    )
    with pytest.raises(ShaderInterfaceError) as caught:
        checked(VERTEX, FRAGMENT, provided_with(color_formats=(vk.VK_FORMAT_R32G32B32A32_UINT,)))
    assert str(caught.value) == (
        "the fragment shader f.frag writes output location 0 (vec4 'out_color') as float, but colour "
        "attachment 0 holds uint values (R32G32B32A32_UINT): declare it `layout(location = 0) out uvec4 ...`"
    )


def test_damaged_spirv_is_the_typed_error_or_passes():
    """Words changed at random in a shader: the check reads them without any other exception."""
    import random
    import struct

    vertex, fragment = shaders.load_builtin("particles.vert"), shaders.load_builtin("particles.frag")
    provided = CustomDraw.provided({0: FORMATS[(3,)], 1: FORMATS[(3,)]}, "points", (COLOR_FORMAT,))
    rng = random.Random(7)
    for _ in range(300):
        which = rng.choice([vertex, fragment])
        words = list(struct.unpack(f"<{len(which) // 4}I", which))
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(5, len(words))
            words[k] = rng.choice(
                [rng.getrandbits(32), words[k] ^ (1 << rng.randrange(32)), rng.randrange(100)]
            )
        damaged = struct.pack(f"<{len(words)}I", *words)
        try:
            interface.check_graphics(
                interface.Shader(damaged if which is vertex else vertex, "vertex", "v.vert"),
                interface.Shader(damaged if which is fragment else fragment, "fragment", "f.frag"),
                provided,
            )
        except ShaderInterfaceError:
            pass
