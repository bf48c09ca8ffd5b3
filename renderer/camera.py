"""A perspective camera looking at a target: the matrices the shaders use (Vulkan clip space, y down)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def look_at(eye, target, up) -> np.ndarray:
    """The 4x4 view matrix of an eye at `eye` looking at `target`, `up` pointing up (right-handed)."""
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
    """Where a scene is seen from: the `eye` looks at `target` with `up` pointing up the screen; `fov_y` is the
    vertical field of view in degrees, `near` and `far` the clip distances (world units). A scene declares its
    starting view as its class attribute `camera = Camera(eye=(0, 1, 3))`; the window's mouse moves a copy of
    it (R resets it)."""

    eye: tuple = (0.0, 0.0, 2.5)
    target: tuple = (0.0, 0.0, 0.0)
    up: tuple = (0.0, 1.0, 0.0)
    fov_y: float = 45.0
    near: float = 0.01
    far: float = 100.0

    def view_projection(self, aspect: float) -> np.ndarray:
        """The 4x4 matrix from world space to Vulkan clip space for a frame `aspect` (width / height) wide."""
        return perspective(self.fov_y, aspect, self.near, self.far) @ look_at(self.eye, self.target, self.up)

    def projection_scale(self) -> float:
        """Pixels per unit of (size / distance) per pixel of viewport height: 1 / tan(fov_y / 2)."""
        return float(1.0 / np.tan(np.radians(self.fov_y) / 2))


def orbit(camera: Camera, dx: float, dy: float, radians_per_pixel: float = 0.005) -> None:
    """Turn the eye around the target: dx about the up axis, dy up and down (kept off the poles)."""
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (camera.eye, camera.target, camera.up))
    offset = eye - target
    distance = np.linalg.norm(offset)
    up = up / np.linalg.norm(up)
    yaw = -dx * radians_per_pixel
    # rotate about `up` (Rodrigues), then tilt about the camera's right axis
    offset = (
        offset * np.cos(yaw) + np.cross(up, offset) * np.sin(yaw) + up * (up @ offset) * (1 - np.cos(yaw))
    )
    pitch = np.arcsin(np.clip(offset @ up / distance, -1.0, 1.0))
    new_pitch = np.clip(pitch + dy * radians_per_pixel, -1.5, 1.5)
    flat = offset - up * (offset @ up)
    flat_len = np.linalg.norm(flat)
    if flat_len < 1e-9:
        return
    flat /= flat_len
    offset = distance * (flat * np.cos(new_pitch) + up * np.sin(new_pitch))
    camera.eye = tuple(target + offset)


def pan(camera: Camera, dx: float, dy: float, viewport_height: int) -> None:
    """Slide eye and target so the point under the cursor follows it (at the target's depth)."""
    eye, target = np.asarray(camera.eye, float), np.asarray(camera.target, float)
    view = look_at(eye, target, camera.up)
    right, true_up = view[0, :3], view[1, :3]
    units_per_pixel = 2 * np.linalg.norm(eye - target) / (camera.projection_scale() * max(viewport_height, 1))
    shift = (-dx * right + dy * true_up) * units_per_pixel
    camera.eye, camera.target = tuple(eye + shift), tuple(target + shift)


def zoom(camera: Camera, steps: float) -> None:
    """Move the eye towards the target (steps > 0) or away, 10% per step."""
    eye, target = np.asarray(camera.eye, float), np.asarray(camera.target, float)
    offset = (eye - target) * (0.9**steps)
    distance = np.linalg.norm(offset)
    if distance < 1e-3 or distance > 1e4:
        return
    camera.eye = tuple(target + offset)
