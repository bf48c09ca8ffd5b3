"""What a scene sees of and sets on the view: the viewport its custom shaders get, the camera, background and
light it sets in setup or update (taking effect that frame), and each scene's own view across switches."""

import numpy as np

from renderer import HeadlessRenderer
from renderer.scene import Scene

FULLSCREEN = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
void main() { gl_Position = vec4(vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2) * 2.0 - 1.0, 0.5, 1.0); }
"""
VIEWPORT_AS_COLOUR = """#version 450
layout(set = 0, binding = 0) uniform Frame { mat4 view_proj; vec4 viewport; } frame;
layout(location = 0) out vec4 out_color;
void main() { out_color = vec4(frame.viewport.x / 255.0, frame.viewport.y / 255.0, 0.0, 1.0); }
"""


class ViewportShader(Scene):
    name = "viewport-shader"

    def setup(self, gpu):
        gpu.custom(FULLSCREEN, VIEWPORT_AS_COLOUR, [], count=3)

    def update(self, frame, dt, input):
        pass


def test_custom_shaders_get_the_viewport_in_pixels():
    with HeadlessRenderer(ViewportShader(), 64, 32, validate=True) as renderer:
        pixels = renderer.render(1)
    assert np.all(pixels[..., :3] == (64, 32, 0)), np.unique(pixels.reshape(-1, 4), axis=0)


import pytest  # noqa: E402
import taichi as ti  # noqa: E402

from renderer.camera import Camera, Light  # noqa: E402
from renderer.scene import SceneError  # noqa: E402


@ti.kernel
def place_one(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1)):
    for i in pos:
        pos[i] = ti.Vector([0.0, 0.0, 0.0])


class OneBall(Scene):
    """One white ball at the origin; `script` maps a frame to what update sets (camera, background, light)."""

    name = "one-ball"
    kernels = (place_one,)
    camera = Camera(eye=(0.0, 0.0, 2.0))
    script: dict = {}

    def setup(self, gpu):
        self.positions = gpu.array("positions", (1,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.3, color=(1.0, 1.0, 1.0), splat=False)
        self.launch = gpu.kernel("place_one").bind(self.positions)

    def update(self, frame, dt, input):
        self.launch()
        for attribute, value in self.script.get(frame, {}).items():
            if attribute == "eye":
                self.camera.eye = value  # a field of the scene's camera
            else:
                setattr(self, attribute, value)


def frames_of(scene, count, size=(48, 32), **kwargs):
    with HeadlessRenderer(scene, *size, validate=True, **kwargs) as renderer:
        return [pixels for _, pixels in renderer.frames_iter(count)]


def scripted(script, **attributes) -> OneBall:
    scene = OneBall()
    scene.script = script
    for key, value in attributes.items():
        setattr(scene, key, value)
    return scene


def test_background_set_in_update_is_that_frames():
    colours = {0: (1.0, 0.0, 0.0), 2: (0.0, 1.0, 0.0), 3: (0.0, 0.0, 1.0), 5: (1.0, 1.0, 1.0)}
    frames = frames_of(scripted({k: {"background": v} for k, v in colours.items()}), 7)
    expected = [
        (255, 0, 0),
        (255, 0, 0),
        (0, 255, 0),
        (0, 0, 255),
        (0, 0, 255),
        (255, 255, 255),
        (255, 255, 255),
    ]
    assert [tuple(int(c) for c in f[0, 0, :3]) for f in frames] == expected


def test_camera_set_in_update_draws_as_if_declared():
    moved = Camera(eye=(0.6, 0.2, 2.0), target=(0.3, 0.0, 0.0))
    frames = frames_of(scripted({2: {"camera": moved}}), 4)
    declared = frames_of(scripted({}, camera=moved), 1)[0]
    still = frames_of(scripted({}), 1)[0]
    assert np.array_equal(frames[1], still) and not np.array_equal(still, declared)
    assert np.array_equal(frames[2], declared) and np.array_equal(frames[3], declared)


def test_a_field_of_the_camera_set_in_update():
    frames = frames_of(scripted({1: {"eye": (0.0, 0.0, 4.0)}}), 2)
    far = frames_of(scripted({}, camera=Camera(eye=(0.0, 0.0, 4.0))), 1)[0]
    assert np.array_equal(frames[1], far) and not np.array_equal(frames[0], far)
    assert OneBall.camera.eye == (0.0, 0.0, 2.0)  # the class's camera is untouched


def test_orthographic_camera_keeps_sizes_whatever_the_distance():
    def width(eye_z):
        cam = Camera(eye=(0.0, 0.0, eye_z), orthographic=True, ortho_height=1.2)
        pixels = frames_of(scripted({}, camera=cam), 1, size=(96, 96))[0]
        lit = pixels[..., :3].max(axis=-1) > 40
        columns = np.flatnonzero(lit.any(axis=0))
        return columns[-1] - columns[0] + 1

    near, far = width(1.0), width(5.0)
    assert near == far and abs(near - 0.6 / 1.2 * 96) <= 2  # diameter 0.6 of a view 1.2 tall: half the frame


def test_scene_light_colour_direction_and_ambient():
    plain = frames_of(scripted({}), 1)[0][..., :3].astype(int)
    red = frames_of(scripted({}, light=Light(direction=(0, 0, 1), color=(1.0, 0.0, 0.0), ambient=0.2)), 1)[0]
    behind = frames_of(scripted({}, light=Light(direction=(0, 0, -1), ambient=0.5)), 1)[0]
    centre = (16, 24)
    r, g, b = (int(c) for c in red[centre][:3])
    assert r > 200 and g == b and abs(g - 0.2 * 255) <= 2  # lit red; green and blue only the ambient share
    assert np.all(np.abs(behind[centre][:3].astype(int) - 0.5 * 255) <= 2)  # lit from behind: ambient only
    assert plain[centre].min() > 200  # the draw's own default light: white


def test_invalid_view_set_in_update_is_a_scene_error():
    with pytest.raises(SceneError, match=r"scene 'one-ball': the camera's eye is its target"):
        frames_of(scripted({1: {"camera": Camera(eye=(0, 0, 0), target=(0, 0, 0))}}), 3)
    with pytest.raises(SceneError, match=r"scene 'one-ball': background must be"):
        frames_of(scripted({1: {"background": (2.0, 0.0, 0.0)}}), 3)
    with pytest.raises(SceneError, match=r"scene 'one-ball': light must be a Light"):
        frames_of(scripted({1: {"light": "sun"}}), 3)


def test_each_scene_keeps_its_background_and_camera_across_switches_both_ways():
    first = scripted({}, background=(1.0, 0.0, 0.0))
    second = scripted({}, background=(0.0, 0.0, 1.0), camera=Camera(eye=(1.0, 0.5, 1.5)))
    with HeadlessRenderer(first, 48, 32, validate=True) as renderer:
        a = renderer.render(1)
        renderer.switch(second)
        b = renderer.render(1)
        renderer.switch(first)
        a_again = renderer.render(1)
    assert tuple(a[0, 0, :3]) == (255, 0, 0) and tuple(b[0, 0, :3]) == (0, 0, 255)
    assert np.array_equal(a, a_again)


def test_the_view_moved_by_the_mouse_stays_until_the_scene_sets_its_camera():
    with HeadlessRenderer(scripted({3: {"eye": (0.0, 0.0, 4.0)}}), 48, 32, validate=True) as renderer:
        frames = renderer.frames_iter(5)
        next(frames)
        renderer.loaded.camera = Camera(eye=(1.5, 0.0, 1.0))  # as the window's mouse moves it
        rest = [pixels for _, pixels in frames]
    mouse = frames_of(scripted({}, camera=Camera(eye=(1.5, 0.0, 1.0))), 1)[0]
    far = frames_of(scripted({}, camera=Camera(eye=(0.0, 0.0, 4.0))), 1)[0]
    assert np.array_equal(rest[1], mouse)  # frame 2: the mouse's view (frame 1 was written before it moved)
    assert np.array_equal(rest[2], far) and np.array_equal(rest[3], far)  # frame 3 on: the scene set its own


BAD_CAMERAS = {
    "eye is its target": Camera(eye=(0.0, 0.0, 0.0), target=(0.0, 0.0, 0.0)),
    "fov_y must be in 0..180": Camera(fov_y=0.0),
    "three finite numbers": Camera(eye=(float("nan"), 0.0, 2.0)),
    "along its view direction": Camera(eye=(0.0, 2.5, 0.0)),  # looking down, up is +y
    "along its view direction ": Camera(eye=(0.0, 0.0, 2.0), up=np.array([0.0, 0.0, -3.0])),
    "0 < near < far": Camera(near=10.0, far=1.0),
    "orthographic must be True or False": Camera(orthographic="yes"),
}


@pytest.mark.parametrize("message", BAD_CAMERAS)
def test_a_view_that_cannot_be_drawn_is_refused_wherever_it_is_set(message):
    """On the instance before loading (it was taken as it was, and drew a blank frame) and in update alike."""
    camera = BAD_CAMERAS[message]
    with pytest.raises(SceneError, match=rf"scene 'one-ball': the camera.*{message.strip()}"):
        frames_of(scripted({}, camera=camera), 1)
    with pytest.raises(SceneError, match=rf"scene 'one-ball': the camera.*{message.strip()}"):
        frames_of(scripted({1: {"camera": camera}}), 3)


def test_numpy_vectors_in_the_view_draw_as_tuples_do():
    """`self.camera.eye = np.array(...)` and a numpy background compared each frame as plain values (they were a
    raw 'truth value of an array is ambiguous')."""
    arrays = scripted(
        {1: {"eye": np.array([0.4, 0.2, 2.0]), "background": np.array([0.0, 0.5, 1.0], np.float32)}},
        camera=Camera(eye=np.array([0.0, 0.0, 3.0]), target=np.zeros(3), up=np.array([0, 1, 0])),
    )
    tuples = scripted(
        {1: {"eye": (0.4, 0.2, 2.0), "background": (0.0, 0.5, 1.0)}}, camera=Camera(eye=(0, 0, 3))
    )
    got, expected = frames_of(arrays, 3), frames_of(tuples, 3)
    assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))
    assert not np.array_equal(got[0], got[1]) and tuple(got[2][0, 0, :3]) == (0, 128, 255)
