"""Host data into arrays and back: `gpu.array(..., data=)`, `array.write()` (also from update(), with frames in
flight) and `array.read()`, under the validation layer with synchronization validation; the errors for data that
does not fit; the same in the window."""

import numpy as np
import pytest
import taichi as ti

from renderer import testing
from renderer.app.headless import HeadlessRenderer
from renderer.camera import Camera
from renderer.errors import ArgumentError
from renderer.scene import Param, Scene
from renderer.scene.api import SceneError
from tests.test_frames import lit_column

WIDTH, HEIGHT = 160, 90
COUNT = 64


def column_of(x: float) -> float:
    """Where x (world units, camera at z=2.5, fov 45 deg) lands in a WIDTH x HEIGHT frame (pixels)."""
    x_ndc = x / np.tan(np.radians(22.5)) / (WIDTH / HEIGHT) / 2.5
    return (x_ndc + 1) / 2 * WIDTH


def row_at(x: float) -> np.ndarray:
    """COUNT particles in a short vertical line at x."""
    pos = np.zeros((COUNT, 3), np.float32)
    pos[:, 0] = x
    pos[:, 1] = (np.arange(COUNT) % 5) * 0.02 - 0.04
    return pos


def slot(frame: int, every: int) -> float:
    """The x that update() writes at `frame` (every `every` frames)."""
    return -0.6 + 0.2 * ((frame // every) % 7)


class StaticParticles(Scene):
    """Particles from `data=`, no kernels at all."""

    name = "static-particles"
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        self.positions = gpu.array("positions", data=row_at(-0.5), element_shape=(3,))

        gpu.particles(self.positions, radius=0.03, color=(1.0, 1.0, 1.0))

    def update(self, frame, dt, input):
        pass


class StaticMesh(Scene):
    """A triangle from `data=` (positions, normals, indices), drawn without a kernel."""

    name = "static-mesh"
    camera = Camera(eye=(0.0, 0.0, 2.5))
    POSITIONS = np.array([[-0.8, -0.5, 0.0], [0.0, -0.5, 0.0], [-0.4, 0.5, 0.0]], np.float32)
    INDICES = np.array([0, 1, 2], np.uint32)

    def setup(self, gpu):
        self.positions = gpu.array("positions", data=self.POSITIONS, element_shape=(3,))
        normals = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (3, 1))
        self.normals = gpu.array("normals", (3,), element_shape=(3,), data=normals)
        self.indices = gpu.array("indices", data=self.INDICES, dtype=np.uint32, usage=("index",))
        gpu.mesh(self.positions, self.normals, self.indices, color=(1.0, 1.0, 1.0))

    def update(self, frame, dt, input):
        pass


class Mover(Scene):
    """Writes new positions from update() every `every` frames (frames in flight meanwhile); reads them back in
    the same update, which must give what was just written."""

    name = "mover"
    camera = Camera(eye=(0.0, 0.0, 2.5))
    params = {"every": Param(3, 1, 100, "frames between writes")}

    def setup(self, gpu):
        self.read_back = {}
        self.positions = gpu.array("positions", (COUNT,), element_shape=(3,), data=row_at(slot(0, 1)))
        gpu.particles(self.positions, radius=0.03, color=(1.0, 1.0, 1.0))

    def update(self, frame, dt, input):
        if frame % self.every == 0:
            data = row_at(slot(frame, self.every))
            self.positions.write(data)
            data[:] = 99.0  # the array keeps what it was given: write() copied it
            if frame % (2 * self.every) == 0:
                self.read_back[frame] = self.positions.read()


@ti.kernel
def count_up(out: ti.types.ndarray(dtype=ti.i32, ndim=1), frame: ti.i32):
    for i in out:
        out[i] = out[i] + i * 3 + frame


class Counter(Scene):
    """A kernel adds to an array that starts from `data=`; update() overwrites it now and then, between two
    launches of one frame, and reads it back after them."""

    name = "counter"
    kernels = (count_up,)
    camera = Camera(eye=(0.0, 0.0, 2.5))

    def setup(self, gpu):
        self.values = gpu.array(
            "values", data=np.arange(1000, dtype=np.int32), dtype=np.int32, usage=("storage",)
        )
        self.step = gpu.kernel("count_up").bind(self.values, 0)
        self.seen = {}

    def update(self, frame, dt, input):
        self.step.set("frame", frame)
        self.step()
        if frame == 5:
            self.values.write(np.full(1000, -7, np.int32))  # after the launch above, before the next
        self.step()
        if frame in (5, 6):
            self.seen[frame] = self.values.to_numpy()


def simulate_counter(frames: int) -> np.ndarray:
    """What Counter's array holds after `frames` frames, in plain numpy."""
    values = np.arange(1000, dtype=np.int32)
    i = np.arange(1000, dtype=np.int32)
    for frame in range(frames):
        values = values + i * 3 + frame
        if frame == 5:
            values = np.full(1000, -7, np.int32)
        values = values + i * 3 + frame
    return values


def test_data_at_setup_draws_without_kernels_and_reads_back_exactly():
    with HeadlessRenderer(StaticParticles(), WIDTH, HEIGHT, validate=True) as renderer:
        pixels = renderer.render(3)
        assert np.array_equal(renderer.scene.positions.read(), row_at(-0.5))
    assert abs(lit_column(pixels) - column_of(-0.5)) < 3
    renderer.context.check_validation("after teardown")


def test_a_static_mesh_from_data():
    scene = StaticMesh()
    with HeadlessRenderer(scene, WIDTH, HEIGHT, validate=True) as renderer:
        pixels = renderer.render(2)
        assert np.array_equal(scene.positions.read(), StaticMesh.POSITIONS)
        assert np.array_equal(scene.indices.read(), StaticMesh.INDICES)
        assert scene.indices.read().dtype == np.uint32 and scene.normals.read().shape == (3, 3)
    lit = pixels[..., :3].max(axis=2) > 60
    left, right = lit[:, : WIDTH // 2].sum(), lit[:, WIDTH // 2 :].sum()
    assert left > 200 and right < left / 10, (left, right)  # the triangle is left of the centre
    renderer.context.check_validation("after teardown")


@pytest.mark.parametrize("in_flight", [2, 3])
def test_write_from_update_with_frames_in_flight(in_flight):
    scene = Mover(every=3)
    with HeadlessRenderer(scene, WIDTH, HEIGHT, validate=True, frames_in_flight=in_flight) as renderer:
        seen = {frame: lit_column(pixels) for frame, pixels in renderer.frames_iter(21)}
        final = scene.positions.read()
    assert sorted(seen) == list(range(21))
    for frame, column in seen.items():
        # each frame shows what update() wrote for it; the slots are ~15 px apart
        assert abs(column - column_of(slot(frame, 3))) < 3, (frame, column)
    assert sorted(scene.read_back) == [0, 6, 12, 18]
    for frame, data in scene.read_back.items():
        assert np.array_equal(data, row_at(slot(frame, 3))), frame
    assert np.array_equal(final, row_at(slot(18, 3)))
    renderer.context.check_validation("after teardown")


def test_read_gives_what_the_kernels_computed():
    scene = Counter()
    with HeadlessRenderer(scene, 32, 32, validate=True) as renderer:
        renderer.render(12)
        result = scene.values.read()
    assert result.dtype == np.int32 and result.shape == (1000,)
    assert np.array_equal(result, simulate_counter(12))
    assert np.array_equal(scene.seen[5], simulate_counter(6))  # read in update: after this frame's launches
    assert np.array_equal(scene.seen[6], simulate_counter(7))
    renderer.context.check_validation("after teardown")


def test_the_test_kit_renders_a_scene_with_data():
    pixels, context = testing.render_scene(StaticParticles(), 3, size=(WIDTH, HEIGHT))
    assert abs(lit_column(pixels) - column_of(-0.5)) < 3


@pytest.fixture
def loaded():
    renderer = HeadlessRenderer(StaticParticles(), 32, 32, validate=True)
    yield renderer
    renderer.close()
    renderer.context.check_validation("after teardown")


NAME = "static-particles.positions"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            row_at(0.0).astype(np.float64),
            f"{NAME}: data is float64, the array holds float32 (convert it: data.astype(np.float32))",
        ),
        (
            row_at(0.0).reshape(3, COUNT),
            f"{NAME}: data has shape (3, {COUNT}), the array ({COUNT}, 3); reshape it to that",
        ),
        (
            row_at(0.0)[:10],
            f"{NAME}: data holds 30 values, the array {3 * COUNT} (shape ({COUNT}, 3)); give exactly that many",
        ),
        (
            row_at(0.0).tolist(),
            f"{NAME}: data must be a numpy array, not list (np.asarray(data, dtype=np.float32) makes one)",
        ),
    ],
    ids=["dtype", "shape", "size", "not-numpy"],
)
def test_data_that_does_not_fit_is_refused(loaded, data, message):
    positions = loaded.scene.positions
    before = positions.read()
    with pytest.raises(ArgumentError) as error:
        positions.write(data)
    assert str(error.value) == message
    assert np.array_equal(positions.read(), before)  # nothing was written


def test_a_non_contiguous_array_is_written_in_order(loaded):
    positions = loaded.scene.positions
    wide = np.zeros((COUNT, 6), np.float32)
    wide[:, ::2] = row_at(0.25)
    data = wide[:, ::2]
    assert not data.flags.c_contiguous
    positions.write(data)
    assert np.array_equal(positions.read(), row_at(0.25))
    transposed = np.ascontiguousarray(row_at(0.3).T).T  # Fortran order
    positions.write(transposed)
    assert np.array_equal(positions.read(), row_at(0.3))


def test_closing_right_after_a_write(loaded):
    loaded.scene.positions.write(row_at(0.1))  # nothing waits for this copy but the close
    loaded.close()


def test_wrong_data_at_setup_names_the_scene_and_the_array():
    class BadData(Scene):
        name = "bad-data"

        def setup(self, gpu):
            gpu.array("indices", (4,), np.uint32, data=np.arange(4))

        def update(self, frame, dt, input):
            pass

    with pytest.raises(SceneError) as error:
        HeadlessRenderer(BadData(), 32, 32, validate=True)
    assert str(error.value).endswith(
        "scene 'bad-data' setup failed: bad-data.indices: data is int64, the array holds uint32 "
        "(convert it: data.astype(np.uint32))"
    )


def test_a_released_array_is_refused():
    scene = StaticParticles()
    with HeadlessRenderer(scene, 32, 32, validate=True) as renderer:
        renderer.render(1)
        renderer.switch(Mover())
        message = (
            f"{NAME} was released with its scene (the renderer was closed or switched scenes); it cannot be "
        )
        with pytest.raises(ArgumentError) as error:
            scene.positions.write(row_at(0.0))
        assert str(error.value) == message + "written"
        moved = renderer.scene.positions
    with pytest.raises(ArgumentError) as error:
        moved.read()
    assert str(error.value) == "mover.positions" + message[len(NAME) :] + "read"
    renderer.context.check_validation("after teardown")


def test_data_in_the_window(display, tmp_path):
    from renderer.app.interactive import InteractiveApp

    with InteractiveApp(
        [Mover],
        params={"every": 2},
        size=(WIDTH, HEIGHT),
        vsync=False,
        validate=True,
        out_dir=tmp_path,
        stop_on_error=True,
    ) as app:
        app.run(max_frames=9)
        assert app.rendered == 9
        scene = app.loaded.scene
        final = scene.positions.read()
    assert np.array_equal(final, row_at(slot(8, 2)))
    assert sorted(scene.read_back) == [0, 4, 8]
    app.context.validation_log.raise_if_any("in the window test")


def test_on_a_device_taichi_created():
    """Taichi allocates the arrays there (the renderer draws what it exports): data=, write and read still work."""
    from renderer.compute.runtime import TaichiRuntime
    from renderer.device import vk

    runtime = TaichiRuntime.create_vulkan(vk.VK_MAKE_VERSION(1, 3, 0))
    try:
        scene = Counter()
        with HeadlessRenderer(scene, WIDTH, HEIGHT, taichi_runtime=runtime) as renderer:
            renderer.render(12)
            assert np.array_equal(scene.values.read(), simulate_counter(12))
            renderer.switch(Mover())
            renderer.render(7)
            assert np.array_equal(renderer.scene.positions.read(), row_at(slot(6, 3)))
            assert sorted(renderer.scene.read_back) == [0, 6]
            for frame, data in renderer.scene.read_back.items():
                assert np.array_equal(data, row_at(slot(frame, 3))), frame
    finally:
        runtime.destroy()
