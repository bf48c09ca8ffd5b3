"""One scene running on one device: the lifecycle every front end (headless, the window) shares.

A `Session` owns, and makes in this order: the Vulkan context, the Taichi runtime on it, the frame target
(frame/target.py: offscreen frames or a window's), and the loaded scene (its kernels, resources and
drawables). Front ends say how to make the first three (the window needs instance extensions and a surface;
headless may adopt a device Taichi created) and never repeat the order:

    Session(scene, open_context, open_runtime, open_frames, owns_runtime=True)
        open_context() -> VulkanContext
        open_runtime(context) -> TaichiRuntime
        open_frames(context, runtime) -> a frame target
        then the scene is loaded; whatever fails half-way is released by close()
    switch(scene)   wait for the GPU, release the old scene, load the new one (its own background colour)
    close()         idempotent teardown in one fixed order:
                    wait for the GPU (Taichi's work, the frames in flight, a window's presentation)
                    the scene's drawables and Taichi's records of its arrays
                    the frame target (and the pipelines of its render pass)
                    the Taichi runtime, if the session owns it (and the modules it loaded)
                    the scene's buffers (after the runtime that imported them)
                    the device and instance

After close() `context` stays readable (its validation log), destroyed; the other parts are None.
A failure on the way (a lost device in a wait, Taichi failing to wait for its work) does not stop the
teardown: every later step still runs, and the first error is raised at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ArgumentError, DeviceLostError, RendererError
from ..interrupts import deferred
from ..scene.api import Scene
from ..scene.loaded import LoadedScene


def check_scene(scene) -> None:
    """ArgumentError unless `scene` is a Scene instance: checked before anything is made, or released."""
    if isinstance(scene, Scene):
        if not vars(scene).get("_scene_initialized"):  # its parameters unset, its camera the class's
            raise ArgumentError(
                f"scene {type(scene).__name__}: its __init__ did not call super().__init__(**values), which sets "
                "the scene's parameters and its own camera: call it first in __init__ (in a dataclass's "
                "__post_init__)"
            )
        return
    if isinstance(scene, type) and issubclass(scene, Scene):  # a common slip: the class itself
        raise ArgumentError(
            f"scene must be a Scene instance, not the class {scene.__name__}: pass an instance, "
            f"e.g. {scene.__name__}()"
        )
    raise ArgumentError(f"scene must be a Scene instance (e.g. Particles()), not {scene!r}")


class Session:
    def __init__(
        self,
        scene: Scene,
        open_context: Callable,
        open_runtime: Callable,
        open_frames: Callable,
        *,
        owns_runtime: bool = True,
    ):
        check_scene(scene)
        self.scene = scene
        self.context = self.runtime = self.frames = self.loaded = None
        self.owns_runtime = owns_runtime
        try:
            with deferred():  # Ctrl-C during set-up or compilation: raised once all of it is made
                self.context = open_context()
                self.runtime = open_runtime(self.context)
                self.frames = open_frames(self.context, self.runtime)
                self._load(scene)
        except BaseException:
            self.close()
            raise

    def _load(self, scene: Scene) -> None:
        self.scene = scene
        self.loaded = LoadedScene(
            scene, self.context, self.runtime, self.frames.render_pass, self.frames.frames_in_flight
        )
        self.frames.clear_color = (*scene.background, 1.0)
        self.frames.set_drawables(self.loaded.drawables)

    def switch(self, scene: Scene) -> None:
        """Replace the scene on the same device and runtime (the GPU is idle while the old one is released)."""
        if self.frames is None:
            raise RendererError("the renderer is closed: make a new one to render another scene")
        check_scene(scene)  # before the old scene is released
        with deferred():
            self.wait_idle()
            if self.loaded is not None:
                self.frames.set_drawables(
                    []
                )  # nothing recorded refers to the old scene, even if the new one fails
                self.loaded.close()
                self.loaded = None
            self._load(scene)

    def wait_idle(self) -> None:
        """Taichi's work and every frame in flight finished (for a window, its presentation too)."""
        if self.runtime is not None and self.runtime.handle is not None:
            self.runtime.wait()
        if self.frames is not None:
            self.frames.wait_all()
        elif self.context is not None and self.context.device is not None:
            self.context.wait_idle()

    def close(self) -> None:
        """Release everything in the fixed order of the module's docstring (idempotent); a Ctrl-C meanwhile
        is raised at the end."""
        with deferred():
            self._close()

    def _close(self) -> None:
        errors: list[RendererError] = []

        def step(release) -> None:
            try:
                release()
            except RendererError as exc:  # keep going: what is left must still be released
                errors.append(exc)

        step(self.wait_idle)
        if self.loaded is not None:
            step(lambda: self.loaded.close(destroy_buffers=False))
        if self.frames is not None:
            step(self.frames.destroy)
            self.frames = None
        if self.runtime is not None:
            if self.owns_runtime:
                step(self.runtime.destroy)
            self.runtime = None
        if self.loaded is not None:
            step(self.loaded.destroy_buffers)
            self.loaded = None
        if self.context is not None:
            step(self.context.destroy)
        if errors and not isinstance(errors[0], DeviceLostError):  # a lost device was raised where it was met
            raise errors[0]
