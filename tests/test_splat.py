"""Point splatting (renderer/point_splat.py): the same image as point sprites, the large particles counted
into the indirect draw, clean under synchronization validation, and the sprite-only path when it is off."""

import numpy as np
import pytest
import vulkan as vk

from renderer import testing
from renderer.app import HeadlessRenderer
from renderer.camera import Camera
from renderer.memory import Buffer, run_once
from scenes.galaxies import Galaxies
from scenes.particles import Particles

SPLAT_MAX_SIZE = 2.0  # px, as in shaders/particles_splat.comp


def particles(splat: bool, eye: float = 2.5, **params):
    class SplatParticles(Particles):
        camera = Camera(eye=(0.0, 0.0, eye))

        def setup(self, gpu):
            self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
            self.draw = gpu.particles(self.positions, radius=self.radius, color=self.color, splat=splat)
            self.step = gpu.kernel("spiral").bind(self.positions, 0.0)

    return SplatParticles(**params)


def read_back(context, buffer: Buffer, dtype) -> np.ndarray:
    """A device-local buffer's contents, after everything submitted so far."""
    host = Buffer(context, buffer.size, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="test readback")

    def record(cb):
        before = vk.VkMemoryBarrier(
            srcAccessMask=vk.VK_ACCESS_SHADER_WRITE_BIT | vk.VK_ACCESS_TRANSFER_WRITE_BIT,
            dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT,
        )
        vk.vkCmdPipelineBarrier(
            cb,
            vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            0,
            1,
            [before],
            0,
            None,
            0,
            None,
        )
        region = vk.VkBufferCopy(srcOffset=0, dstOffset=0, size=buffer.size)
        vk.vkCmdCopyBuffer(cb, buffer.handle, host.handle, 1, [region])
        after = vk.VkMemoryBarrier(
            srcAccessMask=vk.VK_ACCESS_TRANSFER_WRITE_BIT, dstAccessMask=vk.VK_ACCESS_HOST_READ_BIT
        )
        vk.vkCmdPipelineBarrier(
            cb,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            vk.VK_PIPELINE_STAGE_HOST_BIT,
            0,
            1,
            [after],
            0,
            None,
            0,
            None,
        )

    try:
        run_once(context, record)
        return host.read(dtype)
    finally:
        host.destroy()


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


def test_small_particles_splat_to_the_sprite_image():
    """radius 0.002 at 640x360: every sprite is clamped to 1 px."""
    params = {"count": 20_000, "radius": 0.002}
    sprite, _ = render(particles(False, **params), (640, 360))
    scene = particles(True, **params)
    splat, context = render(scene, (640, 360))
    assert_same_image(splat, sprite, context)


def test_mixed_sizes_splat_small_and_draw_large_as_sprites():
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
        assert draw.splat is not None and draw.splat.active
        command = read_back(r.context, draw.splat.draws[slot], np.uint32)
        positions = read_back(r.context, scene.positions.buffer, np.float32).reshape(-1, 3)
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
    assert list(command[1:]) == [1, 0, 0, 0]
    assert_same_image(splat, sprite, context)


def test_per_particle_colours_splat_like_sprites():
    class Sprites(Galaxies):
        def setup(self, gpu):
            original = gpu.particles
            gpu.particles = lambda *a, **kw: original(*a, **kw, splat=False)
            super().setup(gpu)

    params = {"count": 20_000, "radius": 0.004}
    sprite, _ = render(Sprites(**params), (480, 270), frames=20)
    splat, context = render(Galaxies(**params), (480, 270), frames=20)
    assert_same_image(splat, sprite, context)


@pytest.mark.parametrize("reason", ["option", "feature"])
def test_sprites_only_when_splatting_is_off(reason, monkeypatch):
    """splat=False, or a device without 64-bit buffer atomics: the particles are all drawn as sprites."""
    from renderer.context import VulkanContext

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
