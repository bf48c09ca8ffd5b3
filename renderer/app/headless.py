"""Running a scene headless: one object that owns the device, the Taichi runtime, the scene and its frames.

Teardown runs in one fixed order: wait for the GPU, the scene's drawables, the frames (and the pipelines of their
render pass), the Taichi runtime (and the modules it loaded), then the buffers it had imported, then the device
and instance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..compute.runtime import TaichiRuntime
from ..device.context import VulkanContext
from ..frame.offscreen import OffscreenFrames
from ..scene.api import Scene
from ..scene.loaded import LoadedScene


class HeadlessRenderer:
    """Renders `scene` offscreen at `width` x `height`; frames come back as HxWx4 uint8 arrays."""

    def __init__(
        self,
        scene: Scene,
        width: int = 1280,
        height: int = 720,
        *,
        validate: bool = False,
        echo_validation: bool = False,
        device_name: str | None = None,
        frames_in_flight: int = 2,
        taichi_runtime: TaichiRuntime | None = None,
        sync_between_submissions: bool = True,
        readback: bool = True,
    ):
        """By default the renderer creates the device and Taichi imports it. Pass `taichi_runtime` (one Taichi
        created, e.g. `TaichiRuntime.create_vulkan(device_extensions=[...])`) to adopt its device instead; the
        runtime then stays the caller's, and validation is not available on a device Taichi created.
        `sync_between_submissions=False` leaves out the layer's synchronization check between queue
        submissions, which slows down and grows without end in long runs (validation.enable_environment).
        `readback=False` leaves the frames on the GPU (no copy to host memory): the pixels handed out are
        None (to step a simulation, or to time the GPU work alone)."""
        self.scene, self.width, self.height = scene, width, height
        self.context = self.runtime = self.frames = self.loaded = None
        self.owns_runtime = taichi_runtime is None
        try:
            if taichi_runtime is None:
                self.context = VulkanContext(
                    validate=validate,
                    echo_validation=echo_validation,
                    device_name=device_name,
                    sync_between_submissions=sync_between_submissions,
                )
                self.runtime = TaichiRuntime.import_vulkan(self.context)
            else:
                info = taichi_runtime.export_vulkan()
                self.context = VulkanContext.adopt(
                    info.instance,
                    info.physical_device,
                    info.device,
                    info.graphics_queue,
                    info.graphics_queue_family_index,
                    info.api_version,
                    taichi_runtime.capabilities(),
                )
                taichi_runtime.context = self.context
                self.runtime = taichi_runtime
            self.frames = OffscreenFrames(
                self.context,
                self.runtime,
                width,
                height,
                frames_in_flight=frames_in_flight,
                clear_color=(*scene.background, 1.0),
                readback=readback,
            )
            self.loaded = LoadedScene(
                scene, self.context, self.runtime, self.frames.render_pass, frames_in_flight
            )
            self.frames.set_drawables(self.loaded.drawables)
        except BaseException:
            self.close()
            raise

    def frames_iter(
        self, count: int, dt: float = 1 / 60, first: int = 0, *, copy: bool = True
    ) -> Iterator[tuple[int, np.ndarray | None]]:
        """Render frames first..first+count-1; yield (frame, pixels) as each finishes, in order. With
        copy=False `pixels` is the frame in place, a read-only view of host-visible memory that the renderer
        writes again once the iterator is advanced and frees when it is closed (reading it after that can
        crash): it saves a copy of the whole frame each time (3.7 MB at 1280x720). Without readback, None."""
        for frame in range(first, first + count):
            done, pixels = self.frames.acquire(frame)
            if done is not None:
                yield done, pixels.copy() if copy and pixels is not None else pixels
            self.loaded.write_uniforms(self.frames.uniforms_slot(frame), self.width, self.height)
            self.loaded.update(frame, dt)
            self.frames.submit(frame)
        for done, pixels in self.frames.drain():
            yield done, pixels.copy() if copy and pixels is not None else pixels
        self.context.check_validation("while rendering")

    def render(
        self, count: int, dt: float = 1 / 60, on_frame: Callable | None = None, *, copy: bool = True
    ) -> np.ndarray | None:
        """Render `count` frames; return (a copy of) the last one's pixels (None without readback).
        on_frame(frame, pixels) sees each; with copy=False as a view valid only during the call (see
        frames_iter)."""
        last = None
        for frame, pixels in self.frames_iter(count, dt, copy=copy):
            if on_frame is not None:
                on_frame(frame, pixels)
            last = pixels
        return last if copy or last is None else last.copy()

    def switch(self, scene: Scene) -> None:
        """Replace the scene on the same device and runtime (the GPU is idle while the old one is released)."""
        self.runtime.wait()
        self.frames.wait_all()
        self.loaded.close()
        self.loaded = None
        self.scene = scene
        self.loaded = LoadedScene(
            scene, self.context, self.runtime, self.frames.render_pass, self.frames.frames_in_flight
        )
        self.frames.set_drawables(self.loaded.drawables)

    def close(self) -> None:
        """Release everything in the fixed order (idempotent)."""
        if self.runtime is not None and self.runtime.handle is not None:
            self.runtime.wait()  # Taichi's and our work finished before anything is freed
        if self.frames is not None:
            self.frames.wait_all()
        if self.loaded is not None:
            self.loaded.close(destroy_buffers=False)
        if self.frames is not None:
            self.frames.destroy()
            self.frames = None
        if self.runtime is not None:
            if self.owns_runtime:
                self.runtime.destroy()
            self.runtime = None
        if self.loaded is not None:
            self.loaded.destroy_buffers()  # after the runtime that imported them
            self.loaded = None
        if self.context is not None:
            self.context.destroy()

    def __enter__(self) -> HeadlessRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
