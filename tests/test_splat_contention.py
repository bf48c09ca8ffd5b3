"""Point splatting where many particles fall on few pixels (renderer/draw/point_splat.py): the reduction within a
subgroup before the atomic, forced on and off, draws the same image, dense or spread; the nearest of thousands
of particles on one pixel wins (ties: the lowest index), as with sprites; the particle passes index past one row
of workgroups; and the limits on the particle count are named where they are met."""

import math

import numpy as np
import pytest

from bench.splat_cases import flatten
from renderer import testing
from renderer.app.headless import HeadlessRenderer
from renderer.camera import Camera
from renderer.draw import point_splat
from renderer.errors import OutOfMemoryError, RendererError
from renderer.scene import Scene
from scenes.particles import Particles

SIZE = (320, 180)
DENSE_EYE = 6.1  # the spiral (1.8 world units wide) covers about 64x64 px of the 320x180 frame
SPREAD_EYE = 1.3  # ... or most of it


def spiral(eye: float, count: int, flat: bool = False, **params):
    """The particle scene's spiral seen from `eye`; `flat`: pressed to z = 0 (one depth for all, as a 2D
    simulation seen head-on), so that the particles' order alone decides each pixel."""

    class Spiral(Particles):
        camera = Camera(eye=(0.0, 0.0, eye))
        kernels = (*Particles.kernels, flatten)

        def setup(self, gpu):
            self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
            self.draw = gpu.particles(self.positions, radius=self.radius, color=self.color)
            self.step = gpu.kernel("spiral").bind(self.positions, 0.0)
            self.flatten = gpu.kernel("flatten").bind(self.positions)

        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            if flat:
                self.flatten()

    return Spiral(count=count, **params)


def render(scene, reduction, monkeypatch, frames=4, size=SIZE):
    """The last frame and the splat's reduction, with SPLAT's reduction forced (None: the device's own), under
    validation. The scene keeps the draw's splat's grid of workgroups (`groups`) and runs per workgroup (`batch`)."""
    monkeypatch.setattr(point_splat, "REDUCTION", reduction)
    with HeadlessRenderer(scene, *size, validate=True) as r:  # any validation message fails the render
        pixels = r.render(frames)
        splat = scene.draw.splat
        assert splat is not None and scene.draw.splatting
        scene.groups, scene.batch = splat.particle_groups, splat.batch
        return pixels, splat.reduction


@pytest.fixture
def reduction(monkeypatch):
    """A reduction this device can do ("partitioned" where it has it, else "ballot"), to compare with "off"."""
    with HeadlessRenderer(spiral(2.5, 1_000), 32, 32) as r:
        for name in ("partitioned", "ballot"):
            monkeypatch.setattr(point_splat, "REDUCTION", name)
            try:
                return point_splat.subgroup_reduction(r.context)
            except RendererError:
                pass
    pytest.skip("this device's subgroups cannot reduce (no ballot and arithmetic in compute shaders)")


@pytest.mark.parametrize("by_pixel", [False, True], ids=["pass 2 by particle", "pass 2 by pixel"])
@pytest.mark.parametrize("case", ["dense", "flat", "spread"])
def test_the_reduction_draws_the_same_image(case, by_pixel, reduction, monkeypatch):
    """200,000 particles on about 1,500 pixels (camera far away; flat: all at one depth) or spread over the
    frame: exactly the same pixels with the subgroup reduction as with one atomic per particle and pixel."""
    from_ = 0.0 if by_pixel else math.inf
    monkeypatch.setattr(point_splat, "TAKE_BY_PIXEL_FROM", {"CPU": from_, "GPU": from_})
    eye = SPREAD_EYE if case == "spread" else DENSE_EYE
    scene = spiral(eye, 200_000, flat=case == "flat", radius=0.002)
    reduced, used = render(scene, reduction, monkeypatch)
    assert used == reduction
    direct, used = render(spiral(eye, 200_000, flat=case == "flat", radius=0.002), "off", monkeypatch)
    assert used == "off"
    lit = int((direct[..., :3].max(axis=-1) > 40).sum())
    if case != "spread":
        assert 300 < lit < 2_000  # over 100 particles a pixel
    else:
        assert lit > 6_000
    assert (reduced == direct).all(), f"{int((reduced != direct).any(axis=-1).sum())} pixels differ"


GROUP = 4096


def one_pixel_data():
    """Positions and colours of two groups of GROUP particles: one on one pixel at many depths (the nearest must
    win), one all at one point (the lowest index must win); and the two winners' indices."""
    rng = np.random.default_rng(7)
    depths = rng.permutation(np.linspace(-0.9, 0.9, GROUP, dtype=np.float32))
    positions = np.zeros((2 * GROUP, 3), np.float32)
    positions[:GROUP] = (0.013, -0.021, 0.0)
    positions[:GROUP, 2] = depths
    positions[GROUP:] = (-0.31, 0.22, 0.4)
    colors = rng.uniform(0.2, 1.0, positions.shape).astype(np.float32)
    return positions, colors, [int(np.argmax(depths)), GROUP]  # the eye looks down -z


class OnePixel(Scene):
    """one_pixel_data() seen orthographically, so that each group's particles cover the same pixels; `keep`:
    only those particles."""

    name = "one-pixel"
    camera = Camera(orthographic=True)

    def __init__(self, keep=None, splat=True, **params):
        super().__init__(**params)
        self.keep, self.splat = keep, splat

    def setup(self, gpu):
        positions, colors, _ = one_pixel_data()
        if self.keep is not None:
            positions, colors = positions[self.keep], colors[self.keep]
        self.positions = gpu.array("positions", data=positions, element_shape=(3,))
        self.colors = gpu.array("colors", data=colors, element_shape=(3,))
        # 1.6 px at 180 px: each group covers one to four pixels
        self.draw = gpu.particles(self.positions, radius=0.009, colors=self.colors, splat=self.splat)

    def update(self, frame, dt, input):
        pass


@pytest.mark.parametrize("reduced", [True, False], ids=["reduction", "no reduction"])
def test_the_nearest_of_thousands_on_one_pixel_wins(reduced, reduction, monkeypatch):
    """Each group's pixels are those of its winner drawn alone; the sprites agree on who wins (depth test LESS,
    in index order)."""
    reduction = reduction if reduced else "off"
    everything, _ = render(OnePixel(), reduction, monkeypatch, frames=2)
    alone, _ = render(OnePixel(keep=one_pixel_data()[2]), reduction, monkeypatch, frames=2)
    lit = alone[..., :3].max(axis=-1) > 40
    assert lit.sum() >= 2  # both groups drawn
    assert (everything == alone).all(), f"{int((everything != alone).any(axis=-1).sum())} pixels differ"
    monkeypatch.setattr(point_splat, "REDUCTION", None)
    with HeadlessRenderer(OnePixel(splat=False), *SIZE, validate=True) as r:
        sprites = r.render(2)
        compare = testing.compare_on_this_device(r.context)  # other drivers round gl_PointCoord otherwise
    if compare:
        assert np.abs(sprites[lit].astype(int) - alone[lit].astype(int)).max() <= 3


def test_a_reduction_the_device_lacks_is_refused(monkeypatch):
    with HeadlessRenderer(spiral(2.5, 1_000), 32, 32) as r:
        context = r.context
        monkeypatch.setattr(point_splat, "REDUCTION", "sideways")
        with pytest.raises(RendererError, match="use one of"):
            point_splat.subgroup_reduction(context)
        if not r.context.enabled_features.get("subgroupPartitioned"):
            monkeypatch.setattr(point_splat, "REDUCTION", "partitioned")
            with pytest.raises(RendererError, match="lacks it"):
                point_splat.subgroup_reduction(context)
        monkeypatch.setattr(point_splat, "REDUCTION", "off")
        assert point_splat.subgroup_reduction(context) == "off"
        monkeypatch.setattr(point_splat, "REDUCTION", None)  # the default: none (measured to cost more)
        assert point_splat.subgroup_reduction(context) == "off"


def test_particle_passes_beyond_one_row_of_workgroups(monkeypatch):
    """A device whose rows hold 7 workgroups (896 particles): the passes go over a grid of rows, and the image
    is the one of a single row."""
    one_row, _ = render(spiral(2.5, 20_000, radius=0.002), None, monkeypatch)
    grid = point_splat.particle_groups
    monkeypatch.setattr(point_splat, "particle_groups", lambda count, limits: grid(count, (7, limits[1])))
    scene = spiral(2.5, 20_000, radius=0.002)
    rows, _ = render(scene, None, monkeypatch)
    assert scene.groups == (7, math.ceil(20_000 / 128 / 7))
    assert (rows == one_row).all()


@pytest.mark.parametrize("by_pixel", [False, True], ids=["pass 2 by particle", "pass 2 by pixel"])
def test_workgroups_taking_several_runs_of_particles_draw_the_same_image(by_pixel, monkeypatch):
    """SPLAT and SHADE_BY_PARTICLE with each workgroup taking 5 runs of 128 particles (BATCH), over a count
    that leaves the last workgroup's runs partly and wholly empty, in a grid of rows: the image of one run."""
    from_ = 0.0 if by_pixel else math.inf
    monkeypatch.setattr(point_splat, "TAKE_BY_PIXEL_FROM", {"CPU": from_, "GPU": from_})
    count = 20_000  # 31.25 workgroups of 5 runs
    one_run, _ = render(spiral(SPREAD_EYE, count, radius=0.002), None, monkeypatch)
    monkeypatch.setattr(point_splat, "BATCH", 5)
    grid = point_splat.particle_groups
    monkeypatch.setattr(point_splat, "particle_groups", lambda count, limits: grid(count, (7, limits[1])))
    scene = spiral(SPREAD_EYE, count, radius=0.002)
    runs, _ = render(scene, None, monkeypatch)
    assert scene.batch == 5 and scene.groups == (7, math.ceil(count / 128 / 5 / 7))
    assert int((one_run[..., :3].max(axis=-1) > 40).sum()) > 6_000
    assert (runs == one_run).all(), f"{int((runs != one_run).any(axis=-1).sum())} pixels differ"


def test_runs_per_workgroup_leave_enough_workgroups():
    """The most runs of BATCHES up to the device's most that leave MIN_GROUPS workgroups: none on a CPU driver,
    none for few particles, 16 for tens of millions on a GPU."""
    least = point_splat.WORKGROUP * point_splat.MIN_GROUPS
    gpu, cpu = point_splat.MAX_BATCH["GPU"], point_splat.MAX_BATCH["CPU"]
    assert point_splat.runs_per_workgroup(10_000, gpu) == 1
    assert point_splat.runs_per_workgroup(4 * least - 1, gpu) == 1
    assert point_splat.runs_per_workgroup(4 * least, gpu) == 4
    assert point_splat.runs_per_workgroup(16 * least, gpu) == 16
    assert point_splat.runs_per_workgroup(100_000_000, gpu) == 16
    assert point_splat.runs_per_workgroup(100_000_000, cpu) == 1


def test_a_new_count_takes_the_pipelines_of_its_runs(monkeypatch):
    """A count set from update() that crosses to another number of runs per workgroup: the frames record again
    with that number's pipelines, and draw what one run per workgroup draws."""
    monkeypatch.setattr(point_splat, "MIN_GROUPS", 2)
    monkeypatch.setattr(point_splat, "MAX_BATCH", {"CPU": 16, "GPU": 16})
    counts = [300, 20_000, 1_500]  # 1, 16 and 4 runs per workgroup

    class Changing(type(spiral(SPREAD_EYE, 1))):
        def update(self, frame, dt, input):
            self.draw.count = counts[frame]
            super().update(frame, dt, input)

    def frames(scene):
        with HeadlessRenderer(scene, *SIZE, validate=True) as r:
            images = []
            for _, pixels in r.frames_iter(len(counts), 1 / 60):
                images.append(pixels.copy())
                scene.batches = sorted({batch for _, batch in scene.draw.splat.pipelines})
            return images

    changing = Changing(count=20_000, radius=0.002)
    batched = frames(changing)
    assert changing.batches == [1, 4, 16]
    monkeypatch.setattr(point_splat, "BATCH", 1)
    one_run = Changing(count=20_000, radius=0.002)
    for a, b in zip(frames(one_run), batched, strict=True):
        assert (a == b).all()
    assert one_run.batches == [1]


def test_particle_groups_and_the_largest_counts():
    assert point_splat.particle_groups(100, (65_535, 65_535)) == (1, 1)
    assert point_splat.particle_groups(100_000_000, (65_535, 65_535)) == (65_535, 12)
    assert point_splat.particle_groups(100_000_000, (2**31 - 1, 65_535)) == (781_250, 1)
    # rows of 7: the last row partly filled
    assert point_splat.particle_groups(7 * 128 * 3 + 1, (7, 65_535)) == (7, 4)


class BigArray(Scene):
    name = "big-array"
    elements = 1

    def setup(self, gpu):
        gpu.array("positions", (self.elements,), element_shape=(3,))


@pytest.mark.parametrize("count", [100_000_000, 180_000_000])
def test_the_limit_met_by_a_large_count_is_named(count):
    """100M vec3 positions (1.2 GB) fit a Taichi ndarray but not lavapipe's storage buffers (128 MiB); 180M
    (2.16 GB) do not fit a Taichi ndarray (2^31 bytes) on any device. Refused before anything is allocated."""
    with HeadlessRenderer(spiral(2.5, 10), 16, 16) as probe:
        limit = probe.context.max_storage_buffer_range
    scene = BigArray()
    scene.elements = count
    nbytes = 12 * count
    if nbytes <= 2**31 and nbytes <= limit:
        pytest.skip(f"this device binds {nbytes:,} bytes as one storage buffer")
    with pytest.raises(OutOfMemoryError) as caught:
        HeadlessRenderer(scene, 16, 16, validate=True)
    message = str(caught.value)
    assert f"big-array.positions needs {nbytes:,} bytes" in message
    if nbytes > 2**31:
        assert "Taichi kernel can address in one ndarray (2^31 bytes" in message
    else:
        assert f"maxStorageBufferRange {limit:,} bytes" in message
    assert f"give array 'positions' fewer elements than ({count},)" in message
