"""Misuse that used to escape as a raw exception from inside the framework, or to do something silently wrong:
each is one typed error naming what was wrong."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from renderer import HeadlessRenderer
from renderer.errors import ArgumentError, RendererError
from renderer.scene.api import SceneError
from tests import custom_scene
from tests.scenes_for_tests import FrameMarker

V, F = custom_scene.VERTEX, custom_scene.FRAGMENT


def _vec(gpu, name="a", n=4, k=3, **kw):
    return gpu.array(name, (n,), element_shape=(k,), **kw)


# what the scene's setup() does besides FrameMarker's, and the text the error must hold
SETUP_MISTAKES = {
    "shape of fractions": (lambda g: g.array("a", (4.5,), element_shape=(3,)), "shape must be a tuple"),
    "element shape not a tuple": (lambda g: g.array("a", (4,), element_shape="3"), "element_shape must be"),
    "dtype that is none": (lambda g: g.array("a", (4,), dtype="notadtype"), "is not a numpy dtype"),
    "usage None": (lambda g: g.array("a", (4,), usage=None), "usage must be a tuple of names"),
    "usage a string": (lambda g: g.array("a", (4,), usage="vertex"), "usage must be a tuple of names"),
    "image of fractions": (lambda g: g.image("i", 10.5, 10), "width and height must be whole numbers"),
    "quad of an array": (lambda g: g.quad(_vec(g)), "quad shows an image made by gpu.image"),
    "quad of no size": (
        lambda g: g.quad(g.image("i", 4, 4), fullscreen=False, size=(-1.0, float("nan"))),
        "quad size must be two positive numbers",
    ),
    "particles of a list": (lambda g: g.particles([1, 2, 3]), "particle positions must be an array"),
    "particle radius nan": (lambda g: g.particles(_vec(g), radius=float("nan")), "radius must be a positive"),
    "particle radius negative": (lambda g: g.particles(_vec(g), radius=-1), "radius must be a positive"),
    "particle colour of text": (lambda g: g.particles(_vec(g), color=(1, "x", 0)), "particle color must be"),
    "particle colour above 1": (lambda g: g.particles(_vec(g), color=(2, 0.5, 0)), "three numbers in 0..1"),
    "mesh colour below 0": (
        lambda g: g.mesh(_vec(g, "p"), _vec(g, "n"), g.array("i", (3,), dtype="uint32"), color=(-1, 0, 0)),
        "mesh color must be an RGB colour: three numbers in 0..1",
    ),
    "mesh of a list": (
        lambda g: g.mesh(_vec(g, "p"), _vec(g, "n"), [0, 1, 2]),
        "mesh indices must be an array",
    ),
    "line indices of floats": (
        lambda g: g.lines(_vec(g), indices=g.array("i", (4,), usage=("index",))),
        "draw indices must be a 1-D array of uint32",
    ),
    "custom input of int32": (
        lambda g: g.custom(V, F, [_vec(g, dtype=np.int32), _vec(g, "t", k=4)], topology="points"),
        "is int32; vertex inputs are float32",
    ),
    "custom count past the arrays": (
        lambda g: g.custom(V, F, [_vec(g), _vec(g, "t", k=4)], topology="points", count=1000),
        "count must be a whole number in 0..4",
    ),
    "custom count negative": (
        lambda g: g.custom(V, F, [_vec(g), _vec(g, "t", k=4)], topology="points", count=-1),
        "count must be a whole number in 0..4",
    ),
}


@pytest.mark.parametrize("case", sorted(SETUP_MISTAKES))
def test_setup_mistake_is_a_scene_error(case):
    make, expected = SETUP_MISTAKES[case]

    class Mistaken(FrameMarker):
        def setup(self, gpu):
            super().setup(gpu)
            make(gpu)

    with pytest.raises(SceneError, match="setup failed") as info:
        HeadlessRenderer(Mistaken(), 32, 24)
    assert expected in str(info.value)


class SetsItsDraw(FrameMarker):
    """Sets `name` = `value` on its particles draw in update()."""

    name, value = "count", 64

    def setup(self, gpu):
        super().setup(gpu)
        self.draw = gpu.drawables[-1]

    def update(self, frame, dt, input):
        super().update(frame, dt, input)
        setattr(self.draw, self.name, self.value)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("color", (1.0, 0.0, 0.0), " has no setting 'color'"),
        ("raduis", 0.5, " has no setting 'raduis'"),
        ("splat", None, "'s splat is fixed when it is made"),
        ("transparent", True, "'s transparent is fixed when it is made"),
    ],
)
def test_a_draw_refuses_an_attribute_that_nothing_would_read(name, value, message):
    """`draw.color = ...` from update() added an attribute that nothing read, and `draw.splat = None` replaced
    one the recorded frames did not read again (and lost the splat's GPU objects): the frame stayed as it was."""
    scene = SetsItsDraw()
    scene.name, scene.value = name, value
    with HeadlessRenderer(scene, 32, 24) as r:
        before = getattr(r.scene.draw, name, "absent")
        with pytest.raises(ArgumentError, match=rf"particles draw{message}: .* settings: colormap, count,"):
            r.render(1)
        assert getattr(r.scene.draw, name, "absent") is before


@pytest.mark.parametrize(
    "value, message",
    [(0.0, "radius must be a positive number"), (math.nan, "radius must be a finite number")],
)
def test_a_particle_radius_set_from_update_is_checked(value, message):
    scene = SetsItsDraw()
    scene.name, scene.value = "radius", value
    with HeadlessRenderer(scene, 32, 24) as r:
        with pytest.raises(ArgumentError, match=message):
            r.render(1)
        scene.value = 0.01
        small = r.render(1)
        scene.value = 0.05
        large = r.render(1)
        assert r.scene.draw.radius == 0.05
        assert (large[..., 0] > 128).sum() > 2 * (small[..., 0] > 128).sum()  # drawn larger


def test_a_one_number_shape_is_one_dimension():
    class OneNumber(FrameMarker):
        def setup(self, gpu):
            super().setup(gpu)
            self.extra = gpu.array("extra", 5, element_shape=3)

    with HeadlessRenderer(OneNumber(), 32, 24) as r:
        assert r.scene.extra.shape == (5,) and r.scene.extra.element_shape == (3,)


def test_a_launch_of_a_scene_switched_away_is_refused():
    """It used to launch on the released arrays' memory, silently."""
    with HeadlessRenderer(FrameMarker(), 32, 24) as r:
        r.render(1)
        old = r.scene
        r.switch(FrameMarker())
        with pytest.raises(ArgumentError, match="was released"):
            old.launch()
        r.render(1)


def test_a_launch_after_close_is_refused():
    r = HeadlessRenderer(FrameMarker(), 32, 24)
    r.render(1)
    launch = r.scene.launch
    r.close()
    with pytest.raises(RendererError, match="released"):
        launch()


def test_frames_iter_after_close_is_refused():
    r = HeadlessRenderer(FrameMarker(), 32, 24)
    frames = r.frames_iter(10)
    next(frames)
    r.close()
    with pytest.raises(RendererError, match="no scene is loaded"):
        next(frames)


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("stdout", ["closed pipe", "full disk"])
def test_standard_output_that_cannot_be_written_is_one_error(tmp_path, stdout):
    """`python -m renderer ... | head -0` or `> /dev/full`: the messages' print raised out of the framework."""
    if stdout == "closed pipe":
        read, write = os.pipe()
        os.close(read)
        target = write
    else:
        target = os.open("/dev/full", os.O_WRONLY)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "renderer", "--headless", "--frames", "2", "--size", "32x24"],
            cwd=tmp_path,
            env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1"),  # the first message fails
            stdout=target,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(target)
    assert proc.returncode == 1, proc.stderr
    assert "error: cannot write to standard output" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()  # stopped before any frame: nothing half-made


def test_ctrl_c_while_the_scene_file_is_imported(tmp_path, monkeypatch, capsys):
    """Ctrl-C before the run (importing the scene file runs its @ti.kernel decorators, a second or so) was a
    KeyboardInterrupt traceback."""
    from renderer.app import demo
    from renderer.scene import registry

    def interrupted(name):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(registry, "resolve", interrupted)
    assert demo.main(["--headless", "--frames", "2"]) == 0
    assert "interrupted; shutting down" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
