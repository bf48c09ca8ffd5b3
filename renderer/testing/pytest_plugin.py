"""A pytest plugin for scene authors: `--regenerate` and the `scene_check` fixture.

In your own tests (with this framework installed, or `pytest_plugins = ["renderer.pytest_plugin"]` in your
conftest.py):

    def test_my_scene(scene_check):
        scene_check(MyScene(count=1000), "references/my_scene.png", frames=30)

This renders the scene headless with the validation layer on (any warning or error fails the test), and on
lavapipe compares the last frame with the PNG: per-pixel differences in a signed type, a small tolerance, a
`.diff.png` and `.actual.png` written beside the reference on failure. `pytest --regenerate` writes the
references instead; look at them before you commit them. Relative paths are relative to the test's file.
"""

from pathlib import Path

import pytest

from . import golden as testing


def pytest_addoption(parser):
    parser.addoption(
        "--regenerate",
        action="store_true",
        help="write the reference images of render tests instead of comparing with them",
    )


@pytest.fixture
def regenerate(request) -> bool:
    """True when pytest runs with `--regenerate`: render tests write their reference images."""
    return request.config.getoption("--regenerate")


@pytest.fixture
def scene_check(request, regenerate):
    """A function `scene_check(scene, reference, *, frames, size=(320, 180), dt=1 / 60, **tolerance)` that
    renders `scene` for `frames` frames and compares the last with the PNG `reference` (relative to the
    test's file), as `renderer.testing.check_scene` does; `tolerance` is its `atol` and `max_bad_fraction`.
    Returns the Comparison, or None where it did not compare (not on lavapipe, or with `--regenerate`)."""
    base = Path(request.node.path).parent

    def check(scene, reference, *, frames: int, size=(320, 180), dt: float = 1 / 60, **tolerance):
        return testing.check_scene(
            scene, base / reference, frames=frames, size=size, dt=dt, regenerate=regenerate, **tolerance
        )

    return check
