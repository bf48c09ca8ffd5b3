"""The test kit for scene authors: golden-image comparison (`golden`) and a pytest plugin (`pytest_plugin`,
also reachable as `renderer.pytest_plugin`)."""

from .golden import (
    Comparison,
    assert_matches_reference,
    check_scene,
    compare,
    compare_on_this_device,
    diff_image,
    render_scene,
)

__all__ = [
    "Comparison",
    "assert_matches_reference",
    "check_scene",
    "compare",
    "compare_on_this_device",
    "diff_image",
    "render_scene",
]
