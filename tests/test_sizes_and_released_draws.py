"""Sizes that wrap, draws of a scene that is gone, names given twice and bools that are not bools: each is one
typed error naming what was wrong, never a buffer smaller than its shape says, a raw traceback, or a setting
silently lost."""

import numpy as np
import pytest

from renderer import HeadlessRenderer
from renderer.camera import Camera
from renderer.device import handles
from renderer.draw import shapes
from renderer.draw.custom_draw import CustomDraw, compile_scene_shader
from renderer.draw.instances import InstancedMeshDraw
from renderer.errors import ArgumentError, OutOfMemoryError, RendererError
from renderer.scene.api import Param, Scene, SceneError
from tests import custom_scene
from tests.scenes_for_tests import FrameMarker

V, F = custom_scene.VERTEX, custom_scene.FRAGMENT
RELEASED = r"was released with its scene \(the renderer was closed or switched scenes\)"


def _live() -> int:
    return sum(handles.live_counts().values())


def _refused(make, error=SceneError):
    """The error of a FrameMarker whose setup also does `make(gpu)`."""

    class Mistaken(FrameMarker):
        def setup(self, gpu):
            super().setup(gpu)
            make(gpu)

    with pytest.raises(error) as info:
        HeadlessRenderer(Mistaken(), 32, 24)
    return str(info.value)


def _vec(gpu, name, n=4, k=3, **kw):
    return gpu.array(name, (n,), element_shape=(k,), **kw)


# -- sizes: computed in Python ints, so too many elements is the too-large error, never a wrapped small buffer

OVERSIZED = {
    "vec3s whose floats wrap to 2": (((2**64 + 2) // 3,), (3,), np.float32),
    "vec4s whose bytes wrap to 0": ((2**62,), (4,), np.float32),
    "two dimensions": ((2**40, 2**40), (), np.float32),
    "numpy ints": ((np.int64(2**62),), (np.int64(4),), np.float32),
    "doubles past 2^31 bytes": ((2**28 + 1,), (), np.float64),
    "a wide element": ((4,), (2**20, 2**20), np.uint8),
}


@pytest.mark.parametrize("case", sorted(OVERSIZED))
def test_an_array_too_large_is_the_out_of_memory_error(case):
    shape, element_shape, dtype = OVERSIZED[case]
    nbytes = int(np.prod([int(d) for d in shape + element_shape], dtype=object)) * np.dtype(dtype).itemsize
    before = _live()
    message = _refused(lambda g: g.array("big", shape, dtype, element_shape), OutOfMemoryError)
    assert f"frame-marker.big needs {nbytes:,} bytes" in message
    assert "more than a Taichi kernel can address" in message
    assert f"give array 'big' fewer elements than {tuple(int(d) for d in shape)}" in message
    assert _live() == before


@pytest.mark.parametrize("width, height", [(2**40, 4), (4, 2**63), (np.int64(2**40), np.int64(4))])
def test_an_image_too_large_is_the_out_of_memory_error(width, height):
    message = _refused(lambda g: g.image("img", width, height), OutOfMemoryError)
    assert f"frame-marker.img: {width}x{height} is larger than this device's largest image" in message
    assert f"make the image smaller than {width}x{height}" in message


@pytest.mark.parametrize(
    "shape, element_shape",
    [((0,), ()), ((4, 0), ()), ((-2, -3), ()), ((4,), (-1,)), ((4,), (0,)), ((4,), (-2, -2)), (-4, ())],
)
def test_a_dimension_below_one_is_refused(shape, element_shape):
    message = _refused(lambda g: g.array("a", shape, element_shape=element_shape))
    assert "array 'a'" in message and "must be a tuple of positive whole numbers" in message


def test_a_custom_draw_never_reads_past_its_shortest_input():
    message = _refused(lambda g: g.custom(V, F, [_vec(g, "p", 8), _vec(g, "t", 4, 4)], topology="points"))
    assert "custom draw inputs hold different numbers of vertices: the first 8, the fewest 4" in message
    assert "give count= up to 4" in message
    # a count within the shortest draws
    _live_scene(lambda g: g.custom(V, F, [_vec(g, "p", 8), _vec(g, "t", 4, 4)], topology="points", count=4))


def _live_scene(make):
    class Made(FrameMarker):
        def setup(self, gpu):
            super().setup(gpu)
            self.made = make(gpu)

    with HeadlessRenderer(Made(), 32, 24, validate=True) as r:
        r.render(1)


def test_the_draws_refuse_a_count_past_their_buffers():
    """Below the scene API: an instances or custom draw of more elements than its buffers hold (the instances
    draw of 5 'elements' of an 8-byte buffer read 60 bytes)."""
    vertex = compile_scene_shader(V, "vert", "test")[0]
    fragment = compile_scene_shader(F, "frag", "test")[0]
    made = {}

    def direct(gpu):
        small, tints = _vec(gpu, "small", 2), _vec(gpu, "tints", 2, 4)
        where = (gpu.context, gpu.render_pass, gpu.frames_in_flight)
        for name, draw in {
            "instances": lambda: InstancedMeshDraw(
                *where, mesh=shapes.BUILTIN["cube"](), count=5, positions=small.buffer
            ),
            "vertices": lambda: CustomDraw(
                *where,
                vertex_spirv=vertex,
                fragment_spirv=fragment,
                inputs=[(small.buffer, (3,)), (tints.buffer, (4,))],
                vertex_count=3,
                topology="points",
            ),
            "instance inputs": lambda: CustomDraw(
                *where,
                vertex_spirv=vertex,
                fragment_spirv=fragment,
                inputs=[(small.buffer, (3,))],
                vertex_count=2,
                topology="points",
                instance_inputs=[(tints.buffer, (4,))],
                instance_count=9,
            ),
        }.items():
            with pytest.raises(RendererError) as info:
                draw()
            made[name] = str(info.value)

    _live_scene(direct)
    assert made["instances"] == "frame-marker.small holds 2 instances, not 5"
    assert made["vertices"] == "frame-marker.small holds 2 vertices; the draw reads 3"
    assert made["instance inputs"] == "frame-marker.tints holds 2 instances; the draw reads 9"


# -- draws and colormaps of a scene switched away or closed


class AllDraws(Scene):
    name = "all-draws"
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        p = gpu.array("p", element_shape=(3,), data=np.zeros((8, 3), np.float32))
        s = gpu.array("s", data=np.arange(8, dtype=np.float32))
        tints = _vec(gpu, "tints", 8, 4)
        indices = gpu.array("i", data=np.arange(6, dtype=np.uint32), dtype=np.uint32, usage=("index",))
        self.draws = {
            "particles": gpu.particles(p, scalars=s, opacity=0.5),
            "mesh": gpu.mesh(p, p, indices, opacity=0.5),
            "instances": gpu.instances("cube", p, scale=0.1, opacity=0.5),
            "lines": gpu.lines(p, scalars=s, opacity=0.5),
            "custom": gpu.custom(V, F, [p, tints], topology="points", uniforms={"gain": 1.0}),
            "quad": gpu.quad(gpu.image("img", 4, 4)),
        }

    def update(self, frame, dt, input):
        pass


# what a scene may do to a live draw of each kind, and the words of the refusal once it is released
USES = {
    "count": lambda d: setattr(d, "count", 0),
    "opacity": lambda d: setattr(d, "opacity", 0.25),
    "colormap": lambda d: setattr(d, "colormap", "magma"),
    "range": lambda d: setattr(d, "range", (0.0, 1.0)),
    "transform": lambda d: setattr(d, "transform", np.eye(4)),
}
KIND_USES = {
    "particles": ("count", "opacity", "colormap", "range"),
    "mesh": ("count", "opacity", "transform"),
    "instances": ("count", "opacity", "transform"),
    "lines": ("opacity", "colormap", "range", "transform"),
    "custom": ("count", "transform"),
    "quad": ("transform",),
}
WHAT = {
    "particles": "particles draw",
    "mesh": "mesh draw",
    "instances": "instances draw",
    "lines": "lines draw",
    "custom": "custom draw",
    "quad": "quad",
}


@pytest.mark.parametrize("how", ["switch", "close"])
def test_every_setting_of_a_released_draw_is_refused(how):
    r = HeadlessRenderer(AllDraws(), 32, 24, validate=True)
    r.render(1)
    old = r.scene
    draws, colormap = old.draws, old.draws["particles"].colormap
    for kind, uses in KIND_USES.items():  # all accepted while the scene lives
        for use in uses:
            USES[use](draws[kind])
    assert all(np.isfinite(colormap.range_now()))
    draws["custom"].set(gain=2.0)
    if how == "switch":
        r.switch(FrameMarker())
    else:
        r.close()
    for kind, uses in KIND_USES.items():
        for use in uses:
            with pytest.raises(ArgumentError, match=f"this {WHAT[kind]} {RELEASED}; its {use} cannot be set"):
                USES[use](draws[kind])
    for call, words in (
        (colormap.range_now, "its range_now\\(\\) cannot be read"),
        (colormap.colorbar, "its colorbar\\(\\) cannot be made"),
        (lambda: setattr(colormap, "name", "grey"), "its name cannot be set"),
        (lambda: setattr(colormap, "range", "auto"), "its range cannot be set"),
        (lambda: draws["custom"].set(gain=3.0), "its uniforms cannot be set"),
        (lambda: draws["custom"].__setattr__("instances", 1), "its instances cannot be set"),
        (lambda: draws["quad"].fit(32, 24), "its fit\\(\\) cannot be asked"),
    ):
        with pytest.raises(ArgumentError, match=f"{RELEASED}; {words}"):
            call()
    assert colormap.name == "magma" and draws["particles"].count == 0  # what it was, unchanged
    if how == "switch":
        r.render(1)  # the renderer goes on with the new scene
        r.close()


def test_releasing_twice_is_still_quiet():
    r = HeadlessRenderer(AllDraws(), 32, 24)
    draws = r.scene.draws
    r.close()
    for draw in draws.values():
        draw.destroy()  # idempotent, after the scene's own release


# -- names: one array or image per name in a scene


@pytest.mark.parametrize(
    "make, kind, name",
    [
        (lambda g: (_vec(g, "p"), _vec(g, "p")), "array", "p"),
        (lambda g: (_vec(g, "p"), g.array("p", data=np.zeros(3, np.float32))), "array", "p"),
        (lambda g: (_vec(g, "p"), g.image("p", 4, 4)), "image", "p"),
        (lambda g: (g.image("p", 4, 4), _vec(g, "p", n=2)), "array", "p"),
        (lambda g: (g.image("p", 4, 4), g.image("p", 8, 8)), "image", "p"),
        (lambda g: _vec(g, "positions", k=4), "array", "positions"),  # FrameMarker's own
    ],
)
def test_a_name_given_twice_is_refused(make, kind, name):
    before = _live()
    message = _refused(make)
    assert f"{kind} {name!r}: the scene already has an array or image named {name!r}" in message
    assert "give each its own name" in message
    assert _live() == before


def test_each_array_is_picked_by_its_own_name():
    class Named(Scene):
        name = "named"
        camera = Camera(eye=(0.0, 0.0, 2.5))

        def setup(self, gpu):
            p = gpu.array("p", data=np.zeros((4, 3), np.float32), element_shape=(3,))
            gpu.array("a", data=np.full(4, 1.0, np.float32))
            gpu.array("b", data=np.full(4, 2.0, np.float32))
            gpu.particles(p, radius=0.3)

        def update(self, frame, dt, input):
            pass

    with HeadlessRenderer(Named(), 32, 32) as r:
        r.render(1)
        assert r.pick(16, 16).values == {"p": (0.0, 0.0, 0.0), "a": 1.0, "b": 2.0}


# -- bool options: True or False only (numpy's too), never "no" taken as true

NOT_BOOLS = {
    "particles splat": (lambda g: g.particles(_vec(g, "q"), splat="no"), "particle splat", "'no'"),
    "particles splat 1": (lambda g: g.particles(_vec(g, "q"), splat=1), "particle splat", "1"),
    "particles splat None": (lambda g: g.particles(_vec(g, "q"), splat=None), "particle splat", "None"),
    "mesh splat": (
        lambda g: g.mesh(
            _vec(g, "q"),
            _vec(g, "n"),
            g.array("i", data=np.arange(3, dtype=np.uint32), dtype=np.uint32, usage=("index",)),
            splat="yes",
        ),
        "mesh splat",
        "'yes'",
    ),
    "line strip": (lambda g: g.lines(_vec(g, "q"), strip="no"), "line strip", "'no'"),
    "quad fullscreen": (lambda g: g.quad(g.image("m", 4, 4), fullscreen="no"), "quad fullscreen", "'no'"),
    "quad smooth": (lambda g: g.quad(g.image("m", 4, 4), smooth=0), "quad smooth", "0"),
    "quad stretch": (lambda g: g.quad(g.image("m", 4, 4), stretch="yes"), "quad stretch", "'yes'"),
    "custom depth_test": (
        lambda g: g.custom(V, F, [_vec(g, "q"), _vec(g, "t", k=4)], topology="points", depth_test="no"),
        "custom draw depth_test",
        "'no'",
    ),
    "custom depth_write": (
        lambda g: g.custom(V, F, [_vec(g, "q"), _vec(g, "t", k=4)], topology="points", depth_write=1.0),
        "custom draw depth_write",
        "1.0",
    ),
    "custom transparent": (
        lambda g: g.custom(V, F, [_vec(g, "q"), _vec(g, "t", k=4)], topology="points", transparent="no"),
        "custom draw transparent",
        "'no'",
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_BOOLS))
def test_a_bool_option_given_another_value_is_refused(case):
    make, option, value = NOT_BOOLS[case]
    before = _live()
    message = _refused(make)
    assert f"{option} must be True or False, not {value}" in message
    assert _live() == before


def test_numpy_bools_are_bools():
    def make(gpu):
        q, n = _vec(gpu, "q"), _vec(gpu, "n")
        gpu.particles(q, splat=np.False_)
        gpu.mesh(
            q,
            n,
            gpu.array("i", data=np.arange(3, dtype=np.uint32), dtype=np.uint32, usage=("index",)),
            splat=np.True_,
        )
        gpu.lines(q, strip=np.True_)
        gpu.quad(gpu.image("m", 4, 4), fullscreen=np.False_, smooth=np.True_, stretch=np.bool_(False))
        draw = gpu.particles(q, scalars=gpu.array("s", (4,)))
        assert draw.colormap.colorbar(8, 2, vertical=np.True_).shape == (2, 8, 4)
        with pytest.raises(ArgumentError, match="colorbar vertical must be True or False, not 'yes'"):
            draw.colormap.colorbar(8, 2, vertical="yes")

    _live_scene(make)


@pytest.mark.parametrize("value", ["yes", "no", 1, 0.0, None])
def test_a_camera_orthographic_not_a_bool_is_refused(value):
    with pytest.raises(SceneError, match=f"the camera's orthographic must be True or False, not {value!r}"):

        class Declared(FrameMarker):
            camera = Camera(eye=(0.0, 0.0, 2.5), orthographic=value)


@pytest.mark.parametrize("value", ["yes", "no", None, 2])
def test_a_camera_made_orthographic_by_another_value_in_update_is_refused(value):
    class SetInUpdate(FrameMarker):
        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            self.camera.orthographic = value

    with HeadlessRenderer(SetInUpdate(), 32, 24) as r:
        with pytest.raises(
            SceneError, match=f"the camera's orthographic must be True or False, not {value!r}"
        ):
            r.render(1)


def test_a_numpy_bool_camera_is_orthographic():
    class Parallel(FrameMarker):
        camera = Camera(eye=(0.0, 0.0, 2.5), orthographic=np.True_)

    with HeadlessRenderer(Parallel(), 32, 24) as r:
        assert r.render(1).shape == (24, 32, 4)


def test_command_line_bools_still_parse_yes_and_no():
    class Flagged(FrameMarker):
        params = {"trails": Param(False, help="draw trails")}

    assert Flagged.parse_params({"trails": "yes"}) == {"trails": True}
    assert Flagged.parse_params({"trails": "no"}) == {"trails": False}
    assert Flagged(trails=np.True_).trails is True
    with pytest.raises(SceneError, match="parameter trails='no' must be True or False"):
        Flagged(trails="no")
