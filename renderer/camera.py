"""A perspective camera looking at a target: the matrices the shaders use (Vulkan clip space, y down)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def look_at(eye, target, up) -> np.ndarray:
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    forward = target - eye
    forward /= np.linalg.norm(forward)
    side = np.cross(forward, up)
    side /= np.linalg.norm(side)
    true_up = np.cross(side, forward)
    view = np.identity(4)
    view[0, :3], view[1, :3], view[2, :3] = side, true_up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def perspective(fov_y_degrees: float, aspect: float, near: float, far: float) -> np.ndarray:
    """Right-handed view space to Vulkan clip space: depth 0..1, y pointing down the screen."""
    f = 1.0 / np.tan(np.radians(fov_y_degrees) / 2)
    proj = np.zeros((4, 4))
    proj[0, 0] = f / aspect
    proj[1, 1] = -f
    proj[2, 2] = far / (near - far)
    proj[2, 3] = near * far / (near - far)
    proj[3, 2] = -1.0
    return proj


@dataclass
class Camera:
    eye: tuple = (0.0, 0.0, 2.5)
    target: tuple = (0.0, 0.0, 0.0)
    up: tuple = (0.0, 1.0, 0.0)
    fov_y: float = 45.0
    near: float = 0.01
    far: float = 100.0

    def view_projection(self, aspect: float) -> np.ndarray:
        return perspective(self.fov_y, aspect, self.near, self.far) @ look_at(self.eye, self.target, self.up)

    def projection_scale(self) -> float:
        """Pixels per unit of (size / distance) per pixel of viewport height: 1 / tan(fov_y / 2)."""
        return float(1.0 / np.tan(np.radians(self.fov_y) / 2))
