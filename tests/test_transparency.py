"""Order-independent transparency (draw/transparency.py) and the draws' run-time setters: the composite against
McGuire & Bavoil's formula, the same image in either draw order, particles + meshes + instances + lines
together, no transparent pass in an opaque frame, the window, opacity/count/colormap/range set from update(),
and bad values refused. Under the validation layer with synchronization validation."""

from pathlib import Path

import glfw
import numpy as np
import pytest

from renderer import Camera, HeadlessRenderer, Light, Scene, SceneError, colormaps, testing
from renderer.app.interactive import InteractiveApp
from renderer.device.memory import read_device_buffer
from renderer.errors import ArgumentError

REFERENCES = Path(__file__).parent / "references"
FLAT = Light(direction=(0.0, 0.0, 1.0), color=(0.0, 0.0, 0.0), ambient=1.0)  # colour = the base colour
ORTHO = Camera(eye=(0.0, 0.0, 2.5), orthographic=True)
BACKGROUND = (0.2, 0.4, 0.6)

FLAT_VERTEX = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) in vec3 position;
void main() { gl_Position = frame.view_proj * vec4(position, 1.0); }
"""
FLAT_FRAGMENT = """#version 450
layout(set = 0, binding = 2) uniform Params { vec4 color; } params;
layout(location = 0) out vec4 out_color;
void main() { out_color = params.color; }
"""


def square(x0, y0, x1, y1, z=0.0):
    """Two triangles (counter-clockwise, facing the camera) as 6 vec3 positions."""
    a, b, c, d = (x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)
    return np.float32([a, b, c, a, c, d])


class FlatLayers(Scene):
    """Flat squares of RGBA colours (custom draws, transparent=True), drawn in the order given."""

    name = "flat_layers"
    camera = ORTHO
    background = BACKGROUND

    def __init__(self, layers, **values):
        super().__init__(**values)
        self.layers = layers  # (rect, rgba, z)

    def setup(self, gpu):
        self.draws = []
        for i, (rect, rgba, z) in enumerate(self.layers):
            corners = gpu.array(f"square{i}", element_shape=(3,), data=square(*rect, z))
            self.draws.append(
                gpu.custom(FLAT_VERTEX, FLAT_FRAGMENT, [corners], uniforms={"color": rgba}, transparent=True)
            )

    def update(self, frame, dt, input):
        pass


def render(scene, frames=1, size=(96, 64)):
    with HeadlessRenderer(scene, *size, validate=True) as r:
        pixels = r.render(frames)[..., :3].astype(np.float64)
        r.context.check_validation("in the transparency test")
        return pixels, r


def test_one_layer_is_the_usual_blend():
    colour, alpha = np.array([1.0, 0.5, 0.0]), 0.25
    pixels, _ = render(FlatLayers([((-0.5, -0.5, 0.5, 0.5), (*colour, alpha), 0.0)]))
    expected = 255 * (colour * alpha + np.array(BACKGROUND) * (1 - alpha))
    assert np.abs(pixels[32, 48] - expected).max() <= 1.0  # fp16 sums and one rounding to 8 bits
    assert np.array_equal(pixels[2, 2], np.round(255 * np.array(BACKGROUND)))  # uncovered: untouched


def test_two_layers_follow_the_formula():
    # the same depth: equal weights, so the average is the alpha-weighted mean
    (c1, a1), (c2, a2) = (np.array([1.0, 0.0, 0.0]), 0.5), (np.array([0.0, 1.0, 0.0]), 0.75)
    layers = [((-0.8, -0.8, 0.4, 0.8), (*c1, a1), 0.0), ((-0.4, -0.8, 0.8, 0.8), (*c2, a2), 0.0)]
    pixels, _ = render(FlatLayers(layers))
    revealage = (1 - a1) * (1 - a2)
    average = (c1 * a1 + c2 * a2) / (a1 + a2)
    expected = 255 * (average * (1 - revealage) + np.array(BACKGROUND) * revealage)
    assert np.abs(pixels[32, 48] - expected).max() <= 1.0
    only_first = 255 * (c1 * a1 + np.array(BACKGROUND) * (1 - a1))
    assert np.abs(pixels[32, 28] - only_first).max() <= 1.0  # x = -0.6: the first only


class Panes(Scene):
    """Two overlapping lit panes at different depths (meshes with opacity) over an opaque one, in either
    order, with transparent particles and lines through them."""

    name = "panes"
    camera = Camera(eye=(0.4, 0.5, 2.5))
    light = Light(direction=(0.3, 0.5, 1.0), color=(1.0, 1.0, 1.0), ambient=0.4)
    background = (0.05, 0.05, 0.08)

    def __init__(self, reverse=False, **values):
        super().__init__(**values)
        self.reverse = reverse

    def setup(self, gpu):
        normals = gpu.array("normals", element_shape=(3,), data=np.tile(np.float32([0, 0, 1]), (6, 1)))
        indices = gpu.array("indices", dtype=np.uint32, usage=("index",), data=np.arange(6, dtype=np.uint32))
        back = gpu.array("back", element_shape=(3,), data=square(-1.0, -0.2, 1.0, 0.2, -0.4))
        gpu.mesh(back, normals, indices, color=(0.9, 0.9, 0.9))
        panes = [
            (square(-0.7, -0.6, 0.3, 0.4, 0.0), (1.0, 0.2, 0.1), 0.5),
            (square(-0.3, -0.3, 0.7, 0.7, 0.3), (0.1, 0.4, 1.0), 0.6),
        ]
        arrays = [gpu.array(f"pane{i}", element_shape=(3,), data=p) for i, (p, _, _) in enumerate(panes)]
        made = [(arrays[i], panes[i][1], panes[i][2]) for i in range(2)]
        for positions, colour, opacity in reversed(made) if self.reverse else made:
            gpu.mesh(positions, normals, indices, color=colour, opacity=opacity)
        points = gpu.array("points", element_shape=(3,), data=np.float32([[0.0, 0.0, 0.15], [0.4, 0.3, 0.5]]))
        rgba = gpu.array(
            "rgba", element_shape=(4,), data=np.float32([[0.2, 1.0, 0.2, 0.6], [1.0, 1.0, 0.2, 0.3]])
        )
        self.particles = gpu.particles(points, radius=0.15, colors=rgba)
        ends = gpu.array("ends", element_shape=(3,), data=np.float32([[-1, -0.8, 0.1], [1, 0.8, 0.1]]))
        self.lines = gpu.lines(ends, color=(1.0, 1.0, 1.0), opacity=0.8)

    def update(self, frame, dt, input):
        pass


def test_the_order_of_the_draws_does_not_matter():
    forward, _ = render(Panes(), size=(160, 120))
    backward, _ = render(Panes(reverse=True), size=(160, 120))
    assert np.abs(forward - backward).max() <= 1.0
    assert forward.std() > 20  # something is drawn


def test_particles_meshes_and_lines_together(regenerate):
    scene = Panes()
    with HeadlessRenderer(scene, 240, 160, validate=True) as r:
        pixels = r.render(2)
        r.context.check_validation("in the transparency test")
        assert scene.particles.transparent and scene.particles.splatting is False
        assert scene.lines.transparent and scene.lines.opacity == pytest.approx(0.8)
        compare = regenerate or testing.compare_on_this_device(r.context)
    if compare:
        testing.assert_matches_reference(pixels, REFERENCES / "transparency_panes.png", regenerate=regenerate)


class Opaque(Scene):
    name = "opaque"
    camera = ORTHO

    def setup(self, gpu):
        corners = gpu.array("corners", element_shape=(3,), data=square(-0.5, -0.5, 0.5, 0.5))
        self.draw = gpu.custom(
            FLAT_VERTEX, FLAT_FRAGMENT, [corners], uniforms={"color": (1.0, 0.0, 0.0, 1.0)}
        )
        points = gpu.array("points", element_shape=(3,), data=np.zeros((4, 3), np.float32))
        self.particles = gpu.particles(points)

    def update(self, frame, dt, input):
        pass


def test_an_opaque_frame_has_no_transparent_pass():
    scene = Opaque()
    with HeadlessRenderer(scene, 96, 64, validate=True) as r:
        r.render(2)
        assert r.frames.render_pass._transparent is None  # no pass, images or pipelines made for it
        assert not any("transparency" in slot.shared for slot in r.frames.slots)
        assert not scene.draw.transparent and not scene.particles.transparent
        with pytest.raises(ArgumentError, match="opaque"):  # while loaded: after, the draws are released
            scene.draw.opacity = 0.5
        with pytest.raises(ArgumentError, match="opaque"):
            scene.particles.opacity = 0.5


class Setters(Scene):
    """A mesh strip of scalars through a colormap, instances and particles, each changed from update()."""

    name = "setters"
    camera = ORTHO
    light = FLAT
    background = (0.0, 0.0, 0.0)

    def __init__(self, changes, **values):
        super().__init__(**values)
        self.changes = changes  # frame -> {"draw.attribute": value}

    def setup(self, gpu):
        xs = np.linspace(-1.4, 1.4, 8, dtype=np.float32)
        top = np.stack([xs, np.full(8, 0.9, np.float32), np.zeros(8, np.float32)], -1)
        bottom = top - np.float32([0, 0.5, 0])
        vertices = np.concatenate([bottom, top])
        quads = [(i, i + 1, 9 + i, i, 9 + i, 8 + i) for i in range(7)]
        positions = gpu.array("strip", element_shape=(3,), data=vertices)
        normals = gpu.array("strip normals", element_shape=(3,), data=np.tile(np.float32([0, 0, 1]), (16, 1)))
        indices = gpu.array("strip indices", dtype=np.uint32, usage=("index",), data=np.uint32(quads).ravel())
        self.scalars = gpu.array("scalars", data=np.tile(np.linspace(0, 1, 8, dtype=np.float32), 2))
        self.strip = gpu.mesh(
            positions, normals, indices, scalars=self.scalars, colormap="viridis", range=(0, 1)
        )
        centres = np.stack([np.linspace(-1.2, 1.2, 6), np.zeros(6), np.zeros(6)], -1).astype(np.float32)
        self.boxes = gpu.instances(
            "cube", gpu.array("centres", element_shape=(3,), data=centres), scale=0.3, color=(1, 1, 1)
        )
        self.dots = gpu.particles(
            gpu.array("dots", element_shape=(3,), data=centres - np.float32([0, 0.6, 0])),
            radius=0.1,
            color=(1.0, 0.0, 0.0),
            opacity=1.0,
        )

    def update(self, frame, dt, input):
        for name, value in self.changes.get(frame, {}).items():
            target, attr = name.split(".")
            setattr(getattr(self, target), attr, value)


def test_setters_show_in_the_image():
    scene = Setters(
        {
            2: {"strip.colormap": "magma", "strip.range": (0.0, 2.0), "boxes.count": 2, "dots.opacity": 0.5},
            4: {"boxes.count": 6, "strip.range": "auto"},
        }
    )
    with HeadlessRenderer(scene, 160, 120, validate=True) as r:
        frames = {frame: pixels[..., :3].astype(np.int32).copy() for frame, pixels in r.frames_iter(6)}
        mapped = read_device_buffer(r.context, scene.strip.colormap.colors, np.float32).reshape(-1, 3)
        assert scene.strip.colormap.range_now() == (0.0, 1.0)  # "auto": the scalars' min and max
        scalars = scene.scalars.read()
        r.context.check_validation("in the setters test")
    # data: exact on a CPU driver; a GPU's division may differ in the last bit (NVIDIA: by the reciprocal)
    assert np.allclose(mapped, colormaps.sample("magma", scalars, 0.0, 1.0), rtol=0, atol=1e-6)
    before, after, restored = frames[1], frames[3], frames[5]
    # the strip's colours: viridis over (0, 1), then magma over (0, 2)
    y, x = 10, 80
    assert not np.array_equal(before[y, x], after[y, x])
    # the boxes: 6, then 2 (the right-hand ones gone), then 6 again
    box_y, right_x = 60, 80 + int(1.2 / (2 * 160 / 120) * 160)  # the box at x = 1.2
    assert before[box_y, right_x].min() > 200 and after[box_y, right_x].max() == 0
    assert np.array_equal(restored[box_y, right_x], before[box_y, right_x])
    # the particles: opaque red, then half over black
    dot_y, dot_x = 60 + int(0.6 / 2.0 * 120), right_x
    assert before[dot_y, dot_x, 0] > 2 * after[dot_y, dot_x, 0] - 3 > 0


def test_count_of_lines_and_custom_draws():
    scene = FlatLayers([((-0.5, -0.5, 0.5, 0.5), (1.0, 1.0, 1.0, 1.0), 0.0)])
    with HeadlessRenderer(scene, 96, 64, validate=True) as r:
        full = r.render(1)[..., :3].copy()
        scene.draws[0].count = 3  # the first triangle only
        half = r.render(1)[..., :3].copy()
        r.context.check_validation("in the count test")
    # (x, y) = (-0.36, 0.36) is in the second triangle, (0.39, -0.39) in the first
    assert full[20, 36].min() > 200 and np.array_equal(half[20, 36], np.round(255 * np.array(BACKGROUND)))
    assert np.array_equal(half[44, 60], full[44, 60]) and full[44, 60].min() > 200


class Bad(Scene):
    name = "bad"

    def __init__(self, make, **values):
        super().__init__(**values)
        self.make = make

    def setup(self, gpu):
        points = gpu.array("points", element_shape=(3,), data=np.zeros((4, 3), np.float32))
        self.draw = self.make(gpu, points)

    def update(self, frame, dt, input):
        pass


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda gpu, p: gpu.particles(p, opacity=1.5), "particle opacity must be a number from 0"),
        (lambda gpu, p: gpu.particles(p, opacity="half"), "particle opacity must be a number from 0"),
        (lambda gpu, p: gpu.lines(p, opacity=-0.1), "line opacity must be a number from 0"),
        (lambda gpu, p: gpu.instances("cube", p, opacity=float("nan")), "instance opacity"),
        (
            lambda gpu, p: gpu.custom(FLAT_VERTEX, FLAT_FRAGMENT, [p], transparent=True, blend="alpha"),
            "leave blend out",
        ),
        (lambda gpu, p: gpu.custom(FLAT_VERTEX, FLAT_FRAGMENT, [p], cull="sideways"), "cull must be one of"),
        (lambda gpu, p: gpu.custom(FLAT_VERTEX, FLAT_FRAGMENT, [p], depth_compare="<"), "depth_compare must"),
    ],
)
def test_bad_values_at_setup_are_refused(make, message):
    with pytest.raises((SceneError, ArgumentError), match=message):
        with HeadlessRenderer(Bad(make), 32, 32, validate=True):
            pass


def test_bad_values_at_run_time_are_refused():
    scene = Bad(
        lambda gpu, p: gpu.particles(p, opacity=0.5, scalars=gpu.array("s", data=np.zeros(4, np.float32)))
    )
    with HeadlessRenderer(scene, 32, 32, validate=True) as r:
        r.render(1)
        draw = scene.draw
        for value in (1.01, -0.5, None, True):
            with pytest.raises(ArgumentError, match="opacity must be a number from 0"):
                draw.opacity = value
        for value in (5, -1, 2.0):
            with pytest.raises(ArgumentError, match="count must be a whole number from 0 to 4"):
                draw.count = value
        with pytest.raises(ArgumentError, match="unknown colormap"):
            draw.colormap = "rainbow"
        with pytest.raises(ArgumentError):
            draw.range = (1.0, 0.0)
        assert (draw.opacity, draw.count, draw.colormap.name, draw.range) == (0.5, 4, "viridis", "auto")
        r.render(1)
        r.context.check_validation("after the refused values")


def test_transparent_draws_in_the_window(display, tmp_path):
    with InteractiveApp([Panes], 0, size=(240, 160), vsync=False, validate=True, out_dir=tmp_path) as app:
        app.run(max_frames=3)
        app.handle([glfw.KEY_S])  # a screenshot of the next frame
        app.run(max_frames=4)
        shot = app.last_capture
    app.context.validation_log.raise_if_any("in the window")
    headless, _ = render(Panes(), frames=1, size=(240, 160))
    assert np.abs(shot[..., :3].astype(np.float64) - headless).max() <= 1.0
