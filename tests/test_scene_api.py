"""The scene API's edges: scenes of installed packages, --new-scene, --list-scenes, and bad scenes that must
get an error naming their file and what to fix (and break nothing else)."""

import textwrap
from pathlib import Path

import pytest

from renderer.app import demo
from renderer.scene import registry

GOOD_SCENE = """
import taichi as ti
from renderer.scene import Scene


@ti.kernel
def place(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1), t: ti.f32):
    for i in pos:
        pos[i] = ti.Vector([i * 0.01 - 0.5, t, 0.0])


class {cls}(Scene):
    name = "{name}"
    description = "a plugin scene for tests"
    kernels = (place,)

    def setup(self, gpu):
        self.positions = gpu.array("positions", (100,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.02)
        self.launch = gpu.kernel("place").bind(self.positions, 0.0)

    def update(self, frame, dt, input):
        self.launch()
"""


def make_distribution(root, name, entry_points: dict[str, str]):
    """A package installed the way pip would leave it: a module and a .dist-info with entry points."""
    dist = root / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = ["[taichi_vulkan_renderer.scenes]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


def test_scenes_of_installed_packages(tmp_path, monkeypatch, capsys):
    (tmp_path / "ripple_pkg.py").write_text(GOOD_SCENE.format(cls="Ripple", name="ripple"))
    (tmp_path / "broken_pkg.py").write_text("raise ImportError('this plugin is broken')\n")
    make_distribution(tmp_path, "ripple_pkg", {"ripple": "ripple_pkg:Ripple", "broken": "broken_pkg:Nothing"})
    monkeypatch.syspath_prepend(str(tmp_path))
    found, problems = registry.plugin_scenes()
    assert found["ripple"].__name__ == "Ripple"
    assert len(problems) == 1 and "broken" in problems[0] and "this plugin is broken" in problems[0]
    assert demo.main(["--list-scenes"]) == 0
    out = capsys.readouterr().out
    assert "ripple" in out and "a plugin scene for tests" in out and "error: entry point 'broken'" in out
    assert "galaxies" in out and "particles" in out
    assert (
        demo.main(
            [
                "--headless",
                "--scene",
                "ripple",
                "--frames",
                "2",
                "--size",
                "32x32",
                "--out",
                str(tmp_path / "out"),
                "--validate",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "out" / "ripple").glob("*.png"))) == 2


def test_new_scene_writes_a_working_scene(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert demo.main(["--new-scene", "my-waves"]) == 0
    path = tmp_path / "my_waves.py"
    assert path.exists() and str(path) in capsys.readouterr().out
    assert (
        demo.main(
            [
                "--headless",
                "--scene",
                str(path),
                "--frames",
                "3",
                "--size",
                "64x48",
                "--out",
                str(tmp_path / "out"),
                "--validate",
                "--param",
                "count=900",
            ]
        )
        == 0
    )
    assert demo.main(["--new-scene", "my-waves"]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert demo.main(["--new-scene", "9 bad name"]) == 2


BAD_SCENES = {
    "no scene class": ("import taichi as ti\n", "exactly one Scene subclass"),
    "no setup": (
        "from renderer.scene import Scene\n\nclass NoSetup(Scene):\n    name = 'nosetup'\n",
        "defines no setup(gpu)",
    ),
    "misspelt kernel": (
        GOOD_SCENE.format(cls="Misspelt", name="misspelt").replace(
            'gpu.kernel("place")', 'gpu.kernel("plcae")'
        ),
        "has no kernel 'plcae'",
    ),
    "wrong dtype": (
        GOOD_SCENE.format(cls="WrongDtype", name="wrongdtype").replace(
            'gpu.kernel("place").bind(self.positions, 0.0)',
            'gpu.kernel("place").bind(gpu.array("ints", (100,), dtype="int32", element_shape=(3,)), 0.0)',
        ),
        "has dtype int32, the kernel wants float32",
    ),
    "kernel does not compile": (
        GOOD_SCENE.format(cls="NoCompile", name="nocompile").replace("t, 0.0]", "t, undefined_name]"),
        "undefined_name",
    ),
    "import error": ("import no_such_module_for_tests\n", "No module named 'no_such_module_for_tests'"),
}


CUSTOM_SCENE = (Path(__file__).parent / "custom_scene.py").read_text()
BAD_SCENES["shader does not compile"] = (
    CUSTOM_SCENE.replace("out_color = v_tint;", "out_color = v_tint * brightness;"),
    "(fragment shader):5: error: 'brightness' : undeclared identifier",
)


@pytest.mark.parametrize("case", sorted(BAD_SCENES))
def test_bad_scene_gets_an_error_naming_its_file(case, tmp_path, capsys):
    source, expected = BAD_SCENES[case]
    path = tmp_path / "bad_scene.py"
    path.write_text(textwrap.dedent(source))
    code = demo.main(
        [
            "--headless",
            "--scene",
            str(path),
            "--frames",
            "2",
            "--size",
            "32x32",
            "--out",
            str(tmp_path / "out"),
            "--validate",
        ]
    )
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert str(path) in err and expected in err, err
    assert "Traceback" not in err  # a clear message, not a crash
    # nothing else broke: a good scene still renders in the same process
    assert (
        demo.main(
            [
                "--headless",
                "--frames",
                "1",
                "--size",
                "32x32",
                "--out",
                str(tmp_path / "ok"),
                "--param",
                "count=100",
            ]
        )
        == 0
    )


def test_scene_with_its_own_shaders_and_lines():
    from renderer import testing
    from tests.custom_scene import Custom

    pixels, _ = testing.render_scene(Custom(), 2, size=(128, 128))
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 50)
    green = (pixels[..., 1] > 200) & (pixels[..., 0] < 50)
    blue = (pixels[..., 2] > 200) & (pixels[..., 0] < 50) & (pixels[..., 1] < 50)
    # y points down the image: the ring's upper half (first 32 points, y > 0) is red, its lower half green
    assert red[:64].sum() > 20 and green[64:].sum() > 20, (red.sum(), green.sum())
    assert blue.sum() > 100  # the line strip joining the points


@pytest.mark.parametrize(
    "method, message",
    [
        ("def update(self, frame, dt, input):\n    yield", "update must be a plain method"),
        ("async def update(self, frame, dt, input):\n    pass", "update must be a plain method"),
        (
            "def update(self, frame, dt):\n    pass",
            r"update must take its arguments as def update\(self, frame, dt, input\)",
        ),
        ("update = 5", "update must be a plain method"),
        ("def setup(self):\n    pass", r"setup must take its arguments as def setup\(self, gpu\)"),
        ("async def setup(self, gpu):\n    pass", "setup must be a plain method"),
    ],
)
def test_setup_and_update_the_frame_loop_cannot_call_are_refused_with_the_class(method, message):
    """A stray `yield` in update drew a frozen scene with no error; a missing `input` was a TypeError of the
    framework's call."""
    from renderer.scene import Scene, SceneError

    namespace: dict = {"Scene": Scene}
    body = "\n".join("    " + line for line in method.splitlines())
    with pytest.raises(SceneError, match=rf"scene 'mistaken': {message}"):
        exec(f"class Mistaken(Scene):\n    name = 'mistaken'\n{body}\n", namespace)
