"""The other direction of the seed API: Taichi creates the device (ti_create_vulkan_runtime_ext), the renderer
adopts it (ti_export_vulkan_runtime) and draws buffers Taichi allocated (ti_export_vulkan_memory)."""

from pathlib import Path

import numpy as np
import vulkan as vk

from renderer import testing
from renderer.app.headless import HeadlessRenderer
from renderer.compute.runtime import TaichiRuntime
from scenes.particles import Particles

REFERENCES = Path(__file__).parent / "references"


def test_renderer_draws_on_a_device_taichi_created(regenerate):
    runtime = TaichiRuntime.create_vulkan(vk.VK_MAKE_VERSION(1, 3, 0))
    try:
        exported = runtime.export_vulkan()
        assert exported.device and exported.graphics_queue and exported.instance
        with HeadlessRenderer(Particles(count=30_000, radius=0.008), 480, 270, taichi_runtime=runtime) as r:
            buffer = r.scene.positions.buffer
            assert not buffer.owned  # Taichi's allocation, exported
            assert buffer.usage & vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
            assert r.loaded.drawables[0].splat is None  # features not enabled there: sprites only
            pixels = r.render(31, dt=1 / 60)
            on_lavapipe = testing.compare_on_this_device(r.context)
        assert runtime.handle is not None  # the caller's runtime outlives the renderer
    finally:
        runtime.destroy()
    assert (pixels[..., 2] > 100).sum() > 3000  # the spiral is drawn
    if on_lavapipe or regenerate:
        # Taichi's device does not enable largePoints, so sprites are 1 px there: a reference of its own.
        testing.assert_matches_reference(
            pixels, REFERENCES / "particles_frame30_taichi_device.png", regenerate=regenerate
        )


def test_exported_memory_describes_a_taichi_buffer():
    from renderer.compute.taichi_api import lib

    with TaichiRuntime.create_vulkan() as runtime:
        memory = runtime.allocate_memory(
            4096, lib.TI_MEMORY_USAGE_STORAGE_BIT | lib.TI_MEMORY_USAGE_VERTEX_BIT
        )
        info = runtime.export_memory(memory)
        memory.destroy()
    assert info.buffer != 0 and info.memory != 0 and info.size >= 4096
    expected = vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
    assert info.usage & expected == expected
    assert np.uint64(info.offset) >= 0
