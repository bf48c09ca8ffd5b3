"""A draw's model transform: a 4x4 matrix (as written in maths) from the draw's own coordinates to the world's.

A scene sets it in `setup()` or `update()`; the frame being prepared uses it (it is written into that frame's
uniforms with the camera). Normals go through the inverse transpose of its upper 3x3, so a non-uniform scale
keeps them perpendicular to the surface.
"""

from __future__ import annotations

import numpy as np

from ..errors import RendererError

IDENTITY = np.eye(4, dtype=np.float32)


def check_transform(value, what: str = "transform") -> np.ndarray:
    """`value` as a float32 4x4 matrix, or RendererError naming what is wrong (shape, non-numbers, non-finite
    entries, or an upper 3x3 that cannot be inverted)."""
    try:
        matrix = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise RendererError(f"{what} must be a 4x4 matrix of numbers, not {type(value).__name__}") from None
    if matrix.shape != (4, 4):
        raise RendererError(f"{what} must be a 4x4 matrix, not shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise RendererError(f"{what} must be finite; it holds {matrix[~np.isfinite(matrix)][0]}")
    if abs(np.linalg.det(matrix[:3, :3])) < 1e-30:
        raise RendererError(f"{what}: its upper 3x3 is singular (a zero scale?); normals could not follow it")
    return matrix.astype(np.float32)


class Transformable:
    """A draw with a settable `transform` (4x4, identity by default), and what its shaders need of it."""

    _transform = IDENTITY
    _normal_matrix = np.eye(4, dtype=np.float32)  # of `_transform`: computed when it is set, not every frame

    @property
    def transform(self) -> np.ndarray:
        """The draw's model transform: a 4x4 matrix as written in maths (translation in the last column),
        from the draw's coordinates to the world's. Set it (in setup or update) to move, turn or scale the
        draw from the next frame drawn; it must be finite, with an invertible upper 3x3."""
        return self._transform.copy()

    @transform.setter
    def transform(self, value) -> None:
        transform = check_transform(value)
        normal = np.eye(4, dtype=np.float32)
        normal[:3, :3] = np.linalg.inv(transform[:3, :3].astype(np.float64)).T
        self._transform, self._normal_matrix = transform, normal

    def normal_matrix(self) -> np.ndarray:
        """The inverse transpose of the transform's upper 3x3, in a 4x4 (for the shaders' normals)."""
        return self._normal_matrix
