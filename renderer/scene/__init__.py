"""The scene layer: what a scene declares (`api`), a scene set up on a device (`loaded`), finding scenes
(`registry`) and the `--new-scene` template (`template`). Scene files import from here:
`from renderer.scene import Scene, Param`."""

from ..camera import Camera, Light
from .api import (
    NO_INPUT,
    FrameInput,
    KernelDebugWarning,
    Param,
    ParamError,
    Picked,
    Scene,
    SceneError,
    SceneGPU,
)

__all__ = [
    "NO_INPUT",
    "Camera",
    "FrameInput",
    "KernelDebugWarning",
    "Light",
    "Param",
    "ParamError",
    "Picked",
    "Scene",
    "SceneError",
    "SceneGPU",
]
