"""Image comparison for render tests: per-pixel tolerance in a signed type, references kept as PNG files,
regeneration on request, and a diff image written beside the reference on failure.

Comparisons are only meaningful on the device the references were made on (lavapipe, in CI): elsewhere a test
still renders (and checks validation) but `compare_on_this_device()` says to skip the pixel comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..app.headless import HeadlessRenderer
from ..errors import OutputError
from ..files import save_png

REFERENCE_DEVICE = "llvmpipe"  # lavapipe's device name


@dataclass
class Comparison:
    """The result of `compare()`: the largest per-pixel difference, how many pixels differ by more than `atol`
    out of how many; `str()` says it in a sentence."""

    max_difference: int
    bad_pixels: int
    total_pixels: int
    atol: int

    @property
    def bad_fraction(self) -> float:
        """The share of pixels that differ by more than `atol` (0..1)."""
        return self.bad_pixels / self.total_pixels

    def __str__(self) -> str:
        return (
            f"{self.bad_pixels} of {self.total_pixels} pixels ({100 * self.bad_fraction:.3f}%) differ by "
            f"more than {self.atol}; largest difference {self.max_difference}"
        )


def compare_on_this_device(context) -> bool:
    """Whether the references apply to `context`'s device: they were made on lavapipe (llvmpipe), and other
    devices render slightly differently, so elsewhere a render test checks everything but the pixels."""
    return REFERENCE_DEVICE in context.device_name


def compare(actual: np.ndarray, reference: np.ndarray, atol: int = 3) -> Comparison:
    """Compare two images of one shape (HxW or HxWxC, uint8) pixel by pixel, in a signed type: a pixel differs
    when any of its channels differs by more than `atol`. AssertionError if the shapes differ."""
    if actual.shape != reference.shape:
        raise AssertionError(f"image shape {actual.shape} differs from the reference's {reference.shape}")
    diff = np.abs(actual.astype(np.int16) - reference.astype(np.int16))  # uint8 subtraction would wrap
    per_pixel = diff.max(axis=-1) if diff.ndim == 3 else diff
    return Comparison(int(per_pixel.max(initial=0)), int((per_pixel > atol).sum()), per_pixel.size, atol)


def diff_image(actual: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Grey reference with the differing pixels in red, scaled by how much they differ."""
    diff = np.abs(actual.astype(np.int16) - reference.astype(np.int16)).max(axis=-1)
    grey = (reference[..., :3].astype(np.float32).mean(axis=-1) * 0.3).astype(np.uint8)
    out = np.stack([grey, grey, grey], axis=-1)
    mask = diff > 0
    out[mask, 0] = np.clip(64 + diff[mask] * 4, 0, 255).astype(np.uint8)
    out[mask, 1:] = 0
    return out


def assert_matches_reference(
    pixels: np.ndarray,
    reference: Path,
    *,
    regenerate: bool = False,
    atol: int = 3,
    max_bad_fraction: float = 0.0005,
) -> Comparison | None:
    """Compare RGB of `pixels` with the PNG at `reference`; write it instead when regenerating or absent."""
    rgb = np.ascontiguousarray(pixels[..., :3])
    reference = Path(reference)
    if regenerate:
        reference.parent.mkdir(parents=True, exist_ok=True)
        save_png(reference, rgb)  # whole or not at all: a failed write leaves the old reference
        return None
    if not reference.exists():
        raise AssertionError(
            f"no reference image {reference}: run the test with --regenerate, look at the PNG, then commit it"
        )
    expected = np.asarray(Image.open(reference).convert("RGB"))
    result = compare(rgb, expected, atol)
    if result.bad_fraction > max_bad_fraction:
        actual_path = reference.with_name(reference.stem + ".actual.png")
        diff_path = reference.with_name(reference.stem + ".diff.png")
        try:
            save_png(actual_path, rgb)
            save_png(diff_path, diff_image(rgb, expected))
            see = f"see {actual_path} and {diff_path}"
        except OutputError as exc:
            see = f"the images to look at were not written ({exc})"
        raise AssertionError(
            f"render differs from {reference.name}: {result} (allowed {100 * max_bad_fraction:.3f}%); {see}"
        )
    return result


def render_scene(scene, frames: int, size=(320, 180), dt: float = 1 / 60, validate: bool = True):
    """Render `frames` frames of `scene` headless (validation on); return (last frame's pixels, context)."""
    with HeadlessRenderer(scene, *size, validate=validate) as renderer:
        pixels = renderer.render(frames, dt)
    if validate:
        renderer.context.check_validation("during the render")
    return pixels, renderer.context


def check_scene(
    scene,
    reference: Path,
    *,
    frames: int,
    size=(320, 180),
    dt: float = 1 / 60,
    regenerate: bool = False,
    atol: int = 3,
    max_bad_fraction: float = 0.0005,
):
    """Render a scene for a fixed number of frames and compare the last with a reference PNG (lavapipe only;
    elsewhere it still renders and checks validation). Returns the Comparison, or None if not compared."""
    pixels, context = render_scene(scene, frames, size, dt)
    if not (regenerate or compare_on_this_device(context)):
        return None
    return assert_matches_reference(
        pixels, reference, regenerate=regenerate, atol=atol, max_bad_fraction=max_bad_fraction
    )
