"""Custom shaders beyond vertex inputs: the scene's own uniforms (read every frame), the frame time, images
kernels write sampled as textures, blending, depth options and per-instance inputs. Each renders headless under
the validation layer, with exact pixels where the shader makes them predictable and a reference PNG; the
interface of each new part is checked before anything is made (ShaderInterfaceError)."""

from pathlib import Path

import numpy as np
import pytest
import taichi as ti

from renderer import HeadlessRenderer, Scene, testing
from renderer.device import interface
from renderer.device.interface import ShaderInterfaceError
from renderer.device.pipelines import COLOR_FORMAT
from renderer.draw.custom_draw import CustomDraw, compile_scene_shader
from renderer.draw.uniforms import Std140
from renderer.scene import SceneError

REFERENCES = Path(__file__).parent / "references"
SIZE = 32  # frames of 32x32 pixels

# a rectangle in clip space (x0, y0, x1, y1) at a depth, made from gl_VertexIndex (a 4-vertex triangle strip)
RECT_VERTEX = """#version 450
layout(set = 0, binding = 2) uniform Params { vec4 rect; vec4 color; float depth; } params;
void main() {
    vec2 corner = vec2(gl_VertexIndex & 1, gl_VertexIndex >> 1);
    gl_Position = vec4(mix(params.rect.xy, params.rect.zw, corner), params.depth, 1.0);
}
"""
RECT_FRAGMENT = """#version 450
layout(set = 0, binding = 2) uniform Params { vec4 rect; vec4 color; } params;
layout(location = 0) out vec4 out_color;
void main() { out_color = params.color; }
"""


class Still(Scene):
    """A scene whose update launches nothing."""

    name = "still"

    def update(self, frame, dt, input):
        pass


def rect(gpu, rect, color, depth=0.5, **options):
    uniforms = {"rect": rect, "color": color, "depth": depth}
    return gpu.custom(RECT_VERTEX, RECT_FRAGMENT, [], "triangle_strip", count=4, uniforms=uniforms, **options)


def render(scene, frames: int, dt: float = 1 / 60) -> list:
    """Every frame's RGB, rendered headless with the validation layer."""
    seen = []
    with HeadlessRenderer(scene, SIZE, SIZE, validate=True) as renderer:
        renderer.render(frames, dt, on_frame=lambda frame, pixels: seen.append(pixels[..., :3].copy()))
    return seen


# -- uniforms


ALL_TYPES_VERTEX = """#version 450
layout(set = 0, binding = 2) uniform Params { vec4 tint; float strength; int mode; vec2 shift; mat4 model; } params;
void main() {
    vec2 corner = vec2(gl_VertexIndex & 1, gl_VertexIndex >> 1) - 0.5;
    gl_Position = params.model * vec4(corner, 0.5, 1.0) + vec4(params.shift, 0.0, 0.0);
}
"""
ALL_TYPES_FRAGMENT = """#version 450
layout(set = 0, binding = 2) uniform Params { vec4 tint; float strength; int mode; } params;
layout(location = 0) out vec4 out_color;
void main() { out_color = params.mode == 1 ? params.tint * params.strength : vec4(0.0, 1.0, 0.0, 1.0); }
"""


class Uniforms(Scene):
    name = "custom_uniforms"
    background = (0.0, 0.0, 0.0)

    def setup(self, gpu):
        self.values = {
            "tint": (0.4, 0.8, 0.4, 1.0),
            "strength": 1.0,
            "mode": 1,
            "shift": (0.0, 0.0),
            "model": np.diag([2.0, 2.0, 1.0, 1.0]),  # the quad of -0.5..0.5 over the whole frame
        }
        self.draw = gpu.custom(
            ALL_TYPES_VERTEX, ALL_TYPES_FRAGMENT, [], "triangle_strip", count=4, uniforms=self.values
        )

    def update(self, frame, dt, input):
        if frame == 1:
            self.values["strength"] = 0.5  # the dict given is read every frame
        if frame == 2:  # moved half a frame right (a matrix as written in maths) and down
            translate = np.eye(4)
            translate[0, 3] = 0.5
            self.draw.set(model=translate, shift=(0.0, 0.5))
        if frame == 3:
            self.draw.set(mode=0)


def test_uniforms_set_in_update_change_that_frame(regenerate):
    frames = render(Uniforms(), 4)
    assert (frames[0] == (102, 204, 102)).all()
    assert (frames[1] == (51, 102, 51)).all()  # strength 0.5 from frame 1's update
    # frame 2: the quad x 0..1, y 0..1 in clip space: the bottom-right quarter
    assert (frames[2][16:, 16:] == (51, 102, 51)).all()
    assert (frames[2][:16] == 0).all() and (frames[2][:, :16] == 0).all()
    assert (frames[3][16:, 16:] == (0, 255, 0)).all()  # mode 0
    testing.assert_matches_reference(frames[2], REFERENCES / "custom_uniforms.png", regenerate=regenerate)


def test_a_dataclass_gives_the_uniforms():
    from dataclasses import dataclass

    @dataclass
    class Params:
        rect: tuple = (-1.0, -1.0, 1.0, 1.0)
        color: tuple = (0.2, 0.4, 0.6, 1.0)
        depth: float = 0.5

    class FromDataclass(Still):
        name = "custom_dataclass"

        def setup(self, gpu):
            self.params = Params()
            gpu.custom(RECT_VERTEX, RECT_FRAGMENT, [], "triangle_strip", count=4, uniforms=self.params)

        def update(self, frame, dt, input):
            if frame == 1:
                self.params.color = (0.6, 0.4, 0.2, 1.0)

    frames = render(FromDataclass(), 2)
    assert (frames[0] == (51, 102, 153)).all()
    assert (frames[1] == (153, 102, 51)).all()


# -- the frame time

TIME_FRAGMENT = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) out vec4 out_color;
void main() { out_color = vec4(frame.viewport.z, frame.viewport.w, frame.viewport.x / 255.0, 1.0); }
"""


class Time(Still):
    name = "custom_time"

    def setup(self, gpu):
        gpu.custom(RECT_VERTEX, TIME_FRAGMENT, [], "triangle_strip", count=4, uniforms=FULL)


FULL = {"rect": (-1.0, -1.0, 1.0, 1.0), "color": (0.0, 0.0, 0.0, 1.0), "depth": 0.5}


def test_the_frame_time_reaches_the_shaders():
    frames = render(Time(), 5, dt=0.2)
    for k, pixels in enumerate(frames):  # viewport: (32, 32, time = frame * dt, dt)
        assert (pixels == (51 * k, 51, 32)).all(), k


# -- textures


@ti.kernel
def paint(image: ti.types.rw_texture(num_dimensions=2, fmt=ti.Format.rgba8, lod=0), blue: ti.f32):
    for i, j in ti.ndrange(4, 4):
        image.store(ti.Vector([i, j]), ti.Vector([0.2 * i, 0.2 * j, blue, 1.0]))


TEXTURE_FRAGMENT = """#version 450
layout(set = 0, binding = 3) uniform sampler2D picture;
layout(set = 0, binding = 4) uniform sampler2D other;
layout(location = 0) out vec4 out_color;
void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy) / 8;  // 4x4 texels over 32x32 pixels
    out_color = texelFetch(picture, texel, 0) + vec4(0.0, 0.0, texelFetch(other, ivec2(0), 0).b, 0.0);
}
"""


class Texture(Scene):
    name = "custom_texture"
    kernels = (paint,)

    def setup(self, gpu):
        self.picture = gpu.image("picture", 4, 4, "rgba8")
        self.other = gpu.image("other", 4, 4, "rgba8")
        gpu.kernel("paint").launch(self.other, 0.2)  # once: its blue is 0.2
        gpu.custom(
            RECT_VERTEX,
            TEXTURE_FRAGMENT,
            [],
            "triangle_strip",
            count=4,
            uniforms=FULL,
            textures=[self.picture, self.other],
        )
        self.paint = gpu.kernel("paint").bind(self.picture, 0.0)

    def update(self, frame, dt, input):
        self.paint.set("blue", 0.2 * frame)  # this frame's kernel write is what the frame samples
        self.paint()


def test_a_kernel_written_image_is_sampled(regenerate):
    frames = render(Texture(), 3)
    for k, pixels in enumerate(frames):
        for x in range(4):
            for y in range(4):
                block = pixels[8 * y : 8 * y + 8, 8 * x : 8 * x + 8]
                assert (block == (51 * x, 51 * y, 51 * k + 51)).all(), (k, x, y)
    testing.assert_matches_reference(frames[-1], REFERENCES / "custom_texture.png", regenerate=regenerate)


@pytest.mark.parametrize("format", ["r32f", "rgba32f"])
def test_a_kernel_is_refused_an_image_of_another_format_than_it_writes(format):
    """The kernel's rw_texture(fmt=rgba8), read from its SPIR-V (the metadata leaves it out): an r32f image was
    written wrongly, with no error from Taichi, the driver or the validation layer."""

    class Mismatched(Texture):
        def setup(self, gpu):
            gpu.kernel("paint").bind(gpu.image("picture", 4, 4, format), 0.0)

    with pytest.raises(
        SceneError, match=rf"the kernel writes rgba8 texels, image 'custom_texture.picture' holds {format}"
    ):
        HeadlessRenderer(Mismatched(), 8, 8)


# -- blending and depth


class Blending(Still):
    name = "custom_blending"
    background = (0.0, 0.0, 1.0)

    def setup(self, gpu):
        rect(gpu, (-1.0, -1.0, 0.0, 1.0), (1.0, 0.0, 0.0, 0.2), blend="alpha")  # left half
        rect(gpu, (0.0, -1.0, 1.0, 1.0), (0.2, 0.4, 0.0, 1.0), blend="additive")  # right half
        # again on its top half, nearer (at the same depth the test would reject it)
        rect(gpu, (0.0, -1.0, 1.0, 0.0), (0.2, 0.0, 0.0, 1.0), 0.4, blend="additive")


def test_alpha_and_additive_blending(regenerate):
    pixels = render(Blending(), 1)[0]
    assert (pixels[:, :16] == (51, 0, 204)).all()  # 0.2 * red + 0.8 * blue
    assert (pixels[16:, 16:] == (51, 102, 255)).all()  # (0.2, 0.4, 0) + blue
    assert (pixels[:16, 16:] == (102, 102, 255)).all()  # and (0.2, 0, 0) once more
    testing.assert_matches_reference(pixels, REFERENCES / "custom_blending.png", regenerate=regenerate)


class Depth(Still):
    name = "custom_depth"
    background = (0.0, 0.0, 0.0)
    RED, GREEN = (1.0, 0.0, 0.0, 1.0), (0.0, 1.0, 0.0, 1.0)

    def setup(self, gpu):
        columns = [
            (-1.0, -1.0, -0.5, 1.0),
            (-0.5, -1.0, 0.0, 1.0),
            (0.0, -1.0, 0.5, 1.0),
            (0.5, -1.0, 1.0, 1.0),
        ]
        # near red first, then far green: the depth test keeps red
        rect(gpu, columns[0], self.RED, 0.2)
        rect(gpu, columns[0], self.GREEN, 0.8)
        # the far one without the depth test: drawn over it
        rect(gpu, columns[1], self.RED, 0.2)
        rect(gpu, columns[1], self.GREEN, 0.8, depth_test=False)
        # the near one without depth writes: the far one passes the test
        rect(gpu, columns[2], self.RED, 0.2, depth_write=False)
        rect(gpu, columns[2], self.GREEN, 0.8)
        # a draw without the depth test writes no depth either: the far one passes
        rect(gpu, columns[3], self.RED, 0.2, depth_test=False)
        rect(gpu, columns[3], self.GREEN, 0.8)


def test_depth_test_and_depth_write_options():
    pixels = render(Depth(), 1)[0]
    assert (pixels[:, 0:8] == (255, 0, 0)).all()
    assert (pixels[:, 8:16] == (0, 255, 0)).all()
    assert (pixels[:, 16:24] == (0, 255, 0)).all()
    assert (pixels[:, 24:32] == (0, 255, 0)).all()


# -- per-instance inputs


@ti.kernel
def place(offsets: ti.types.ndarray(dtype=ti.math.vec2, ndim=1), t: ti.f32):
    for i in offsets:  # the four quarters of the frame, shifted down by t
        offsets[i] = ti.Vector([-0.5 + (i % 2), -0.5 + (i // 2) + t])


INSTANCE_VERTEX = """#version 450
layout(location = 0) in vec2 corner;     // per vertex
layout(location = 1) in vec2 offset;     // per instance
layout(location = 2) in vec4 color;      // per instance
layout(location = 0) out vec4 v_color;
void main() { gl_Position = vec4(corner + offset, 0.5, 1.0); v_color = color; }
"""
INSTANCE_FRAGMENT = """#version 450
layout(location = 0) in vec4 v_color;
layout(location = 0) out vec4 out_color;
void main() { out_color = v_color; }
"""


class Instances(Scene):
    name = "custom_instances"
    kernels = (place,)
    background = (0.0, 0.0, 0.0)

    def setup(self, gpu):
        corners = np.float32([[-0.25, -0.25], [0.25, -0.25], [-0.25, 0.25], [0.25, 0.25]])
        colors = np.float32([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1]])
        corners = gpu.array("corners", element_shape=(2,), data=corners)
        offsets = gpu.array("offsets", 4, element_shape=(2,))
        colors = gpu.array("colors", element_shape=(4,), data=colors)
        gpu.custom(
            INSTANCE_VERTEX,
            INSTANCE_FRAGMENT,
            [corners],
            "triangle_strip",
            instance_inputs=[offsets, colors],
        )
        self.place = gpu.kernel("place").bind(offsets, 0.0)

    def update(self, frame, dt, input):
        self.place.set("t", 0.25 * frame)
        self.place()


def test_per_instance_inputs_draw_every_instance_at_its_offset(scene_check):
    frames = render(Instances(), 2)
    for k, pixels in enumerate(frames):
        # instance i: 8x8 pixels centred in its quarter (x 4..11 or 20..27), shifted down 4k pixels
        for i, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]):
            x, y = 4 + 16 * (i % 2), 4 + 16 * (i // 2) + 4 * k
            assert (pixels[y : y + 8, x : x + 8] == color).all(), (k, i)
        assert pixels.sum() == 4 * 64 * 255 + 64 * 2 * 255  # nothing else
    scene_check(Instances(), "references/custom_instances.png", frames=2, size=(SIZE, SIZE))


# -- what is refused, with what message

SCENE = "scene_file.py"
PARAMS = Std140(("tint", "vec4"), ("strength", "float"))
PLAIN_VERTEX = """#version 450
void main() { gl_Position = vec4(vec2(gl_VertexIndex & 1, gl_VertexIndex >> 1), 0.5, 1.0); }
"""


def fragment_with(declarations: str, color: str) -> str:
    return f"""#version 450
{declarations}
layout(location = 0) out vec4 out_color;
void main() {{ out_color = {color}; }}
"""


MISMATCHES = {
    "a uniform the dict lacks": (
        fragment_with(
            "layout(set = 0, binding = 2) uniform Params { vec4 tint; float strength; float glow; } params;",
            "params.tint * params.strength * params.glow",
        ),
        PARAMS,
        0,
        "the fragment shader of scene_file.py declares member float 'glow' in set 0 binding 2 (block Params "
        "'params', a uniform buffer), which the uniforms argument of gpu.custom does not give; it gives `vec4 "
        "tint; float strength;`: add 'glow' there or remove it from the block",
    ),
    "a uniform of another type": (
        fragment_with(
            "layout(set = 0, binding = 2) uniform Params { vec4 tint; vec4 strength; } params;",
            "params.tint * params.strength",
        ),
        PARAMS,
        0,
        "the fragment shader of scene_file.py declares member 'strength' of set 0 binding 2 (block Params "
        "'params', a uniform buffer) as vec4, but the uniforms argument of gpu.custom gives a float: declare "
        "`float strength;` (the block: `vec4 tint; float strength;`)",
    ),
    "uniforms in another order": (
        fragment_with(
            "layout(set = 0, binding = 2) uniform Params { float strength; vec4 tint; } params;",
            "params.tint * params.strength",
        ),
        PARAMS,
        0,
        "the fragment shader of scene_file.py declares member 'strength' of set 0 binding 2 (block Params "
        "'params', a uniform buffer) at byte 0, but the uniforms argument of gpu.custom puts it at byte 16: "
        "declare the members in its order (`vec4 tint; float strength;`)",
    ),
    "a uniform block without uniforms": (
        fragment_with("layout(set = 0, binding = 2) uniform Params { vec4 tint; } params;", "params.tint"),
        None,
        0,
        "the fragment shader of scene_file.py uses set 0 binding 2 (block Params 'params', a uniform "
        "buffer), which the pipeline does not provide; it provides set 0 binding 0: uniform buffer: a "
        "scene's shaders get the Frame uniform block only (set 0, binding 0: mat4 view_proj; vec4 viewport)",
    ),
    "a texture binding missing": (
        fragment_with(
            "layout(set = 0, binding = 3) uniform sampler2D a;\nlayout(set = 0, binding = 4) uniform "
            "sampler2D b;",
            "texture(a, vec2(0.5)) + texture(b, vec2(0.5))",
        ),
        PARAMS,
        1,
        "the fragment shader of scene_file.py uses set 0 binding 4 (sampler2D 'b', a combined image "
        "sampler), which the pipeline does not provide; it provides set 0 binding 0: uniform buffer, set 0 "
        "binding 2: uniform buffer, set 0 binding 3: combined image sampler: a scene's shaders get the Frame "
        "uniform block (set 0, binding 0: mat4 view_proj; vec4 viewport), their uniforms at binding 2 "
        "(uniform Params { ... }), and textures at bindings 3-3 (uniform sampler2D)",
    ),
    "a texture declared as a uniform block": (
        fragment_with("layout(set = 0, binding = 3) uniform Extra { vec4 e; } extra;", "extra.e"),
        None,
        1,
        "the fragment shader of scene_file.py uses set 0 binding 3 (block Extra 'extra', a uniform buffer), "
        "but the pipeline provides a combined image sampler there: declare it as a combined image sampler "
        "(`layout(set = 0, binding = 3) uniform sampler2D`)",
    ),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_mismatches_of_the_new_parts_are_one_interface_error(case):
    fragment, params, textures, message = MISMATCHES[case]
    provided = CustomDraw.provided({}, "triangle_strip", (COLOR_FORMAT,), params=params, textures=textures)
    vertex_spirv, _ = compile_scene_shader(PLAIN_VERTEX, "vert", SCENE)
    fragment_spirv, _ = compile_scene_shader(fragment, "frag", SCENE)
    with pytest.raises(ShaderInterfaceError) as caught:
        interface.check_graphics(
            interface.Shader(vertex_spirv, "vertex", SCENE),
            interface.Shader(fragment_spirv, "fragment", SCENE),
            provided,
        )
    assert str(caught.value) == message


class Refused(Still):
    name = "custom_refused"
    options: dict = {}
    fragment = RECT_FRAGMENT

    def setup(self, gpu):
        options = {"uniforms": FULL, **self.options}
        gpu.custom(RECT_VERTEX, self.fragment, [], "triangle_strip", count=4, **options)


REFUSED = {
    "an unknown blend": (
        {"blend": "multiply"},
        "blend must be None, 'alpha' or 'additive', not 'multiply'",
    ),
    "a uniform of a type no block holds": (
        {"uniforms": {**FULL, "label": "red"}},
        "uniform 'label' is 'red'; a uniform is a float, an int, a vector of 2-4 numbers (vec2-vec4) or a "
        "2x2-4x4 matrix (mat2-mat4)",
    ),
    "a vector of five": (
        {"uniforms": {**FULL, "weights": (1.0, 2.0, 3.0, 4.0, 5.0)}},
        "uniform 'weights' is (1.0, 2.0, 3.0, 4.0, 5.0); a uniform is a float, an int, a vector of 2-4 "
        "numbers (vec2-vec4) or a 2x2-4x4 matrix (mat2-mat4)",
    ),
    "a bool": (
        {"uniforms": {**FULL, "on": True}},
        "uniform 'on' is True; a uniform is a float, an int, a vector of 2-4 numbers (vec2-vec4) or a "
        "2x2-4x4 matrix (mat2-mat4) (for a flag: 0 or 1)",
    ),
    "a name GLSL cannot have": (
        {"uniforms": {**FULL, "2nd": 1.0}},
        "uniform names are GLSL identifiers (letters, digits, '_'), not '2nd'",
    ),
    "uniforms of another kind": (
        {"uniforms": [1.0, 2.0]},
        "uniforms must be a dict of name -> value or a dataclass instance, not list",
    ),
    "a texture that is no image": (
        {"textures": [np.zeros((4, 4, 4), np.uint8)]},
        None,
    ),
    "the uniforms' block in the shader mismatching": (
        {"uniforms": {"rect": FULL["rect"], "color": 1.0, "depth": 0.5}},
        "the vertex shader of ",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_arguments_stop_the_scene_with_the_reason(case):
    options, message = REFUSED[case]
    scene = Refused()
    scene.options = options
    with pytest.raises(SceneError) as caught:
        with HeadlessRenderer(scene, SIZE, SIZE):
            pass
    text = str(caught.value)
    assert text.startswith(f"{__file__}: scene 'custom_refused' setup failed: "), text
    reason = text.split("setup failed: ", 1)[1]
    if case == "a texture that is no image":
        assert reason == (
            "scene 'custom_refused': custom draw textures must be a list of images made by gpu.image(...); "
            "textures[0] is a ndarray"
        )
    elif case == "the uniforms' block in the shader mismatching":
        assert reason.startswith(message) and "declares member 'color' of set 0 binding 2" in reason, reason
        assert "as vec4, but the uniforms argument of gpu.custom gives a float" in reason, reason
    else:
        assert reason == message


def test_a_uniform_set_to_another_type_is_refused():
    class Changed(Still):
        name = "custom_changed"

        def setup(self, gpu):
            self.draw = rect(gpu, FULL["rect"], FULL["color"])

    scene = Changed()
    with HeadlessRenderer(scene, SIZE, SIZE) as renderer:
        renderer.render(1)
        with pytest.raises(Exception, match=r"uniform 'color' is a vec4, not 0.5 \(a float\)"):
            scene.draw.set(color=0.5)
        with pytest.raises(Exception, match=r"no uniform 'colour' in this draw"):
            scene.draw.set(colour=(1.0, 0.0, 0.0, 1.0))
        scene.draw.set(depth=1)  # an int where a float was given is a float
        renderer.render(1)
        scene.draw.uniforms_given.pop("depth")
        with pytest.raises(Exception, match=r"uniform 'depth' was taken out of the uniforms"):
            renderer.render(1)


# -- the same in the window


class InWindow(Texture):
    """The texture over the frame, the time's colour over its left half, an additive rectangle on top."""

    name = "custom_window"

    def setup(self, gpu):
        super().setup(gpu)
        gpu.custom(  # nearer than the texture's
            RECT_VERTEX,
            TIME_FRAGMENT,
            [],
            "triangle_strip",
            count=4,
            uniforms={**FULL, "rect": (-1.0, -1.0, 0.0, 1.0), "depth": 0.4},
        )
        rect(gpu, (-1.0, -1.0, 1.0, -0.5), (0.2, 0.0, 0.0, 1.0), 0.3, blend="additive")


def test_uniforms_time_textures_and_blending_in_the_window(display, tmp_path):
    import glfw

    from renderer.app.interactive import InteractiveApp

    with InteractiveApp(
        [InWindow], 0, size=(SIZE, SIZE), vsync=False, validate=True, out_dir=tmp_path, dt=0.2
    ) as app:
        app.run(max_frames=2)
        app.handle([glfw.KEY_S])
        app.run(max_frames=3)  # frame 2, copied out as it is rendered
        pixels = app.last_capture[..., :3]
    app.context.validation_log.raise_if_any("in the window")
    assert (pixels[8:, :16] == (102, 51, 32)).all()  # time 0.4, dt 0.2, 32 pixels wide
    assert (pixels[:8, :16] == (153, 51, 32)).all()  # and 0.2 red added
    for x in range(2, 4):  # the texture's right half: this frame's blue
        for y in range(1, 4):
            assert (pixels[8 * y : 8 * y + 8, 8 * x : 8 * x + 8] == (51 * x, 51 * y, 153)).all(), (x, y)
    assert (pixels[:8, 16:24] == (102 + 51, 0, 153)).all()  # texel (2, 0) and the red added
