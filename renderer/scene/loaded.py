"""A scene set up on a device: its compiled kernels, its GPU resources and drawables, and its camera.

Front ends (headless frames, the window) hold one at a time and switch scenes by closing one and loading
another on the same device and Taichi runtime. Closing needs the GPU idle (the caller waits first).
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from ..compute import aot
from ..device.memory import read_ranges
from ..draw.base import FrameView
from ..errors import DeviceLostError, OutOfMemoryError, RendererError
from .api import (
    NO_INPUT,
    FrameInput,
    Picked,
    Scene,
    SceneError,
    SceneGPU,
    check_kernels,
    check_view,
    plain_camera,
    plain_view,
    warn_of_dropped_debug,
)


def scene_file(scene: Scene) -> str:
    try:
        return inspect.getsourcefile(type(scene)) or type(scene).__module__
    except TypeError:
        return type(scene).__module__


class LoadedScene:
    def __init__(self, scene: Scene, context, runtime, render_pass, frames_in_flight: int):
        self.scene, self.context, self.runtime = scene, context, runtime
        # the view drawn: the scene's camera, background and light, followed each frame (follow_scene); the
        # window's mouse moves this camera, and whichever changed it last wins
        self._seen = None  # the scene's (camera, background, light) when last followed
        self.follow_scene()  # a view set on the instance before loading is checked like one set in update
        self.module = None
        self.gpu = None
        self._matrices = None  # (camera and viewport, view-projection, projection scale), computed on change
        self.time = self.dt = 0.0  # of the frame the last update was for: frame * dt, dt
        try:
            if scene.kernels:  # a scene may draw static data and launch nothing
                check_kernels(scene.name, scene.kernels)  # again: a kernel's name may mean another one by now
                warn_of_dropped_debug(scene.name, scene.kernels)
                refs = [aot.KernelRef.of(k) for k in scene.kernels]
                self.module = aot.load_kernels(
                    runtime, refs, context.taichi_capabilities, name=f"scene {scene.name!r}"
                )
            self.gpu = SceneGPU(
                context, runtime, self.module, render_pass, frames_in_flight, scene.name, scene_file(scene)
            )
            try:
                scene.setup(self.gpu)
            except (DeviceLostError, OutOfMemoryError):
                raise  # the device's failure or limit, not the scene's mistake (the error names what to lower)
            except (RendererError, NotImplementedError) as exc:
                what = (
                    "defines no setup(gpu)"
                    if isinstance(exc, NotImplementedError)
                    else f"setup failed: {exc}"
                )
                raise SceneError(f"{scene_file(scene)}: scene {scene.name!r} {what}") from exc
        except BaseException:
            self.close()
            raise

    @property
    def drawables(self) -> list:
        return self.gpu.drawables

    def follow_scene(self) -> None:
        """Take up what the scene changed in setup or update: a new camera or new values of its fields (they
        replace where the mouse moved it), its background and its light; SceneError if one cannot be drawn."""
        scene = self.scene
        seen = (scene.camera, scene.background, scene.light)
        if self._seen is not None and _same(seen, self._seen):
            return
        check_view(scene.name, *seen)
        camera, background, self.light = plain_view(*seen)
        if self._seen is None or camera != plain_camera(self._seen[0]):
            self.camera = copy.deepcopy(camera)
        self.background = tuple(float(c) for c in background)
        self._seen = copy.deepcopy(seen)

    def reset_camera(self) -> None:
        """Back to the scene's own camera (the window's mouse moved this one)."""
        self.camera = copy.deepcopy(plain_camera(self.scene.camera))

    def write_uniforms(self, slot: int, width: int, height: int) -> None:
        """The view (as follow_scene last took it up), the viewport and the drawables' settings into this slot's
        uniforms, with the time of the frame the last `update` was for. The matrices are computed again only when the camera, viewport or light changed (a fixed
        camera costs no matrix maths per frame)."""
        cam = self.camera
        key = (cam.eye, cam.target, cam.up, cam.fov_y, cam.near, cam.far, cam.orthographic, cam.ortho_height)
        key += (width, height, self.light)
        if self._matrices is None or self._matrices[0] != key:
            view = (cam.view_projection(width / height), cam.view(), cam.projection_scale(), width, height)
            self._matrices = (key, FrameView(*view, self.light))
        view = FrameView(*self._matrices[1].fields(), self.time, self.dt)
        for drawable in self.gpu.drawables:
            drawable.write_uniforms(slot, view)

    def picked(self, found, x: int, y: int) -> Picked:
        """What frame/picking.py found at pixel (`x`, `y`) (a PixelPick, or None) as the scene sees it: the draw,
        the world point (the depth unprojected with the view of the last `write_uniforms`), and the element's
        values in the scene's arrays (read back: waits for the GPU)."""
        if found is None or self._matrices is None:
            return Picked(pixel=(x, y))
        view = self._matrices[1]
        ndc = ((x + 0.5) / view.width * 2 - 1, (y + 0.5) / view.height * 2 - 1, found.depth, 1.0)
        world = np.linalg.solve(np.asarray(view.view_projection, np.float64), ndc)
        position = tuple(float(v) for v in world[:3] / world[3])
        index, elements = found.element, []
        for name, array in self.gpu.arrays:
            if array.released or not array.shape or array.shape[0] <= index:
                continue
            size = array.nbytes // array.shape[0]
            elements.append((name, array, size))
        self.runtime.flush()  # the kernels launched so far go first
        raw = read_ranges(self.context, [(a.buffer, index * size, size) for _, a, size in elements])
        values = {}
        for (name, array, _), data in zip(elements, raw, strict=True):
            value = np.frombuffer(data, array.dtype).reshape(
                tuple(array.shape[1:]) + tuple(array.element_shape)
            )
            values[name] = value.item() if value.ndim == 0 else _tuples(value.tolist())
        draw = self.drawables[found.draw]
        return Picked((x, y), found.draw, draw.pick_kind, index, position, values, draw)

    def update(self, frame: int, dt: float, input: FrameInput = NO_INPUT) -> None:
        """The scene's update, then what it changed of the view (follow_scene): drawn this frame."""
        self.time, self.dt = frame * dt, dt
        self.scene.update(frame, dt, input)
        self.follow_scene()

    def close(self, destroy_buffers: bool = True) -> None:
        """Release in order: draws, Taichi's records of the arrays, then (GPU idle) the buffers.
        With destroy_buffers=False the buffers wait for `destroy_buffers()` (after the runtime is gone)."""
        if self.gpu is not None:
            self.gpu.destroy_drawables()
        self.module = None  # the runtime's until it is destroyed (TaichiRuntime.load_module)
        if self.gpu is not None:
            self.gpu.release_memories()
            if destroy_buffers:
                self.destroy_buffers()

    def destroy_buffers(self) -> None:
        if self.gpu is not None:
            self.gpu.destroy_buffers()
            self.gpu = None


def _same(a: tuple, b: tuple) -> bool:
    """Whether two views are equal (each frame: plain values compare fast); with numpy arrays among their
    values, compared as tuples."""
    try:
        return bool(a == b)
    except ValueError:  # an array's truth value is ambiguous
        return plain_view(*a) == plain_view(*b)


def _tuples(value):
    """Nested lists (numpy's tolist()) as nested tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
