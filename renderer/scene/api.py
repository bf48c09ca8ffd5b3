"""What a scene declares, and the GPU toolkit it gets in `setup()`.

A scene is a small class: configuration as class attributes, kernels as ordinary `@ti.kernel` functions listed
in `kernels`, resources created in `setup(gpu)`, kernel launches in `update(frame, dt)`. It never sees a raw
Vulkan or Taichi call; the same class renders in a window, headless, and under test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import Camera
from ..compute.kernels import Kernel, NdArray
from ..compute.shared import share_buffer, share_image
from ..device.memory import IMAGE_FORMATS, USAGE_NAMES, Buffer, Image
from ..draw.custom_draw import LINES_VERTEX, CustomDraw, compile_scene_shader, lines_fragment
from ..draw.image_quad import ImageQuad
from ..draw.mesh import MeshDraw
from ..draw.particles import ParticleDraw
from ..errors import RendererError


class SceneError(RendererError):
    """A scene is malformed; the message names the scene and what to fix."""


@dataclass(frozen=True)
class Param:
    """A scene parameter: its default, the range it must stay in (None: unbounded), and what it means."""

    default: object
    low: float | None = None
    high: float | None = None
    help: str = ""

    def check(self, scene: str, name: str, value) -> object:
        if isinstance(self.default, (int, float)) and not isinstance(self.default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SceneError(f"scene {scene!r}: parameter {name} must be a number, not {value!r}")
            value = type(self.default)(value)
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise SceneError(
                    f"scene {scene!r}: parameter {name}={value} is outside {self.low}..{self.high}"
                )
        return value


@dataclass(frozen=True)
class FrameInput:
    """What the user did since the last frame; empty when headless (and in tests, which stay deterministic)."""

    keys: tuple = ()  # glfw key codes pressed since the last frame
    cursor: tuple | None = None  # (x, y) in pixels from the top left of the frame; None when headless
    buttons: frozenset = frozenset()  # glfw mouse buttons held down
    viewport: tuple = (0, 0)  # frame size in pixels


NO_INPUT = FrameInput()


class Scene:
    """Declare `params` as {name: Param(default, low, high, help)}; each becomes an attribute of the scene
    (`Scene(count=1000)` or `--param count=1000` overrides the default, checked against the range)."""

    name: str = ""
    description: str = ""
    kernels: tuple = ()
    params: dict = {}
    camera: Camera = Camera()
    background = (0.02, 0.02, 0.03)

    def __init__(self, **values):
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise SceneError(
                f"scene {self.name!r} has no parameter {', '.join(unknown)}; its parameters: "
                + (", ".join(f"{k} (default {p.default})" for k, p in self.params.items()) or "none")
            )
        for key, param in self.params.items():
            setattr(self, key, param.check(self.name, key, values.get(key, param.default)))

    def setup(self, gpu: SceneGPU) -> None:
        raise NotImplementedError

    def update(self, frame: int, dt: float, input: FrameInput) -> None:
        """Launch this frame's kernels; `frame` counts from 0 (0 after a reset), `dt` is the time step."""
        raise NotImplementedError


class SceneGPU:
    """Buffers shared with Taichi, the scene's compiled kernels, and what to draw. Owns what it creates."""

    def __init__(
        self,
        context,
        runtime,
        module,
        render_pass,
        frames_in_flight: int,
        scene_name: str,
        scene_file: str = "",
    ):
        self.scene_file = scene_file or scene_name  # for messages about the scene's own shaders
        self.context, self.runtime, self.module = context, runtime, module
        self.render_pass, self.frames_in_flight, self.scene_name = render_pass, frames_in_flight, scene_name
        self.drawables: list = []
        self.buffers: list[Buffer] = []
        self.images: list[Image] = []
        self.memories: list = []  # Taichi's records of buffers and images

    def array(self, name: str, shape, dtype=np.float32, element_shape=(), usage=("vertex",)) -> NdArray:
        """A renderer-owned, device-local buffer that kernels write (imported into Taichi) and draws read."""
        unknown = [u for u in usage if u not in USAGE_NAMES]
        if unknown:
            raise SceneError(
                f"scene {self.scene_name!r}: array {name!r} has unknown usage {unknown[0]!r}; "
                f"use some of {sorted(USAGE_NAMES)}"
            )
        nbytes = int(np.prod(tuple(shape) + tuple(element_shape))) * np.dtype(dtype).itemsize
        label = f"{self.scene_name}.{name}"
        buffer, memory, owned = share_buffer(self.context, self.runtime, nbytes, tuple(usage), label)
        if owned:
            self.buffers.append(buffer)
        self.memories.append(memory)
        array = NdArray(memory, shape, dtype, element_shape, name=buffer.name)
        array.buffer = buffer
        return array

    def image(self, name: str, width: int, height: int, format: str = "rgba8"):
        """A renderer-owned 2-D image that kernels write as a `ti.types.rw_texture(num_dimensions=2, fmt=...)`
        argument and drawables sample (`quad`). Formats: "rgba8", "r32f", "rgba32f"."""
        if format not in IMAGE_FORMATS:
            raise SceneError(
                f"scene {self.scene_name!r}: image {name!r} has format {format!r}; use one of "
                f"{sorted(IMAGE_FORMATS)}"
            )
        if not self.runtime.imported:
            raise SceneError(
                f"scene {self.scene_name!r}: images need the renderer's own device (not one Taichi created)"
            )
        image, shared = share_image(
            self.context, self.runtime, width, height, format, f"{self.scene_name}.{name}"
        )
        self.images.append(image)
        self.memories.append(shared)
        return shared

    def quad(self, image, fullscreen: bool = True, size=(1.0, 1.0), smooth: bool = True) -> ImageQuad:
        """Show an image from `image()`: over the whole frame, or as a `size` rectangle centred in the XY plane."""
        draw = ImageQuad(
            self.context,
            self.render_pass,
            image.image,
            self.frames_in_flight,
            fullscreen=fullscreen,
            size=size,
            smooth=smooth,
        )
        self.drawables.append(draw)
        return draw

    def custom(
        self,
        vertex,
        fragment,
        inputs: list,
        topology: str = "triangles",
        indices: NdArray | None = None,
        count: int | None = None,
    ) -> CustomDraw:
        """Draw with the scene's own GLSL (see renderer/draw/custom_draw.py for what the shaders see): one vertex
        input per array in `inputs` (float32, scalar or vec2-4 elements), optional uint32 `indices`. `vertex`
        and `fragment` are GLSL text, or pathlib.Paths of files of it. The shaders are checked against what
        the draw provides before anything is made (ShaderInterfaceError)."""
        vertex_spirv, vertex_name = compile_scene_shader(vertex, "vert", self.scene_file)
        fragment_spirv, fragment_name = compile_scene_shader(fragment, "frag", self.scene_file)
        count = count if count is not None else (inputs[0].shape[0] if inputs else 0)
        draw = CustomDraw(
            self.context,
            self.render_pass,
            self.frames_in_flight,
            vertex_spirv=vertex_spirv,
            fragment_spirv=fragment_spirv,
            inputs=[(a.buffer, a.element_shape) for a in inputs],
            vertex_count=count,
            topology=topology,
            indices=None if indices is None else indices.buffer,
            index_count=0 if indices is None else indices.shape[0],
            vertex_name=vertex_name,
            fragment_name=fragment_name,
        )
        self.drawables.append(draw)
        return draw

    def lines(
        self, positions: NdArray, indices: NdArray | None = None, color=(1.0, 1.0, 1.0), strip: bool = False
    ) -> CustomDraw:
        """Line segments between vec3 `positions`: pairs of `indices` (or of consecutive positions), or one
        connected strip."""
        return self.custom(
            LINES_VERTEX,
            lines_fragment(color),
            [positions],
            topology="line_strip" if strip else "lines",
            indices=indices,
        )

    def kernel(self, name: str) -> Kernel:
        if self.module is None:
            raise SceneError(f"scene {self.scene_name!r} asks for kernel {name!r} but lists no `kernels`")
        return self.module.kernel(name)

    def particles(
        self,
        positions: NdArray,
        radius: float = 0.01,
        color=(0.35, 0.65, 1.0),
        colors: NdArray | None = None,
        splat: bool = True,
    ) -> ParticleDraw:
        """Draw each vec3 of `positions` as a shaded sphere of `radius` (world units), in one `color` or with
        per-particle `colors` (an array of vec3 float32 like `positions`, written by kernels too). Small ones
        are splatted by compute passes where the device can (`splat=False`: point sprites for all)."""
        for what, array in (("positions", positions), ("colors", colors)):
            if array is None:
                continue
            if array.dtype != np.float32 or array.element_shape != (3,) or len(array.shape) != 1:
                raise SceneError(
                    f"scene {self.scene_name!r}: particle {what} must be a 1-D array of vec3 float32, not "
                    f"shape {array.shape} x {array.element_shape} {array.dtype}"
                )
        if colors is not None and colors.shape != positions.shape:
            raise SceneError(
                f"scene {self.scene_name!r}: {colors.shape[0]} particle colours for "
                f"{positions.shape[0]} positions"
            )
        draw = ParticleDraw(
            self.context,
            self.render_pass,
            positions.buffer,
            positions.shape[0],
            self.frames_in_flight,
            radius=radius,
            color=color,
            colors=None if colors is None else colors.buffer,
            splat=splat,
        )
        self.drawables.append(draw)
        return draw

    def mesh(
        self,
        positions: NdArray,
        normals: NdArray,
        indices: NdArray,
        colors: NdArray | None = None,
        color=(0.8, 0.8, 0.8),
    ) -> MeshDraw:
        """Draw indexed triangles: vec3 float32 `positions`, `normals` (and per-vertex `colors`, or one `color`),
        uint32 `indices` (three per triangle, usage ("index",)); kernels may write all of them every frame."""
        vec3s = {"positions": positions, "normals": normals, "colors": colors}
        for what, array in vec3s.items():
            if array is not None and (
                array.dtype != np.float32
                or array.element_shape != (3,)
                or len(array.shape) != 1
                or array.shape != positions.shape
            ):
                raise SceneError(
                    f"scene {self.scene_name!r}: mesh {what} must be a 1-D array of vec3 float32 "
                    f"with one per vertex ({positions.shape[0]}), not shape {array.shape} x "
                    f"{array.element_shape} {array.dtype}"
                )
        if indices.dtype != np.uint32 or indices.element_shape != () or len(indices.shape) != 1:
            raise SceneError(
                f"scene {self.scene_name!r}: mesh indices must be a 1-D array of uint32, not shape "
                f"{indices.shape} x {indices.element_shape} {indices.dtype}"
            )
        draw = MeshDraw(
            self.context,
            self.render_pass,
            positions.buffer,
            normals.buffer,
            indices.buffer,
            positions.shape[0],
            indices.shape[0],
            self.frames_in_flight,
            colors=None if colors is None else colors.buffer,
            color=color,
        )
        self.drawables.append(draw)
        return draw

    def destroy_drawables(self) -> None:
        for d in self.drawables:
            d.destroy()
        self.drawables = []

    def release_memories(self) -> None:
        """Taichi's records of the arrays (while the runtime lives)."""
        for m in self.memories:
            m.destroy()
        self.memories = []

    def destroy_buffers(self) -> None:
        """After the Taichi runtime that used them is gone."""
        for b in self.buffers + self.images:
            b.destroy()
        self.buffers, self.images = [], []


__all__ = ["Scene", "SceneGPU", "SceneError", "Camera"]
