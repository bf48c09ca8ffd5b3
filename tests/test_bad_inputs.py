"""Bad input at every boundary gets one typed error naming what was wrong, never a raw traceback.

From the command line: exit status 2 and argparse's usage for a bad command-line value, 1 for a scene's
mistake, one message on stderr, and nothing written (no out/ folder) for a run refused. From the library:
ParamError / SceneError / SceneNotFoundError / ArgumentError with the same naming. Most command-line cases run
in this process (demo.main, which fails before any device starts); a few run as real processes to check the
exit status, the stderr and the files a user sees.
"""

import importlib.util
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from renderer.app import demo
from renderer.errors import ArgumentError
from renderer.scene import registry, template
from renderer.scene.api import (
    KernelDebugWarning,
    Param,
    ParamError,
    Scene,
    SceneError,
    check_kernels,
    warn_of_dropped_debug,
)
from renderer.scene.registry import SceneNotFoundError

ROOT = Path(__file__).resolve().parent.parent
TRACEBACK = "Traceback (most recent call last)"

GOOD = """
import taichi as ti
from renderer.scene import Param, Scene


@ti.kernel
def place(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), t: ti.f32):
    for i in pos:
        pos[i] = ti.Vector([i * 0.01 - 0.5, t, 0.0])


class Good(Scene):
    name = "good"
    kernels = (place,)
    params = {PARAMS}

    def setup(self, gpu):
        self.positions = gpu.array("positions", (100,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.02)
        self.launch = gpu.kernel("place").bind(self.positions, 0.0)

    def update(self, frame, dt, input):
        self.launch()
"""


def scene_source(params: str = '{"count": Param(10, 1, 1000, "points")}', **replace) -> str:
    source = GOOD.replace("{PARAMS}", params)
    for old, new in replace.items():
        assert old in source, old
        source = source.replace(old, new)
    return source


# a kernel `fill` of its own, and tests/kernels_src.py's `fill` under another name: one compiled module
# cannot hold both
TWO_KERNELS_OF_ONE_NAME = scene_source(
    **{
        "from renderer.scene import Param, Scene": "from renderer.scene import Param, Scene\n"
        "from tests.kernels_src import fill as imported_fill",
        "class Good(Scene):": "@ti.kernel\ndef fill(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1)):\n"
        "    pass\n\n\nclass Good(Scene):",
        "kernels = (place,)": "kernels = (place, imported_fill, fill)",
    }
)
# the name `place` is defined again below the first: the compiler would find the second
REDEFINED = scene_source(
    **{
        "class Good(Scene):": "first_place = place\n\n\n@ti.kernel\ndef place(pos: ti.types.ndarray(dtype="
        "ti.math.vec3, ndim=1)):\n    pass\n\n\nclass Good(Scene):",
        "kernels = (place,)": "kernels = (first_place,)",
    }
)
INT64_ARGUMENT = scene_source(
    **{"t: ti.f32)": "t: ti.i64)", ".bind(self.positions, 0.0)": ".bind(self.positions, 0)"}
)

# scene files whose mistakes the command line reports with exit status 1: (source, text in the message)
BAD_SCENE_FILES = {
    "syntax error": ("class Broken(:\n", ":1: the scene file has a syntax error"),
    "no scene class": ("import math\n", "exactly one Scene subclass with a `name`; found none"),
    "two scene classes": (
        scene_source() + "\n\nclass Second(Good):\n    name = 'second'\n",
        "exactly one Scene subclass with a `name`; found ['Good', 'Second']",
    ),
    "exits on import": ("import sys\nsys.exit(3)\n", "failed to import (line 2): SystemExit: 3"),
    "raises on import": ("x = 1 / 0\n", "failed to import (line 1): ZeroDivisionError: division by zero"),
    "two kernels of one name": (TWO_KERNELS_OF_ONE_NAME, "lists two kernels named 'fill'"),
    "the same kernel twice": (scene_source(**{"(place,)": "(place, place)"}), "lists 'place' twice"),
    "kernel redefined": (REDEFINED, "kernel 'place'"),
    "kernels not a tuple": (scene_source(**{"(place,)": "(place)"}), "`kernels = (step,)`, with the comma"),
    "not a kernel": (scene_source(**{"(place,)": "(print,)"}), "which is not a @ti.kernel function"),
    "default above high": (
        scene_source('{"count": Param(5000, 1, 1000)}'),
        "default 5000 is outside 1..1000",
    ),
    "low above high": (scene_source('{"count": Param(10, 100, 1)}'), "low 100 is above high 1"),
    "colour default of 2": (scene_source('{"tint": Param((1.0, 0.5))}'), "is none of the kinds"),
    "colour default above 1": (scene_source('{"tint": Param((1.0, 0.5, 2.0))}'), "must be an RGB colour"),
    "colour with bounds": (
        scene_source('{"tint": Param((1.0, 0.5, 0.0), 0, 1)}'),
        "a color parameter takes none",
    ),
    "choice not in choices": (
        scene_source('{"mode": Param("fast", choices=("slow", "smooth"))}'),
        "default 'fast' must be one of 'slow', 'smooth'",
    ),
    "param not a Param": (scene_source('{"count": 100}'), "params['count'] is 100, not a Param"),
    "param hides a method": (scene_source('{"update": Param(1)}'), "parameter 'update' would hide"),
    "bad scene name": (scene_source(**{'name = "good"': 'name = "../good"'}), "name must be"),
    "bad background": (
        scene_source(**{"kernels = (place,)": "kernels = (place,)\n    background = (2, 0, 0)"}),
        "background must be",
    ),
}


def run_main(argv, capsys):
    """demo.main in this process: (exit status, stderr)."""
    try:
        code = demo.main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


# --------------------------------------------------------------------------------------------------------------
# The command line, in this process: (arguments, exit status, text on stderr); {tmp} is a scratch folder with a
# file `afile`, {scene:NAME} a scene file of BAD_SCENE_FILES.

CLI_CASES = [
    # sizes and counts
    (["--size", "12"], 2, "argument --size: size must look like 1280x720"),
    (["--size", "0x10"], 2, "size must be 1..16384 on each side"),
    (["--size", "64x48x3"], 2, "size must look like 1280x720"),
    (["--size", "20000x10"], 2, "size must be 1..16384"),
    (["--frames", "0"], 2, "argument --frames: must be at least 1, not '0'"),
    (["--frames", "-3"], 2, "argument --frames: must be at least 1"),
    (["--frames", "2.5"], 2, "argument --frames: must be a whole number of at least 1, not '2.5'"),
    (["--frames", "many"], 2, "argument --frames: must be a whole number"),
    (["--frames", "nan"], 2, "argument --frames: must be a whole number"),
    (["--every", "0"], 2, "argument --every: must be at least 1, not '0'"),
    (["--every", "1.5"], 2, "argument --every: must be a whole number"),
    (["--dt", "0"], 2, "argument --dt: must be a positive, finite number of seconds"),
    (["--dt", "-0.1"], 2, "argument --dt: must be a positive"),
    (["--dt", "nan"], 2, "argument --dt: must be a positive, finite"),
    (["--dt", "inf"], 2, "argument --dt: must be a positive, finite"),
    (["--dt", "1/60"], 2, "argument --dt: must be a number of seconds"),
    # where things are written
    (["--out", "{tmp}/afile"], 2, "argument --out: {tmp}/afile is a file, not a folder"),
    (["--out", "{tmp}/afile/frames"], 2, "cannot be made: {tmp}/afile is a file, not a folder"),
    (["--out", ""], 2, "argument --out: must be a folder's path, not empty"),
    (
        ["--out", "{tmp}/outdir", "--scene", "{scene:particles-file}"],
        2,
        "outdir/good is a file, not a folder",
    ),
    (["--frame-log", "{tmp}/afile/log.csv"], 2, "argument --frame-log: {tmp}/afile is a file"),
    (["--frame-log", "{tmp}"], 2, "argument --frame-log: must be a file's path"),
    (["--device", ""], 2, "argument --device: must be part of a device's name"),
    # the scene
    (["--scene", "no-such-scene"], 2, "argument --scene: no scene named 'no-such-scene'; built-in scenes:"),
    (["--scene", ""], 2, "no scene named ''"),
    (["--scene", "/etc/passwd"], 2, "argument --scene: /etc/passwd is not a Python file"),
    (["--scene", "{tmp}"], 2, "is a folder, not a scene file"),
    (["--scene", "{tmp}/missing.py"], 2, "argument --scene: no scene file at {tmp}/missing.py"),
    (["--scene", "{tmp}/afile"], 2, "afile is not a Python file"),
    (["--list-scenes", "--scene", "/etc/passwd"], 2, "/etc/passwd is not a Python file"),
    # scene parameters: one kind each (count: int 1..100000000, radius: float, color: colour)
    (["--param", "count"], 2, "argument --param: a scene parameter looks like name=value"),
    (["--param", "=3"], 2, "a scene parameter looks like name=value"),
    (["--param", "9lives=3"], 2, "a scene parameter looks like name=value"),
    (
        ["--param", "count=2.5"],
        2,
        "parameter count=2.5 must be a whole number in 1..100000000 (never rounded",
    ),
    (["--param", "count=0"], 2, "parameter count=0 is outside 1..100000000"),
    (["--param", "count=1e12"], 2, "parameter count=1000000000000 is outside 1..100000000"),
    (["--param", "count=nan"], 2, "parameter count=nan must be finite"),
    (["--param", "count=lots"], 2, "parameter count='lots' must be a whole number in 1..100000000"),
    (["--param", "count="], 2, "parameter count='' must be a whole number"),
    (["--param", "count=True"], 2, "parameter count='True' must be a whole number"),
    (["--param", "radius=inf"], 2, "parameter radius=inf must be finite: a number in 0.0001..0.1"),
    (["--param", "radius=-1"], 2, "parameter radius=-1.0 is outside 0.0001..0.1"),
    (["--param", "color=red"], 2, "parameter color='red' must be an RGB colour: three numbers in 0..1"),
    (["--param", "color=1,0"], 2, "parameter color='1,0' must be an RGB colour"),
    (["--param", "color=1,0,2"], 2, "parameter color=(1.0, 0.0, 2.0) must be an RGB colour"),
    (["--param", "color=#12345"], 2, "parameter color='#12345' must be an RGB colour"),
    (["--param", "color=nan,0,0"], 2, "must be an RGB colour"),
    (["--param", "colour=1,0,0"], 2, "scene 'particles' has no parameter colour; its parameters: count"),
    (
        ["--param", "count=10", "--param", "count=20"],
        2,
        "argument --param: count is given twice ('10' and '20')",
    ),
    # --new-scene names
    (["--new-scene", "9 bad name"], 2, "argument --new-scene: a scene name is a letter then"),
    (["--new-scene", "x" * 65], 2, "at most 64"),
    (["--new-scene", "taichi"], 2, "would be written as taichi.py"),
    (["--new-scene", "json"], 2, "would be written as json.py"),
    (["--new-scene", "class"], 2, "the name of a Python keyword"),
    (["--new-scene", "afile-exists"], 2, "afile_exists.py already exists"),
]
CLI_CASES += [
    (["--scene", "{scene:" + name + "}"], 1, expected) for name, (_, expected) in BAD_SCENE_FILES.items()
]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working folder holding a file, a scene file per bad scene; the command runs there (default out/)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a folder\n")
    (tmp_path / "afile_exists.py").write_text("# a file --new-scene must not overwrite\n")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "good").write_text("a file where the scene's folder would go\n")
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for i, (source, _) in enumerate(BAD_SCENE_FILES.values()):
        (scenes / f"bad_{i}.py").write_text(textwrap.dedent(source))
    (scenes / "good.py").write_text(scene_source())
    return tmp_path


def fill_in(text: str, tmp: Path) -> str:
    names = list(BAD_SCENE_FILES)
    for i, name in enumerate(names):
        text = text.replace("{scene:" + name + "}", str(tmp / "scenes" / f"bad_{i}.py"))
    return text.replace("{scene:particles-file}", str(tmp / "scenes" / "good.py")).replace("{tmp}", str(tmp))


def listing(folder: Path) -> set:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("argv, status, expected", CLI_CASES, ids=[" ".join(c[0])[:60] for c in CLI_CASES])
def test_bad_command_line_value(scratch, capsys, argv, status, expected):
    before = listing(scratch)
    code, err = run_main(["--headless", *(fill_in(a, scratch) for a in argv)], capsys)
    assert code == status, err
    assert fill_in(expected, scratch) in err, err
    assert TRACEBACK not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    if status == 2:  # argparse's style: the usage, then one line "<prog>: error: argument ...: what"
        assert err.startswith("usage: python3 run_demo.py [-h]"), err
        assert [line for line in lines if "error" in line] == [lines[-1]], err
        assert lines[-1].startswith("python3 run_demo.py: error: ")
    else:  # one line
        assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert listing(scratch) == before  # nothing written: no out/ folder, no new file


def test_bad_inputs_cover_at_least_forty_cases():
    assert len(CLI_CASES) >= 40


# --------------------------------------------------------------------------------------------------------------
# The command line as users run it: real processes


def run(args, cwd, module=False):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "renderer"] if module else [sys.executable, str(ROOT / "run_demo.py")]
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "module, args, status, expected",
    [
        (
            True,
            ["--scene", "/etc/passwd"],
            2,
            "-m renderer: error: argument --scene: /etc/passwd is not a Python",
        ),
        (False, ["--every", "0"], 2, "run_demo.py: error: argument --every: must be at least 1"),
        (False, ["--out", "{tmp}/afile/x"], 2, "argument --out: {tmp}/afile/x cannot be made"),
        (True, ["--scene", "{scene:syntax error}"], 1, ":1: the scene file has a syntax error"),
        (False, ["--scene", "{scene:two kernels of one name}"], 1, "lists two kernels named 'fill'"),
        (True, ["--param", "count=2.5"], 2, "parameter count=2.5 must be a whole number"),
    ],
)
def test_bad_input_in_a_real_process(scratch, module, args, status, expected):
    before = listing(scratch)
    proc = run(["--headless", *(fill_in(a, scratch) for a in args)], scratch, module)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}"
    assert proc.returncode == status, proc.stderr
    assert fill_in(expected, scratch) in proc.stderr
    assert TRACEBACK not in proc.stderr
    assert proc.stdout == ""
    assert listing(scratch) == before


def test_failures_after_the_device_started_leave_no_output_folder(scratch, capsys):
    """A device name that matches none is a bad command-line value found once the devices are known (2); a
    scene that binds a kernel argument the launch cannot take fails its setup (1). Neither leaves out/."""
    before = listing(scratch)
    code, err = run_main(
        ["--headless", "--frames", "1", "--size", "16x16", "--device", "no-such-gpu"], capsys
    )
    assert code == 2 and "no Vulkan device named like 'no-such-gpu'; devices here:" in err, err
    assert TRACEBACK not in err and listing(scratch) == before
    scene = scratch / "scenes" / "int64_argument.py"
    scene.write_text(INT64_ARGUMENT)
    before = listing(scratch)
    code, err = run_main(["--headless", "--frames", "1", "--size", "16x16", "--scene", str(scene)], capsys)
    assert code == 1, err
    assert "argument 't' (scalar int64): Taichi's C API cannot pass a scalar of type int64" in err, err
    assert "declare it ti.i32" in err and TRACEBACK not in err
    assert listing(scratch) == before


# --------------------------------------------------------------------------------------------------------------
# The library: parameters


class Knobs(Scene):
    name = "knobs"
    params = {
        "count": Param(10, 1, 1_000_000, "a count"),
        "speed": Param(1.0, 0.0, 10.0, "a speed"),
        "free": Param(0.5, help="unbounded"),
        "enabled": Param(True, help="a switch"),
        "tint": Param((1.0, 0.5, 0.0), help="a colour"),
        "mode": Param("smooth", choices=("smooth", "sharp"), help="a choice"),
        "level": Param(2, choices=(1, 2, 4), help="a numeric choice"),
    }


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"count": 2.5}, "parameter count=2.5 must be a whole number in 1..1000000 (never rounded"),
        ({"count": 0}, "parameter count=0 is outside 1..1000000"),
        ({"count": 10**12}, "parameter count=1000000000000 is outside 1..1000000"),
        ({"count": math.nan}, "parameter count=nan must be finite"),
        ({"count": True}, "parameter count=True must be a whole number"),
        ({"count": "10"}, "parameter count='10' must be a whole number"),
        ({"speed": math.inf}, "parameter speed=inf must be finite"),
        ({"speed": -0.5}, "parameter speed=-0.5 is outside 0.0..10.0"),
        ({"free": math.nan}, "parameter free=nan must be finite: a number"),
        ({"free": None}, "parameter free=None must be a number"),
        ({"enabled": 1}, "parameter enabled=1 must be True or False"),
        ({"enabled": "yes"}, "parameter enabled='yes' must be True or False"),
        ({"tint": (1.0, 0.5)}, "must be an RGB colour: three numbers in 0..1"),
        ({"tint": (1.0, 0.5, 1.5)}, "must be an RGB colour"),
        ({"tint": (1.0, math.nan, 0.0)}, "must be an RGB colour"),
        ({"tint": "orange"}, "must be an RGB colour"),
        ({"tint": (True, False, False)}, "must be an RGB colour"),
        ({"mode": "blurry"}, "parameter mode='blurry' must be one of 'smooth', 'sharp'"),
        ({"level": 3}, "parameter level=3 must be one of 1, 2, 4"),
        ({"level": True}, "parameter level=True must be one of 1, 2, 4"),
        ({"counts": 3}, "scene 'knobs' has no parameter counts; its parameters: count (default 10)"),
    ],
)
def test_bad_parameter_value_is_a_param_error(values, expected):
    with pytest.raises(ParamError) as info:
        Knobs(**values)
    assert expected in str(info.value)
    assert "scene 'knobs'" in str(info.value)


def test_good_parameter_values_arrive_as_their_kind():
    knobs = Knobs(count=3.0, speed=2, tint=[0, 1, 0.5], enabled=False, mode="sharp", level=4)
    assert knobs.count == 3 and isinstance(knobs.count, int)
    assert knobs.speed == 2.0 and isinstance(knobs.speed, float)
    assert knobs.tint == (0.0, 1.0, 0.5) and knobs.enabled is False and knobs.mode == "sharp"
    parsed = Knobs.parse_params(
        {"count": "1e3", "speed": "0.5", "enabled": "no", "tint": "#ff8000", "mode": "sharp", "level": "4"}
    )
    assert parsed == {
        "count": 1000,
        "speed": 0.5,
        "enabled": False,
        "tint": (1.0, 128 / 255, 0.0),
        "mode": "sharp",
        "level": 4,
    }
    assert Knobs.parse_params({"tint": "(1, 0.5, 0)"})["tint"] == (1.0, 0.5, 0.0)
    with pytest.raises(ParamError, match="parameter enabled='maybe' must be true or false"):
        Knobs.parse_params({"enabled": "maybe"})


@pytest.mark.parametrize(
    "param, expected",
    [
        (Param(0, 1, 10), "its default 0 is outside 1..10"),
        (Param(5, 10, 1), "low 10 is above high 1"),
        (Param(5, math.nan, 10), "low must be a number or None, not nan"),
        (Param(5, "1", 10), "low must be a number or None"),
        (Param(math.inf), "its default inf must be finite"),
        (Param((0.5, 0.5, 1.2)), "its default (0.5, 0.5, 1.2) must be an RGB colour"),
        (Param((0.5, 0.5, 0.5, 1.0)), "is none of the kinds a parameter can have"),
        (Param((0.5, 0.5, 0.5), 0, 1), "a color parameter takes none"),
        (Param(True, 0, 1), "a bool parameter takes none"),
        (Param(None), "is none of the kinds"),
        (Param("a", choices=()), "choices must be a non-empty tuple"),
        (Param("a", choices=("b", "c")), "its default 'a' must be one of 'b', 'c'"),
        (Param(1, help=3), "help must be a string"),
    ],
)
def test_bad_parameter_declaration_is_refused_when_the_class_is_defined(param, expected):
    with pytest.raises(SceneError) as info:
        type("Declared", (Scene,), {"name": "declared", "params": {"p": param}})
    assert "scene 'declared': parameter 'p'" in str(info.value) and expected in str(info.value)


# --------------------------------------------------------------------------------------------------------------
# The library: kernels, scene files, new scenes


def test_kernel_redefined_after_the_scene_class_is_refused_when_loaded(tmp_path, monkeypatch):
    """The class was fine when defined; then its kernel's name was bound to another kernel, which the compiler
    (finding kernels by module and name) would have compiled instead."""
    path = tmp_path / "late.py"
    path.write_text(
        scene_source()
        + "\n\n@ti.kernel\ndef place(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1)):\n    pass\n"
    )
    cls = registry.load_scene_file(path)
    with pytest.raises(SceneError) as info:
        check_kernels(cls.name, cls.kernels)
    text = str(info.value)
    assert "kernel 'place'" in text and "redefined at" in text and "give each kernel its own name" in text


def test_kernel_of_more_arguments_than_a_launch_takes_is_refused_when_the_class_is_defined(tmp_path):
    """Taichi's ti_launch_kernel takes at most 64 arguments: 65 were refused only at the first frame's launch."""
    params = ", ".join(f"a{i}: ti.f32" for i in range(64))
    path = tmp_path / "wide_kernels.py"
    path.write_text(
        "import taichi as ti\n\n\n@ti.kernel\n"
        f"def wide(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), {params}):\n    pass\n\n\n"
        f"@ti.kernel\ndef widest_allowed({params}):\n    pass\n"
    )
    spec = importlib.util.spec_from_file_location("wide_kernels", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["wide_kernels"] = module
    try:
        spec.loader.exec_module(module)
        check_kernels("s", (module.widest_allowed,))
        with pytest.raises(
            SceneError, match="kernel 'wide' .* takes 65 arguments; Taichi launches kernels of at most 64"
        ):
            check_kernels("s", (module.wide,))
    finally:
        del sys.modules["wide_kernels"]


def test_print_and_assert_in_a_kernel_warn_once_that_they_are_dropped(tmp_path):
    """Kernels run through Taichi's C API print nothing and check nothing: loading one that uses print or
    assert, itself or in the ti.funcs it calls, says so, once a process; a kernel without them says nothing."""
    path = tmp_path / "debugging_kernels.py"
    path.write_text(
        "import taichi as ti\n\n\n@ti.kernel\ndef chatty(t: ti.f32):\n    print('t', t)\n    assert t < 1\n\n\n"
        "@ti.kernel\ndef quiet(t: ti.f32):\n    pass\n\n\n"
        "@ti.func\ndef checks(t):\n    assert t < 1\n    return t\n\n\n"
        "@ti.func\ndef calls_checks(t):\n    return checks(t) + 1\n\n\n"
        "@ti.kernel\ndef through_funcs(t: ti.f32):\n    x = calls_checks(t)\n"
    )
    spec = importlib.util.spec_from_file_location("debugging_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.warns(KernelDebugWarning, match=r"kernel 'chatty' uses assert and print\(\)") as info:
        warn_of_dropped_debug("s", (module.chatty, module.quiet))
    assert info[0].filename == str(path) and info[0].lineno == 4  # where the kernel is
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_of_dropped_debug("s", (module.chatty, module.quiet))  # once a process
    with pytest.warns(KernelDebugWarning, match=r"kernel 'through_funcs' uses assert,"):
        warn_of_dropped_debug("s", (module.through_funcs,))  # in a ti.func a ti.func it calls calls


def test_kernel_defined_inside_a_function_is_refused():
    import taichi as ti

    @ti.kernel
    def local(x: ti.f32):
        pass

    with pytest.raises(SceneError, match="kernel 'local' .* is defined inside a function or class"):
        check_kernels("s", (local,))


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "missing.py", "no scene file at"),
        (lambda d: d, "is a folder, not a scene file"),
        (lambda d: Path("/etc/passwd"), "/etc/passwd is not a Python file"),
    ],
)
def test_scene_path_mistakes_are_scene_not_found(tmp_path, make, expected):
    with pytest.raises(SceneNotFoundError, match=expected):
        registry.load_scene_file(make(tmp_path))
    with pytest.raises(SceneNotFoundError, match=expected):
        registry.resolve(str(make(tmp_path)))


def test_scene_file_mistakes_are_scene_errors_naming_the_file_and_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import math\n\n\ndef f(:\n    pass\n")
    with pytest.raises(SceneError) as info:
        registry.load_scene_file(path)
    assert not isinstance(info.value, SceneNotFoundError)
    assert str(info.value).startswith(f"{path.resolve()}:4: the scene file has a syntax error")
    assert "scene_file_broken" not in sys.modules  # a failed load leaves nothing behind


@pytest.mark.parametrize(
    "name, expected",
    [("class", "keyword"), ("numpy", "numpy.py"), ("-x", "a letter then"), ("a b", "a letter")],
)
def test_new_scene_names_that_would_not_work_are_refused(tmp_path, name, expected):
    with pytest.raises(SceneError, match=expected):
        template.write(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------------------
# The library: kernel arguments of every scalar type a module can declare


@pytest.fixture(scope="module")
def scalar_module(kernel_cache):
    from renderer.compute import aot
    from renderer.compute.kernels import AotModule
    from renderer.compute.runtime import TaichiRuntime
    from renderer.device.context import VulkanContext
    from tests import scalar_kernels as sk
    from tests.test_kernels import Resources

    context = VulkanContext(validate=True)
    runtime = TaichiRuntime.import_vulkan(context)
    kernels = (sk.every_scalar, sk.wide_int, sk.wide_float, sk.half_vector, sk.byte_vector, sk.returns)
    module = AotModule(
        runtime,
        aot.compile_kernels([aot.KernelRef.of(k) for k in kernels], context.taichi_capabilities),
        "scalars",
    )
    resources = Resources(context, runtime)
    out = resources.array((16,), np.float32, name="out")
    yield module, runtime, out
    resources.release()
    module.destroy()
    runtime.destroy()
    context.destroy()
    context.validation_log.raise_if_any("during the scalar argument tests")


def test_every_launchable_scalar_type_arrives_unchanged(scalar_module):
    module, runtime, out = scalar_module
    kernel = module.kernel("every_scalar")
    for values in [
        (-128, 255, -32768, 65535, -7, 4_000_000_000, True, 0.5, 2.5),
        (127, 0, 5, 0, 2**31 - 1, 2**32 - 1, 0, -65504.0, -1e30),
    ]:
        kernel.launch(out, *values)
        runtime.wait()
        expected = np.array([float(v) for v in values], np.float32)
        np.testing.assert_array_equal(out.buffer.read(np.float32)[:9], expected)
    module.kernel("half_vector").launch(out, (1.5, -0.25), (3, 4.0))
    runtime.wait()
    np.testing.assert_array_equal(out.buffer.read(np.float32)[:4], [1.5, -0.25, 3.0, 4.0])


GOOD_SCALARS = dict(a=0, b=0, c=0, d=0, e=0, f=0, g=False, h=0.0, k=0.0)


@pytest.mark.parametrize(
    "kernel, change, expected",
    [
        ("every_scalar", {"a": 128}, "argument 'a' (scalar int8): 128 is out of range for int8 (-128..127)"),
        ("every_scalar", {"b": -1}, "argument 'b' (scalar uint8): -1 is out of range for uint8"),
        ("every_scalar", {"d": 70000}, "argument 'd' (scalar uint16): 70000 is out of range"),
        (
            "every_scalar",
            {"e": 2.5},
            "argument 'e' (scalar int32): expected an integer, got 2.5 (never rounded",
        ),
        ("every_scalar", {"f": 2**32}, "argument 'f' (scalar uint32): 4294967296 is out of range"),
        ("every_scalar", {"g": 2}, "argument 'g' (scalar u1 (bool)): expected a bool (or 0 or 1), got int 2"),
        ("every_scalar", {"h": 1e5}, "argument 'h' (scalar float16): 100000.0 is too large for float16"),
        ("every_scalar", {"k": math.nan}, "argument 'k' (scalar float32): expected a finite number, got nan"),
        ("every_scalar", {"k": 1e39}, "argument 'k' (scalar float32): 1e+39 is too large for float32"),
        ("every_scalar", {"k": 10**400}, "argument 'k' (scalar float32): expected a finite number, got inf"),
        ("every_scalar", {"h": -(10**400)}, "argument 'h' (scalar float16): expected a finite number"),
        ("every_scalar", {"k": True}, "argument 'k' (scalar float32): expected a number, got bool True"),
        ("every_scalar", {"e": "3"}, "argument 'e' (scalar int32): expected a number, got str '3'"),
        (
            "wide_int",
            {"a": 1},
            "argument 'a' (scalar int64): Taichi's C API cannot pass a scalar of type int64",
        ),
        (
            "wide_float",
            {"a": 1.0},
            "argument 'a' (scalar float64): Taichi's C API cannot pass a scalar of type",
        ),
        (
            "byte_vector",
            {"v": (1, 2)},
            "argument 'v' (vector of 2 uint8): Taichi's C API passes vector arguments of 16 or 32-bit elements only",
        ),
        ("half_vector", {"w": (1.5, 2)}, "argument 'w' (vector of 2 int32): expected an integer, got 1.5"),
        (
            "half_vector",
            {"v": (1.0, math.inf)},
            "argument 'v' (vector of 2 float16): expected a finite number",
        ),
        (
            "half_vector",
            {"v": (1.0, 2.0, 3.0)},
            "argument 'v' (vector of 2 float16): expected 2 numbers, got 3",
        ),
    ],
)
def test_scalar_argument_the_launch_would_refuse_or_garble_is_refused_at_bind(
    scalar_module, kernel, change, expected
):
    module, _, out = scalar_module
    if kernel == "every_scalar":
        values = {**GOOD_SCALARS, **change}
    elif kernel == "half_vector":
        values = {"v": (1.0, 2.0), "w": (1, 2), **change}
    else:
        values = change
    with pytest.raises(ArgumentError) as info:
        module.kernel(kernel).bind(out, **values)
    assert f"kernel '{kernel}', " + expected in str(info.value)


def test_names_that_are_not_strings_are_no_kernel_nor_argument(scalar_module):
    module, _, out = scalar_module
    for name in (["every_scalar"], None, 3):
        with pytest.raises(ArgumentError, match="has no kernel"):
            module.kernel(name)
    launch = module.kernel("every_scalar").bind(out, **GOOD_SCALARS)
    for name in (["a"], {"a": 1}, None):
        with pytest.raises(ArgumentError, match="has no argument"):
            launch.set(name, 1)


def test_a_kernel_that_returns_a_value_is_refused(scalar_module):
    """Its launches ran and the value was lost, with no error."""
    module, _, _ = scalar_module
    with pytest.raises(
        ArgumentError, match="kernel 'returns' returns a value, which its launches cannot hand back"
    ):
        module.kernel("returns")
