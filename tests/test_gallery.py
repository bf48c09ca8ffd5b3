"""Each built-in scene renders at a fixed frame (fixed dt, deterministic) and matches its golden image,
through the same test kit (renderer.pytest_plugin) that scene authors use."""

import pytest

from renderer.scene import registry

# scene name -> (parameters, frames, reference); kept small so lavapipe renders them in seconds. The fluid's and
# the boids' kernels loop over neighbours inside their parallel loops: loading them warns of llvmpipe's loop
# limiter (LoopLimitWarning, counted in tests/test_kernel_parity.py), far below which they stay
GALLERY = {
    "particles": ({"count": 30_000, "radius": 0.008}, 31, "references/particles_frame30.png"),
    "galaxies": ({"count": 20_000, "radius": 0.006}, 90, "references/galaxies_frame89.png"),
    "cloth": ({"resolution": 32}, 60, "references/cloth_frame59.png"),
    "reaction-diffusion": ({"size": 128}, 100, "references/reaction_diffusion_frame99.png"),
    "fluid": ({"count": 2048}, 60, "references/fluid_frame59.png"),
    "boids": ({"count": 768, "size": 0.14}, 150, "references/boids_frame149.png"),
}


def test_every_builtin_scene_has_a_golden_image():
    assert set(registry.builtin_scenes()) == set(GALLERY)


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_scene_matches_golden_image(name, scene_check):
    params, frames, reference = GALLERY[name]
    scene = registry.builtin_scenes()[name](**params)
    size = (480, 270) if name == "particles" else (320, 180)
    scene_check(scene, reference, frames=frames, size=size)
