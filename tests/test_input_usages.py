"""Draw inputs a draw cannot bind (an array without usage 'vertex' or 'index'), lists of elements given more than
one dimension, and a scene's gpu kept after its scene was released: each is refused in setup with a SceneError
naming the draw, the argument and what was wrong, never a validation error at the first frame or a draw of part
of the array, and nothing is made that nothing would release."""

import numpy as np
import pytest

from renderer import HeadlessRenderer
from renderer.camera import Camera
from renderer.device import handles
from renderer.scene.api import Scene, SceneError
from tests import custom_scene

V, F = custom_scene.VERTEX, custom_scene.FRAGMENT
STORAGE = ("storage",)


class Empty(Scene):
    name = "usages"
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        self.gpu = gpu

    def update(self, frame, dt, input):
        pass


def _refused(make) -> str:
    """The SceneError of a scene whose setup does `make(gpu)`, under the validation layer."""

    class Mistaken(Empty):
        def setup(self, gpu):
            make(gpu)

    with pytest.raises(SceneError) as info:
        HeadlessRenderer(Mistaken(), 16, 16, validate=True)
    return str(info.value)


def _vec(gpu, name, k=3, usage=("vertex",), n=3, **kw):
    return gpu.array(name, (n,), element_shape=(k,), usage=usage, **kw)


def _floats(gpu, name, usage=("vertex",)):
    return gpu.array(name, (3,), usage=usage)


def _indices(gpu, name="i", usage=("index",)):
    return gpu.array(name, data=np.arange(3, dtype=np.uint32), dtype=np.uint32, usage=usage)


def _mesh(g, positions=("vertex",), normals=("vertex",), indices=("index",), **kw):
    return g.mesh(
        _vec(g, "p", usage=positions), _vec(g, "n", usage=normals), _indices(g, usage=indices), **kw
    )


def _own_mesh(g, positions=("vertex",), normals=("vertex",), indices=("index",)):
    mesh = (_vec(g, "mp", usage=positions), _vec(g, "mn", usage=normals), _indices(g, "mi", usage=indices))
    return g.instances(mesh, _vec(g, "p"), scale=0.2)


# -- class 1: every array a draw binds as a vertex or index buffer has that usage (case: (draw, argument, usage))

UNBINDABLE = {
    ("particles", "positions", "vertex"): lambda g: g.particles(_vec(g, "p", usage=STORAGE), splat=False),
    ("particles", "colors", "vertex"): lambda g: g.particles(
        _vec(g, "p"), colors=_vec(g, "c", usage=STORAGE)
    ),
    ("particles", "radii", "vertex"): lambda g: g.particles(_vec(g, "p"), radii=_floats(g, "r", STORAGE)),
    ("mesh", "positions", "vertex"): lambda g: _mesh(g, positions=STORAGE),
    ("mesh", "normals", "vertex"): lambda g: _mesh(g, normals=STORAGE),
    ("mesh", "colors", "vertex"): lambda g: _mesh(g, colors=_vec(g, "c", usage=STORAGE)),
    ("mesh", "indices", "index"): lambda g: _mesh(g, indices=STORAGE),
    ("instances", "positions", "vertex"): lambda g: g.instances("cube", _vec(g, "p", usage=STORAGE)),
    ("instances", "directions", "vertex"): lambda g: g.instances(
        "arrow", _vec(g, "p"), directions=_vec(g, "d", usage=STORAGE)
    ),
    ("instances", "rotations", "vertex"): lambda g: g.instances(
        "cube", _vec(g, "p"), rotations=_vec(g, "q", 4, usage=STORAGE)
    ),
    ("instances", "scales", "vertex"): lambda g: g.instances(
        "cube", _vec(g, "p"), scales=_floats(g, "s", STORAGE)
    ),
    ("instances", "colors", "vertex"): lambda g: g.instances(
        "cube", _vec(g, "p"), colors=_vec(g, "c", usage=STORAGE)
    ),
    ("instances mesh", "positions", "vertex"): lambda g: _own_mesh(g, positions=STORAGE),
    ("instances mesh", "normals", "vertex"): lambda g: _own_mesh(g, normals=STORAGE),
    ("instances mesh", "indices", "index"): lambda g: _own_mesh(g, indices=STORAGE),
    ("lines draw", "positions", "vertex"): lambda g: g.lines(_vec(g, "p", usage=STORAGE), strip=True),
    ("lines draw", "colors", "vertex"): lambda g: g.lines(
        _vec(g, "p"), colors=_vec(g, "c", usage=STORAGE), strip=True
    ),
    ("lines draw", "indices", "index"): lambda g: g.lines(
        _vec(g, "p"), indices=_indices(g, usage=STORAGE), strip=True
    ),
    ("custom draw", "input 1", "vertex"): lambda g: g.custom(
        V, F, [_vec(g, "p"), _vec(g, "t", 4, usage=STORAGE)], "points"
    ),
    ("custom draw", "instance input 0", "vertex"): lambda g: g.custom(
        V, F, [_vec(g, "p"), _vec(g, "t", 4)], "points", instance_inputs=[_floats(g, "k", STORAGE)]
    ),
    ("custom draw", "indices", "index"): lambda g: g.custom(
        V, F, [_vec(g, "p"), _vec(g, "t", 4)], "points", indices=_indices(g, usage=STORAGE)
    ),
}


@pytest.mark.parametrize("case", sorted(UNBINDABLE), ids=" ".join)
def test_an_array_without_the_usage_its_draw_binds_it_with_is_refused_in_setup(case):
    draw, argument, usage = case
    message = _refused(UNBINDABLE[case])
    assert f"{draw} {argument} (usages." in message
    assert f"lacks usage {usage!r}" in message
    assert f"usage=({usage!r},)" in message


# -- class 2: a list of elements has one dimension

P4 = np.array([[-1, -0.5, 0], [1, -0.5, 0], [-1, 0.5, 0], [1, 0.5, 0]], np.float32)


def _grid(gpu, name, shape=(2, 2), k=3, **kw):
    return gpu.array(name, shape, element_shape=(k,) if k else (), **kw)


FLAT = [
    ("line positions", lambda g: g.lines(_grid(g, "p"))),
    ("line positions", lambda g: g.lines(_grid(g, "p", (1, 4)), strip=True)),
    ("line positions", lambda g: g.lines(_grid(g, "p", (4, 1)))),
    ("line colors", lambda g: g.lines(_vec(g, "p", n=4), colors=_grid(g, "c"))),
    ("line scalars", lambda g: g.lines(_vec(g, "p", n=4), scalars=_grid(g, "s", k=0))),
    ("draw indices", lambda g: g.lines(_vec(g, "p", n=4), indices=_grid(g, "i", k=0, dtype=np.uint32))),
    ("particle positions", lambda g: g.particles(_grid(g, "p"))),
    ("particle radii", lambda g: g.particles(_vec(g, "p", n=4), radii=_grid(g, "r", k=0))),
    ("mesh positions", lambda g: g.mesh(_grid(g, "p"), _grid(g, "n"), _indices(g))),
    ("mesh indices", lambda g: g.mesh(_vec(g, "p"), _vec(g, "n"), _grid(g, "i", (1, 3), 0, dtype=np.uint32))),
    (
        "instances mesh positions",
        lambda g: g.instances((_grid(g, "a"), _grid(g, "b"), _indices(g)), _vec(g, "p")),
    ),
    ("instance positions", lambda g: g.instances("cube", _grid(g, "p"))),
    ("custom draw input 0", lambda g: g.custom(V, F, [_grid(g, "p"), _vec(g, "t", 4, n=4)], "points")),
    (
        "custom draw instance input 0",
        lambda g: g.custom(
            V, F, [_vec(g, "p"), _vec(g, "t", 4)], "points", instance_inputs=[_grid(g, "k", k=0)]
        ),
    ),
]


@pytest.mark.parametrize("what, make", FLAT, ids=[f"{w} {i}" for i, (w, _) in enumerate(FLAT)])
def test_a_list_of_elements_of_more_than_one_dimension_is_refused(what, make):
    message = _refused(make)
    assert what in message and "1-D" in message
    assert "shape (" in message


# -- class 3: a scene's gpu kept after its scene was released makes nothing

RELEASED = "this scene's gpu was released with its scene (switched away or closed)"

# every public method of SceneGPU that makes something, with arguments it would otherwise take
CALLS = {
    "array": lambda g, a: g.array("late", (8,), element_shape=(3,)),
    "image": lambda g, a: g.image("late image", 4, 4),
    "quad": lambda g, a: g.quad(a["image"]),
    "kernel": lambda g, a: g.kernel("place"),
    "particles": lambda g, a: g.particles(a["p"]),
    "mesh": lambda g, a: g.mesh(a["p"], a["n"], a["i"]),
    "instances": lambda g, a: g.instances("cube", a["p"]),
    "lines": lambda g, a: g.lines(a["p"]),
    "custom": lambda g, a: g.custom(V, F, [a["p"], a["t"]], "points"),
}


class Kept(Empty):
    def setup(self, gpu):
        self.gpu = gpu
        self.made = {
            "p": _vec(gpu, "p"),
            "n": _vec(gpu, "n"),
            "t": _vec(gpu, "t", 4),
            "i": _indices(gpu),
            "image": gpu.image("image", 4, 4),
        }
        gpu.particles(self.made["p"])


def test_the_calls_cover_every_public_method_of_scene_gpu():
    from renderer.scene.api import SceneGPU

    public = {n for n in vars(SceneGPU) if not n.startswith("_") and callable(getattr(SceneGPU, n))}
    releasing = {"destroy_drawables", "release_memories", "destroy_buffers"}  # the release itself
    assert public - releasing == set(CALLS)


@pytest.mark.parametrize("how", ["switch", "close"])
def test_every_method_of_a_released_scenes_gpu_is_refused_and_makes_nothing(how):
    start = handles.live_counts()
    with HeadlessRenderer(Kept(), 16, 16, validate=True) as r:
        old = r.scene
        r.render(1)
        if how == "switch":
            r.switch(Empty())
            r.render(1)
        else:
            r.close()
        before = handles.live_counts()
        for name, call in CALLS.items():
            with pytest.raises(SceneError) as info:
                call(old.gpu, old.made)
            assert RELEASED in str(info.value), name
            assert "scene 'usages'" in str(info.value)
        assert handles.live_counts() == before
    assert handles.live_counts() == start


@pytest.mark.parametrize("vertices, indices", [(3, None), (5, None), (4, 3), (6, 1)])
def test_a_line_list_of_an_odd_count_is_refused(vertices, indices):
    """Segments pair their vertices (or indices): the last of an odd count was dropped silently."""

    class Odd(Scene):
        name = "odd-lines"

        def setup(self, gpu):
            points = gpu.array("p", element_shape=(3,), data=np.zeros((vertices, 3), np.float32))
            pairs = None
            if indices is not None:
                pairs = gpu.array("i", dtype=np.uint32, usage=("index",), data=np.zeros(indices, np.uint32))
            gpu.lines(points, pairs)
            gpu.lines(points, pairs, strip=True)  # one connected line: any count

        def update(self, frame, dt, input):
            pass

    with pytest.raises(SceneError, match=r"line segments pair their (vertices|indices): give an even number"):
        HeadlessRenderer(Odd(), 8, 8)
