"""A camera looking at a target, perspective or orthographic: the matrices the shaders use (Vulkan clip space,
y down); and the scene's directional light."""

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


def orthographic(height: float, aspect: float, near: float, far: float) -> np.ndarray:
    """Right-handed view space to Vulkan clip space for a view `height` world units tall: depth 0..1, y down."""
    proj = np.zeros((4, 4))
    proj[0, 0] = 2.0 / (height * aspect)
    proj[1, 1] = -2.0 / height
    proj[2, 2] = 1.0 / (near - far)
    proj[2, 3] = near / (near - far)
    proj[3, 3] = 1.0
    return proj


@dataclass
class Camera:
    """Where a scene is seen from: the `eye` looks at `target` with `up` pointing up the screen; `fov_y` is the
    vertical field of view in degrees for a perspective view, or `orthographic=True` for a parallel one
    `ortho_height` world units tall; `near` and `far` are the clip distances (world units). A scene declares its
    starting view as its class attribute `camera = Camera(eye=(0, 1, 3))` and may set `self.camera` (or its
    fields) in setup or update; the window's mouse moves the view until the scene next sets it (R resets it)."""

    eye: tuple = (0.0, 0.0, 2.5)
    target: tuple = (0.0, 0.0, 0.0)
    up: tuple = (0.0, 1.0, 0.0)
    fov_y: float = 45.0
    near: float = 0.01
    far: float = 100.0
    orthographic: bool = False
    ortho_height: float = 2.0

    def view(self) -> np.ndarray:
        """World space to view space (right-handed, looking down -z)."""
        return look_at(self.eye, self.target, self.up)

    def projection(self, aspect: float) -> np.ndarray:
        """View space to Vulkan clip space for a frame `aspect` (width / height) wide."""
        if self.orthographic:
            return orthographic(self.ortho_height, aspect, self.near, self.far)
        return perspective(self.fov_y, aspect, self.near, self.far)

    def view_projection(self, aspect: float) -> np.ndarray:
        """The 4x4 matrix from world space to Vulkan clip space for a frame `aspect` (width / height) wide."""
        return self.projection(aspect) @ self.view()

    def projection_scale(self) -> float:
        """Clip-space y units per world unit of size at unit distance (perspective: 1 / tan(fov_y / 2)), or per
        world unit (orthographic: 2 / ortho_height)."""
        if self.orthographic:
            return 2.0 / self.ortho_height
        return float(1.0 / np.tan(np.radians(self.fov_y) / 2))

    def units_per_pixel(self, viewport_height: int) -> float:
        """World units per pixel at the target's depth."""
        depth = 1.0 if self.orthographic else float(np.linalg.norm(np.subtract(self.eye, self.target)))
        return 2 * depth / (self.projection_scale() * max(viewport_height, 1))


@dataclass(frozen=True)
class Light:
    """A directional light: `direction` towards the light in world space, its `color` (RGB, 0..1), and
    `ambient`, the share of a surface's colour lit whatever way it faces (0..1). A scene sets `self.light` in
    setup or update; without one each draw keeps its own default light."""

    direction: tuple = (0.3, 1.0, 0.6)
    color: tuple = (1.0, 1.0, 1.0)
    ambient: float = 0.25


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
    shift = (-dx * right + dy * true_up) * camera.units_per_pixel(viewport_height)
    camera.eye, camera.target = tuple(eye + shift), tuple(target + shift)


def zoom(camera: Camera, steps: float) -> None:
    """Move the eye towards the target (steps > 0) or away, 10% per step (orthographic: a view 10% smaller)."""
    if camera.orthographic:
        camera.ortho_height = float(np.clip(camera.ortho_height * 0.9**steps, 1e-4, 1e4))
        return
    eye, target = np.asarray(camera.eye, float), np.asarray(camera.target, float)
    offset = (eye - target) * (0.9**steps)
    distance = np.linalg.norm(offset)
    if distance < 1e-3 or distance > 1e4:
        return
    camera.eye = tuple(target + offset)
