"""Option values the checks let through or met with raw errors (renderer/colormaps.py, scene/api.py,
draw/custom_draw.py): colormap ranges as wide as float32 goes, colormaps.sample() and colorbar() with
NaN, empty ranges and bad arguments, ints beyond float's range in scene parameters, unhashable option values,
parse_params() with values that are not text, and shader text that is not UTF-8."""

import numpy as np
import pytest

from renderer import (
    ArgumentError,
    Camera,
    HeadlessRenderer,
    Light,
    Param,
    RendererError,
    Scene,
    SceneError,
    colormaps,
)
from renderer.device.shaders import ShaderCompileError
from renderer.draw.custom_draw import CustomDraw, compile_scene_shader
from renderer.scene.api import ParamError

FLAT = Light(direction=(0.0, 0.0, 1.0), color=(0.0, 0.0, 0.0), ambient=1.0)  # colour = the base colour
V = "#version 450\nvoid main() { gl_Position = vec4(0.0); }\n"
F = "#version 450\nlayout(location = 0) out vec4 c;\nvoid main() { c = vec4(1.0); }\n"
WIDE = (-3.4e38, 3.4e38)  # all of float32: hi - lo is not finite in it, half of it is


class Strip(Scene):
    """A row of flat quads across the frame, one per scalar, coloured through viridis with `range`."""

    name = "strip"
    camera = Camera(eye=(0.0, 0.0, 2.5), orthographic=True)
    light = FLAT

    def __init__(self, scalars, range):
        super().__init__()
        self.scalars, self.range = np.float32(scalars), range

    def setup(self, gpu):
        n = len(self.scalars)
        x0 = np.linspace(-1.0, 1.0, n + 1)[:-1]
        quads = [[[x, -0.5, 0], [x + 2 / n, -0.5, 0], [x + 2 / n, 0.5, 0], [x, 0.5, 0]] for x in x0]
        indices = np.uint32([[4 * q, 4 * q + 1, 4 * q + 2, 4 * q, 4 * q + 2, 4 * q + 3] for q in range(n)])
        self.draw = gpu.mesh(
            gpu.array("positions", element_shape=(3,), data=np.float32(quads).reshape(-1, 3)),
            gpu.array("normals", element_shape=(3,), data=np.tile(np.float32([0, 0, 1]), (4 * n, 1))),
            gpu.array("indices", dtype=np.uint32, usage=("index",), data=indices.ravel()),
            scalars=gpu.array("scalars", data=np.repeat(self.scalars, 4)),
            colormap="viridis",
            range=self.range,
        )

    def update(self, frame, dt, input):
        pass


def _setup_error(make) -> str:
    """The SceneError of a scene whose setup does `make(gpu)`."""

    class Mistaken(Scene):
        name = "mistaken"

        def setup(self, gpu):
            make(gpu)

        def update(self, frame, dt, input):
            pass

    with pytest.raises(SceneError) as info:
        HeadlessRenderer(Mistaken(), 16, 16)
    return str(info.value)


# -- 1: colormap ranges near float32's limit


@pytest.mark.parametrize("value_range", [WIDE, "auto"])
def test_a_range_as_wide_as_float32_maps_scalars_across_the_table(value_range):
    k = np.array([0, 64, 128, 191, 255])
    scalars = np.float32(WIDE[0] + k / 255 * (WIDE[1] - WIDE[0]))
    with HeadlessRenderer(Strip(scalars, value_range), 40, 40) as r:  # 2 units tall: a quad is 8 px wide
        pixels = r.render(1)[20, 4::8, :3].astype(int)
    expected = np.round(colormaps.sample("viridis", scalars, *WIDE) * 255).astype(int)
    assert np.abs(pixels - expected).max() <= 1  # the quads' colours, as the host maps them
    assert np.abs(expected - np.round(colormaps.table("viridis")[k] * 255)).max() <= 1  # entry k each


@pytest.mark.parametrize("value_range", [(0, 3.4e38 * 1.5), (-(10**400), 0), (0, 10**400)])
def test_a_range_beyond_float32_is_refused(value_range):
    with pytest.raises(ArgumentError, match="colormap range"):
        colormaps.check_range(value_range)
    with pytest.raises(ArgumentError, match="colormap range"):
        colormaps.sample("viridis", [0.0], *value_range)
    message = _setup_error(
        lambda g: g.particles(g.array("p", 4, element_shape=(3,)), scalars=g.array("s", 4), range=value_range)
    )
    assert "colormap range" in message


# -- 2: colormaps.sample and colorbar


def test_sample_maps_nan_and_an_empty_range_as_the_gpu_does():
    entries = colormaps.table("viridis")
    nan, low, high = colormaps.sample("viridis", [np.nan, -np.inf, np.inf], 0.0, 1.0)
    assert np.array_equal(nan, entries[0]) and np.array_equal(low, entries[0])  # colormap.comp: NaN t is 0
    assert np.array_equal(high, entries[255])
    middle = (entries[127] + entries[128]) / 2  # t = 0.5 where not lo < hi: "auto" over equal scalars
    for lo, hi in ((1.0, 1.0), (2.0, 1.0)):
        assert np.allclose(colormaps.sample("viridis", [0.0, 1.0, np.nan], lo, hi), middle)


@pytest.mark.parametrize(
    "args, expected",
    [
        (([1.0], "a", 1), "lo and hi must be finite numbers"),
        (([1.0], 0, float("nan")), "lo and hi must be finite numbers"),
        (([1.0], True, 2), "lo and hi must be finite numbers"),
        (([1.0], 0, 1e39), "lo and hi must be finite numbers"),
        ((["x"], 0, 1), "scalars must be numbers"),
        ((["1"], 0, 1), "scalars must be numbers"),
        (([None], 0, 1), "scalars must be numbers"),
        ((np.array([1.0, 2.0], object), 0, 1), "scalars must be numbers"),
    ],
)
def test_sample_refuses_bad_arguments(args, expected):
    with pytest.raises(ArgumentError, match=expected):
        colormaps.sample("viridis", *args)


@pytest.mark.parametrize(
    "args, expected",
    [
        ((10**11, 1), "colorbar width must be at most 16384"),
        ((2**63, 1), "colorbar width must be at most 16384"),
        ((4, colormaps.MAX_COLORBAR + 1), "colorbar height must be at most 16384"),
        ((0, 4), "colorbar width must be a whole number of at least 1"),
        ((4.0, 4), "colorbar width must be a whole number"),
        ((4, "4"), "colorbar height must be a whole number"),
        ((4, 4, "yes"), "colorbar vertical must be True or False"),
        ((4, 4, 1), "colorbar vertical must be True or False"),
    ],
)
def test_colorbar_refuses_bad_arguments(args, expected):
    with pytest.raises(ArgumentError, match=expected):
        colormaps.colorbar("viridis", *args)


def test_colorbar_takes_numpy_sizes_up_to_the_maximum():
    assert colormaps.colorbar("viridis", np.int64(colormaps.MAX_COLORBAR), 1, np.True_).shape == (1, 16384, 4)


# -- 3 and 5: scene parameters


class Knobs(Scene):
    name = "knobs"
    params = {
        "count": Param(10, 1, 1_000_000, "a count"),
        "free": Param(3, help="an unbounded count"),
        "radius": Param(0.5, 0.0, 1.0, "a radius"),
        "tint": Param((1.0, 0.5, 0.0), help="a colour"),
        "mode": Param("smooth", choices=("smooth", "sharp"), help="a choice"),
    }


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"count": 10**400}, "parameter count=1000"),
        ({"free": 10**400}, "must be finite: a whole number"),
        ({"free": -(10**400)}, "must be finite: a whole number"),
        ({"radius": 10**400}, "must be finite: a number in 0.0..1.0"),
        ({"tint": (0, 0, 10**400)}, "must be an RGB colour"),
        ({"mode": np.array(["smooth", "sharp"])}, "must be one of 'smooth', 'sharp'"),
        ({"tint": np.float32(1.0)}, "must be an RGB colour"),
    ],
)
def test_huge_and_odd_parameter_values_are_param_errors(values, expected):
    with pytest.raises(ParamError, match=expected):
        Knobs(**values)


def test_huge_parameter_text_is_a_param_error():
    with pytest.raises(ParamError, match="must be finite"):
        Knobs.parse_params({"count": "9" * 400})
    with pytest.raises(ParamError, match="must be finite"):
        Knobs.parse_params({"radius": "9" * 400})


@pytest.mark.parametrize(
    "texts, expected",
    [
        ({"count": 5}, "parameter count=5 must be given as text"),
        ({"count": None}, "parameter count=None must be given as text"),
        ({"tint": (1, 0, 0)}, "parameter tint=\\(1, 0, 0\\) must be given as text"),
        ([("count", "5")], "parse_params takes a dict of {name: text}"),
        ("count=5", "parse_params takes a dict of {name: text}"),
        ({5: "5"}, "parse_params takes a dict of {name: text}"),
    ],
)
def test_parse_params_refuses_values_that_are_not_text(texts, expected):
    with pytest.raises(ParamError, match=expected):
        Knobs.parse_params(texts)


@pytest.mark.parametrize(
    "param, expected",
    [
        (Param(default=10**400), "its default 1000"),
        (
            Param(default=1, low=0, high=10**400),
            "high must be a number or None, not 1000.*within float's range",
        ),
        (Param(default=1, low=-(10**400)), "low must be a number or None, not -1000.*within float's range"),
        (Param(default=1.0, low=np.array([0.0])), "low must be a number"),
        (Param(default=(0, 0, 10**400)), "must be an RGB colour"),
        (Param(np.array([1, 2]), choices=(np.array([1, 2]),)), "choices must be strings, numbers or bools"),
        (Param([1], choices=([1], [2])), "choices must be strings, numbers or bools"),
    ],
)
def test_parameter_declarations_with_odd_values_are_refused(param, expected):
    with pytest.raises(SceneError, match=expected):
        type("Declared", (Scene,), {"name": "declared", "params": {"x": param}})


def test_infinite_bounds_still_declare():
    declared = type("Declared", (Scene,), {"name": "declared", "params": {"x": Param(1.0, float("-inf"))}})
    assert declared(x=-1e300).x == -1e300


# -- 4: option values that are no name


@pytest.mark.parametrize(
    "make, expected",
    [
        (
            lambda g: g.image("im", 8, 8, ["rgba8"]),
            "image 'im': format must be 'rgba8', 'r32f' or 'rgba32f', not ['rgba8']",
        ),
        (lambda g: g.image("im", 8, 8, {}), "format must be 'rgba8'"),
        (
            lambda g: g.custom(V, F, [], topology=["triangles"], count=3),
            "topology must be one of ['line_strip', 'lines', 'points', 'triangle_strip', 'triangles'], not ['triangles']",
        ),
        (
            lambda g: g.custom(V, F, [], topology="quads", count=3),
            "topology must be one of ['line_strip', 'lines', 'points', 'triangle_strip', 'triangles'], not 'quads'",
        ),
        (
            lambda g: g.custom(V, F, [], blend=["alpha"], count=3),
            "blend must be None, 'alpha' or 'additive', not ['alpha']",
        ),
        (
            lambda g: g.custom(V, F, [], cull={}, count=3),
            "cull must be one of ['back', 'front', 'none'], not {}",
        ),
        (
            lambda g: g.custom(V, F, [], depth_compare=[], count=3),
            "depth_compare must be one of ['always', 'equal', 'greater'",
        ),
        (
            lambda g: g.instances(["cube"], g.array("p", 4, element_shape=(3,))),
            "instances mesh must be one of",
        ),
        (
            lambda g: g.particles(g.array("p", 4, element_shape=(3,)), scalars=g.array("s", 4), colormap={}),
            "unknown colormap {}",
        ),
    ],
)
def test_unhashable_option_values_are_scene_errors(make, expected):
    assert expected in _setup_error(make)


@pytest.mark.parametrize(
    "option", [{"topology": ["points"]}, {"blend": ["alpha"]}, {"cull": {}}, {"depth_compare": []}]
)
def test_custom_draw_options_below_the_scene_api_refuse_unhashable_values(option):
    given = {
        "vertex_spirv": b"",
        "fragment_spirv": b"",
        "inputs": [],
        "vertex_count": 0,
        "topology": "points",
    }
    with pytest.raises(RendererError, match=f"{next(iter(option))} must be"):
        CustomDraw(None, None, 1, **{**given, **option})  # refused before the device is used


# -- 5: shader text that is not UTF-8


def test_a_lone_surrogate_in_shader_text_is_a_compile_error():
    with pytest.raises(ShaderCompileError, match="failed to compile(.|\n)*character \\d+ \\('\\\\udcff'\\)"):
        compile_scene_shader(V.replace("}", "} // \udcff"), "vert", "scene.py")
    message = _setup_error(lambda g: g.custom(V, F + "// \udcff\n", [], count=3))
    assert "failed to compile" in message and "is not text" in message
