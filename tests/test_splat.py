"""Point splatting (renderer/draw/point_splat.py): the same image as point sprites, the large particles counted
into the indirect draw, clean under synchronization validation, and the sprite-only path when it is off.
The tests of the splatted image run with each kind of pass 2 (by particle, by pixel)."""

import dataclasses
import math

import numpy as np
import pytest

from renderer import testing
from renderer.app.headless import HeadlessRenderer
from renderer.camera import Camera
from renderer.device.memory import read_device_buffer
from renderer.draw import point_splat
from renderer.scene import Param, Scene
from scenes.galaxies import Galaxies
from scenes.particles import Particles

SPLAT_MAX_SIZE = 2.0  # px, as in shaders/particles_splat.comp


@pytest.fixture(params=["by particle", "by pixel"])
def pass_2(request, monkeypatch):
    """Pass 2 of the given kind, whatever the draw's particles per pixel."""
    by_pixel = request.param == "by pixel"
    from_ = 0.0 if by_pixel else math.inf
    monkeypatch.setattr(point_splat, "TAKE_BY_PIXEL_FROM", {"CPU": from_, "GPU": from_})
    return request.param


def particles(splat: bool, eye: float = 2.5, **params):
    class SplatParticles(Particles):
        camera = Camera(eye=(0.0, 0.0, eye))

        def setup(self, gpu):
            self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
            self.draw = gpu.particles(self.positions, radius=self.radius, color=self.color, splat=splat)
            self.step = gpu.kernel("spiral").bind(self.positions, 0.0)

    return SplatParticles(**params)


def render(scene, size, frames=31):
    with HeadlessRenderer(scene, *size, validate=True) as r:  # any validation message fails the render
        pixels = r.render(frames)
        return pixels, r.context


def assert_same_image(splat_pixels, sprite_pixels, context):
    assert (sprite_pixels[..., 2] > 100).sum() > 2000  # something is drawn
    if testing.compare_on_this_device(context):
        # a few pixels differ: the rasterizer snaps the sprite's square to 1/256 px, the splat does not
        comparison = testing.compare(splat_pixels[..., :3], sprite_pixels[..., :3])
        assert comparison.bad_fraction < 0.0005, str(comparison)


def test_small_particles_splat_to_the_sprite_image(pass_2):
    """radius 0.002 at 640x360: every sprite is clamped to 1 px."""
    params = {"count": 20_000, "radius": 0.002}
    sprite, _ = render(particles(False, **params), (640, 360))
    scene = particles(True, **params)
    splat, context = render(scene, (640, 360))
    assert_same_image(splat, sprite, context)


def test_mixed_sizes_splat_small_and_draw_large_as_sprites(pass_2):
    """Camera close: the near particles' sprites are wider than 2 px (drawn by the indirect draw), the far
    ones are splatted; the image is the sprite image, and the indirect draw counts exactly the large ones."""
    params = {"count": 30_000, "radius": 0.0014}
    size = (1280, 720)
    sprite, _ = render(particles(False, eye=1.2, **params), size)
    scene = particles(True, eye=1.2, **params)
    with HeadlessRenderer(scene, *size, validate=True) as r:
        frames = list(r.frames_iter(31))
        splat, slot = frames[-1][1], 30 % r.frames.frames_in_flight
        draw = scene.draw
        assert draw.splatting
        command = read_device_buffer(r.context, draw.splat.draws[slot], np.uint32)
        positions = read_device_buffer(r.context, scene.positions.buffer, np.float32).reshape(-1, 3)
        context = r.context
        # the sprite sizes as particles.vert computes them, from the last frame's positions
        view_projection = r.scene.camera.view_projection(size[0] / size[1])
        w = (np.c_[positions, np.ones(len(positions))] @ view_projection.T)[:, 3]
        sizes = params["radius"] * r.scene.camera.projection_scale() * size[1] / w
        r.context.check_validation("reading back")
    large = int((sizes > SPLAT_MAX_SIZE).sum())
    borderline = int((np.abs(sizes - SPLAT_MAX_SIZE) < 1e-4).sum())
    assert 1000 < large < len(sizes) - 1000  # both paths are used
    assert abs(int(command[0]) - large) <= borderline  # indexCount
    assert list(command[1:5]) == [1, 0, 0, 0]
    assert_same_image(splat, sprite, context)


def test_per_particle_colours_splat_like_sprites(pass_2):
    class Sprites(Galaxies):
        def setup(self, gpu):
            original = gpu.particles
            gpu.particles = lambda *a, **kw: original(*a, **kw, splat=False)
            super().setup(gpu)

    params = {"count": 20_000, "radius": 0.004}
    sprite, _ = render(Sprites(**params), (480, 270), frames=20)
    splat, context = render(Galaxies(**params), (480, 270), frames=20)
    assert_same_image(splat, sprite, context)


class NanColours(Scene):
    """A grid of particles whose every other colour is NaN (a simulation that blew up), one pixel each."""

    name = "nan-colours"
    camera = Camera(eye=(0.0, 0.0, 2.5))
    params = {"splat": Param(True, help="splat the small particles")}

    def setup(self, gpu):
        g = np.linspace(-0.8, 0.8, 40, dtype=np.float32)
        grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
        colours = np.tile(np.float32([0.4, 0.6, 1.0]), (len(grid), 1))
        colours[::2, 1] = np.nan
        positions = gpu.array("positions", (len(grid),), element_shape=(3,))
        positions.write(np.c_[grid, np.zeros(len(grid))].astype(np.float32))
        colors = gpu.array("colors", (len(grid),), element_shape=(3,))
        colors.write(colours)
        gpu.particles(positions, radius=0.002, colors=colors, splat=self.splat)


def test_nan_colours_are_black_splatted_as_drawn(pass_2):
    """A NaN colour component reaches the frame as 0, as the draws' colour attachment writes store it, not as
    the driver's own storage image write makes it (lavapipe: 1): splatted and sprites alike."""
    (sprite, _), (splat, context) = (
        render(NanColours(splat=splat), (160, 120), frames=2) for splat in (False, True)
    )
    for pixels in (sprite, splat):
        green_lost = (pixels[..., 1] == 0) & (pixels[..., 2] > 100)  # the particles of a NaN green
        assert green_lost.sum() >= 300 and not (pixels[..., 1] == 255).any()
    if testing.compare_on_this_device(context):
        comparison = testing.compare(splat[..., :3], sprite[..., :3])
        assert comparison.bad_fraction < 0.0005, str(comparison)


@pytest.mark.parametrize("reason", ["option", "feature"])
def test_sprites_only_when_splatting_is_off(reason, monkeypatch):
    """splat=False, or a device without 64-bit buffer atomics: the particles are all drawn as sprites."""
    from renderer.device.context import VulkanContext

    splat = reason == "feature"  # the option off, or on with the feature missing
    if reason == "feature":
        create = VulkanContext._create_device

        def without_int64_atomics(self, extensions):
            create(self, extensions)
            self.enabled_features["shaderBufferInt64Atomics"] = False

        monkeypatch.setattr(VulkanContext, "_create_device", without_int64_atomics)
    scene = particles(splat, count=5_000, radius=0.002)
    with HeadlessRenderer(scene, 320, 180, validate=True) as r:
        pixels = r.render(3)
        assert scene.draw.splat is None
    assert (pixels[..., 2] > 100).sum() > 500


def with_dust(splat: bool):
    """The cloth scene (a lit mesh over a ball drawn as one large sprite) with a spiral of 20,000 small
    particles through it: the splatted ones must meet the mesh and the ball in depth as sprites do."""
    from scenes.cloth import Cloth
    from scenes.particles import spiral

    class ClothAndDust(Cloth):
        kernels = (*Cloth.kernels, spiral)

        def setup(self, gpu):
            super().setup(gpu)
            self.dust = gpu.array("dust", (20_000,), element_shape=(3,))
            self.dust_draw = gpu.particles(self.dust, radius=0.0015, color=(1.0, 0.8, 0.3), splat=splat)
            self.swirl = gpu.kernel("spiral").bind(self.dust, 0.0)

        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            self.swirl.set("t", frame * dt)
            self.swirl()

    return ClothAndDust()


def test_splatted_particles_meet_other_draws_in_depth(pass_2):
    sprite, _ = render(with_dust(False), (640, 360), frames=20)
    scene = with_dust(True)
    splat, context = render(scene, (640, 360), frames=20)
    assert scene.dust_draw.splatting
    hidden = (sprite[..., 0] > 100) & (sprite[..., 2] < 60)  # yellow dust drawn, somewhere
    assert hidden.sum() > 500
    assert_same_image(splat, sprite, context)


def two_spirals(splat: bool):
    class TwoSpirals(Particles):
        def setup(self, gpu):
            self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
            self.step = gpu.kernel("spiral").bind(self.positions, 0.0)
            self.first = gpu.particles(self.positions, radius=self.radius, color=self.color, splat=splat)
            self.more = gpu.array("more", (self.count,), element_shape=(3,))
            self.second = gpu.particles(self.more, radius=self.radius, color=(1.0, 0.5, 0.2), splat=splat)
            self.step_more = gpu.kernel("spiral").bind(self.more, 0.0)

        def update(self, frame, dt, input):
            super().update(frame, dt, input)
            self.step_more.set("t", frame * dt + 0.3)  # the same spiral turned: the two cross everywhere
            self.step_more()

    return TwoSpirals(count=20_000, radius=0.002)


def test_two_splatted_draws_meet_in_depth(pass_2):
    """Two particle draws crossing everywhere: their small particles share the frame's splat buffer, so each
    pixel keeps the nearest of both, as with sprites."""
    sprite, _ = render(two_spirals(False), (640, 360))
    scene = two_spirals(True)
    splat, context = render(scene, (640, 360))
    assert scene.first.splatting and scene.second.splatting
    assert ((sprite[..., 0] > 150) & (sprite[..., 2] < 100)).sum() > 2000  # the second, orange, is drawn
    assert_same_image(splat, sprite, context)


def test_the_splat_buffers_are_left_empty(pass_2):
    """The buffers are filled once: each frame's pass 2 takes every pixel it won back to empty. By pixel, the
    list of winners has one pixel each, and the indirect dispatch of their shading covers them."""
    scene = particles(True, count=20_000, radius=0.002)
    with HeadlessRenderer(scene, 320, 180, validate=True) as r:
        r.render(7)
        buffers = [slot.shared[point_splat.SPLAT_BUFFER] for slot in r.frames.slots]
        assert len(buffers) == r.frames.frames_in_flight
        for buffer in buffers:
            assert (read_device_buffer(r.context, buffer, np.uint32) == 0xFFFFFFFF).all()
        slot = 6 % r.frames.frames_in_flight  # the last frame's
        command = read_device_buffer(r.context, scene.draw.splat.draws[slot], np.uint32)
        shade_groups, listed = command[8:11], int(command[11])
        if pass_2 == "by pixel":
            winners = read_device_buffer(
                r.context, r.frames.slots[slot].shared[point_splat.WINNERS], np.uint32
            )
            pixels = winners[: 2 * listed : 2]
            assert 2000 < listed < 320 * 180
            assert len(np.unique(pixels)) == listed  # each pixel once
            assert ((pixels & 0xFFFF) < 320).all() and ((pixels >> 16) < 180).all()
            assert (winners[1 : 2 * listed : 2] < 20_000).all()  # particle indices
            assert list(shade_groups) == [math.ceil(listed / point_splat.WORKGROUP), 1, 1]
        else:
            assert point_splat.WINNERS not in r.frames.slots[slot].shared
            assert list(shade_groups) == [0, 1, 1] and listed == 0
        r.context.check_validation("reading back")


def test_sprites_where_a_frame_cannot_be_splatted(monkeypatch):
    """A colour image compute shaders cannot write (storage=False: e.g. a swapchain without STORAGE usage),
    or a frame whose particle ids would run out: those draws are sprites, and the image is the same."""
    from renderer.frame.offscreen import Slot

    target = Slot.target
    monkeypatch.setattr(Slot, "target", lambda self: dataclasses.replace(target(self), storage=False))
    sprite, _ = render(two_spirals(False), (320, 180), frames=5)
    scene = two_spirals(True)
    pixels, _ = render(scene, (320, 180), frames=5)
    assert not scene.first.splatting and not scene.second.splatting
    assert (pixels == sprite).all()

    monkeypatch.undo()
    monkeypatch.setattr(point_splat, "MAX_IDS", 30_000)  # room for the first draw's 20,000 only
    scene = two_spirals(True)
    splat, context = render(scene, (320, 180), frames=5)
    assert scene.first.splatting and not scene.second.splatting
    assert_same_image(splat, sprite, context)


def test_pass_2_by_pixel_only_where_one_dispatch_covers_the_frame():
    by_pixel = point_splat.take_by_pixel
    assert by_pixel(100_000, 1280, 720, 0.1, 65_535)  # 0.11 particles per pixel
    assert not by_pixel(90_000, 1280, 720, 0.1, 65_535)
    # 4096x2160: 8,847,360 pixels in whole tiles would need 69,120 workgroups of SHADE_LISTED
    assert not by_pixel(10_000_000, 4096, 2160, 0.1, 65_535)
    assert by_pixel(10_000_000, 4096, 2160, 0.1, 2**31 - 1)
