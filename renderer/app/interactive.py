"""The interactive demo window: scenes, camera controls, keys, and a frame-time log.

Keys are printed at start (and with F1 or H). The loop never busy-waits: a minimized window and a paused scene
with nothing moving wait for events instead of rendering.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

import glfw
import numpy as np

from .. import camera as camera_control
from ..checks import checked_device_name, checked_flag, checked_int, checked_number
from ..compute.runtime import TaichiRuntime
from ..device.context import VulkanContext
from ..errors import ArgumentError, DeviceLostError, OutOfMemoryError, OutputError, RendererError
from ..files import output_failure, save_png
from ..frame.target import FrameCalls
from ..frame.windowed import WindowFrames
from ..scene.api import Picked, Scene
from .frame_log import write_frame_log
from .recording import Recorder
from .session import Session
from .window import Window, init_glfw, required_instance_extensions

KEY_HELP = """keys:
  left drag: orbit    right/middle drag: pan    scroll: zoom    R: reset the camera
  Ctrl + left click: pick the particle, triangle or instance under the cursor (the panel shows it)
  Space: pause/resume    N: one step while paused    Tab or 1-9: switch scene
  S: save a screenshot    F9: start/stop recording a video    V: toggle vsync    F2: show/hide the panel
  F1 or H: this help    Esc or Q: quit"""

TITLE_INTERVAL_S = 0.5


def picked_summary(picked: Picked) -> str:
    """One line for what a pick found (the panel's and the terminal's)."""
    x, y = picked.pixel
    if picked.draw is None:
        return f"nothing at pixel ({x}, {y})"
    position = ", ".join(f"{v:.4g}" for v in picked.position)
    return f"{picked.kind} {picked.index} of draw {picked.draw} at ({position}), pixel ({x}, {y})"


def make_folder(folder: Path) -> None:
    """The --out folder, made if missing; OutputError if it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(output_failure(folder, exc, "choose another --out folder")) from None


class InteractiveApp:
    """The demo window: renders a list of scene classes one at a time, with mouse camera controls, keys
    (Tab / 1-9 switch scene, Space pauses, R resets the camera, S saves a screenshot, F9 starts and stops a
    video) and a frame-time log. Use as a context manager, then `run()`."""

    def __init__(
        self,
        scene_classes: list,
        first: int = 0,
        *,
        params: dict | None = None,
        size=(1280, 720),
        vsync: bool = True,
        validate: bool = False,
        device_name: str | None = None,
        out_dir: Path = Path("out"),
        dt: float = 1 / 60,
        frames_in_flight: int = 2,
        stop_on_error: bool = False,
        calls: FrameCalls | None = None,
        panel: bool = True,
        timeline: bool | None = None,
        record: Path | None = None,
        record_ui: bool = False,
        screenshot_scale: int = 1,
    ):
        """`calls`: the frame loop's calls, to count, time or fail them (frame/target.py's FrameCalls).
        `panel`: show the Dear ImGui panel (panel.py; F2 toggles it). `timeline`: the frames' GPU timeline on
        (True), off (False), or on but on a CPU driver (None). `record`: a video file to record every rendered
        frame into from the first (F9 stops, and starts again into the same name numbered -2, -3...); without it
        F9 records into a timestamped file in `out_dir`. `record_ui`: the video shows the panel drawn over the
        scene too. `screenshot_scale`: S renders the screenshot offscreen at that many times the window's size
        (1: the frame shown)."""
        # checked before anything is opened: a wrong type would otherwise fail deep inside, or be taken
        if not (
            isinstance(scene_classes, (list, tuple))
            and scene_classes
            and all(isinstance(c, type) and issubclass(c, Scene) for c in scene_classes)
        ):
            raise ArgumentError(
                f"scene_classes must be a non-empty list of Scene classes, not {scene_classes!r}"
            )
        first = checked_int("first", first)
        if first >= len(scene_classes):
            raise ArgumentError(f"first must name one of the {len(scene_classes)} scenes (0..), not {first}")
        if params is not None and not isinstance(params, dict):
            raise ArgumentError(
                f"params must be a dict of the first scene's parameters or None, not {params!r}"
            )
        if not (isinstance(size, (tuple, list)) and len(size) == 2):
            raise ArgumentError(f"size must be (width, height), not {size!r}")
        size = (checked_int("width", size[0], 1), checked_int("height", size[1], 1))
        frames_in_flight, dt = checked_int("frames_in_flight", frames_in_flight, 1), checked_number("dt", dt)
        vsync, validate, panel = (
            checked_flag(n, v) for n, v in (("vsync", vsync), ("validate", validate), ("panel", panel))
        )
        stop_on_error, record_ui = (
            checked_flag("stop_on_error", stop_on_error),
            checked_flag("record_ui", record_ui),
        )
        timeline = checked_flag("timeline", timeline, none=True)
        checked_device_name(device_name)
        for name, path in (("out_dir", out_dir), ("record", record)):
            if not (isinstance(path, (str, os.PathLike)) or (name == "record" and path is None)):
                raise ArgumentError(f"{name} must be a path, not {path!r}")
        self.scene_classes, self.params, self.out_dir, self.dt = (
            scene_classes,
            params or {},
            Path(out_dir),
            dt,
        )
        self.first = first
        self.values: dict[int, dict] = {first % len(scene_classes): self.params}  # scene -> its parameters
        self.window = self.session = self.panel = None
        self.frame_times: list[tuple] = []  # (total, wait+acquire, update, submit+present) seconds per frame
        self.rendered = 0
        self.paused = self.step = self.capture = self.interrupted = False
        self.stop_on_error = stop_on_error
        self.failed: dict[int, str] = {}  # scene index -> the error that paused it
        self.last_capture: np.ndarray | None = None
        self.screenshot_panel = False  # screenshots (S) show the scene alone, or with the panel
        self.picked: Picked | None = None  # what the last Ctrl+click picked (the panel shows it)
        self.pick_at: tuple | None = None  # a Ctrl+click's window point, picked after the next frame's submit
        self._picked_for_scene: Picked | None = None  # given to the scene's next update, once
        self._repaint = False  # a pick was made: draw once more (paused too) so that the panel shows it
        if not (isinstance(screenshot_scale, int) and 1 <= screenshot_scale <= 8):
            raise RendererError(f"screenshot_scale must be a whole number in 1..8, not {screenshot_scale!r}")
        self.record_path, self.record_ui, self.screenshot_scale = record, record_ui, screenshot_scale
        self.recorder: Recorder | None = None
        self.recordings: list[tuple[Path, int]] = []  # (file, frames) of each finished video
        self.recording_errors: list[str] = []
        self._video_failure: OutputError | None = None
        init_glfw()
        try:
            self.window = Window("taichi-vulkan-renderer", *size)

            def open_context():
                return VulkanContext(
                    validate=validate,
                    echo_validation=validate,
                    device_name=device_name,
                    instance_extensions=required_instance_extensions(),
                    device_extensions=["VK_KHR_swapchain"],
                )

            def open_frames(context, runtime):
                return WindowFrames(
                    context,
                    runtime,
                    self.window,
                    vsync=vsync,
                    frames_in_flight=frames_in_flight,
                    calls=calls,
                    timeline=timeline,
                )

            index = first % len(scene_classes)
            scene = self._make_scene(index)
            self.session = Session(scene, open_context, TaichiRuntime.import_vulkan, open_frames)
            self._loaded(index)
            if panel:
                from .panel import Panel  # imgui-bundle, loaded only for a panel

                self.panel = Panel(self.window, self.window.content_scale())
                self.window.listener = self.panel.input
                self.frames.enable_panel()
            if record is not None:
                self.start_recording()
        except BaseException:
            self.close()
            raise

    # the session's parts, as the app's attributes
    context = property(lambda self: self.session.context if self.session else None, doc="The VulkanContext.")
    runtime = property(lambda self: self.session.runtime if self.session else None, doc="The TaichiRuntime.")
    frames = property(lambda self: self.session.frames if self.session else None, doc="The WindowFrames.")
    loaded = property(
        lambda self: self.session.loaded if self.session else None, doc="The LoadedScene shown."
    )
    timeline = property(
        lambda self: self.frames.timeline if self.frames else None,
        doc="The frames' GPU timeline (frame/timeline.py): per-span GPU ms of the last frames, for a panel.",
    )

    # -- scenes

    def _make_scene(self, index: int):
        return self.scene_classes[index](**self.values.get(index, {}))

    def load(self, index: int) -> None:
        """Switch to scene `index` on the same device (the GPU is idle while the old one is released)."""
        index %= len(self.scene_classes)
        self.session.switch(self._make_scene(index))
        self._loaded(index)

    def reload(self, changes: dict | None = None) -> None:
        """Load the scene shown again from its first frame (its setup runs again), with `changes` to its
        parameters; the camera stays where it is."""
        scene = self.loaded.scene
        values = {name: getattr(scene, name) for name in scene.params}
        values.update(changes or {})
        self.values[self.index] = values
        camera = self.loaded.camera
        self.failed.pop(self.index, None)
        self.load(self.index)
        self.loaded.camera = camera

    def reset_camera(self) -> None:
        """Back to the scene's own camera (R, or the panel's button)."""
        self.loaded.reset_camera()

    def set_vsync(self, vsync: bool) -> None:
        """Present with vsync (FIFO) or without (MAILBOX or IMMEDIATE where offered); rebuilds the swapchain."""
        self.frames.recreate(vsync=vsync)
        print(f"present mode: {self.frames.present_mode_name}", flush=True)

    def _loaded(self, index: int) -> None:
        scene = self.session.scene
        self.index, self.sim_frame = index, 0
        print(f"scene {index + 1}/{len(self.scene_classes)}: {scene.name} ({scene.description})", flush=True)

    # -- input

    def handle(self, keys: list[int]) -> bool:
        """Apply key presses; True if the view changed (so a paused scene re-renders)."""
        changed = False
        for key in keys:
            if key in (glfw.KEY_ESCAPE, glfw.KEY_Q):
                self.window.request_close()
            elif key == glfw.KEY_SPACE:
                self.paused = not self.paused
                print("paused" if self.paused else "resumed", flush=True)
            elif key == glfw.KEY_N and self.paused:
                self.step = True
            elif key == glfw.KEY_TAB:
                self.load(self.index + 1)
                changed = True
            elif glfw.KEY_1 <= key <= glfw.KEY_9 and key - glfw.KEY_1 < len(self.scene_classes):
                self.load(key - glfw.KEY_1)
                changed = True
            elif key == glfw.KEY_S:
                self.capture = True  # the next frame is copied out as it is rendered
            elif key == glfw.KEY_F9:
                self.stop_recording() if self.recorder is not None else self.start_recording()
            elif key == glfw.KEY_V:
                self.set_vsync(not self.frames.vsync)
                changed = True
            elif key in (glfw.KEY_F1, glfw.KEY_H):
                print(KEY_HELP, flush=True)
            elif key == glfw.KEY_F2 and self.panel is not None:
                self.panel.visible = not self.panel.visible
                changed = True
            elif key == glfw.KEY_R:
                self.reset_camera()
                changed = True
        return changed

    def move_camera(self, motion) -> bool:
        """Orbit, pan and zoom the view by this frame's mouse `motion`; True if it moved."""
        cam = self.loaded.camera
        if any(motion.orbit):
            camera_control.orbit(cam, *motion.orbit)
        if any(motion.pan):
            camera_control.pan(cam, *motion.pan, self.frames.extent[1])
        if motion.scroll:
            camera_control.zoom(cam, motion.scroll)
        return bool(any(motion.orbit) or any(motion.pan) or motion.scroll)

    def scene_failed(self, exc: Exception) -> None:
        """A scene's update (or its panel widgets) raised: show why, keep the window and the other scenes
        going, this one paused (`stop_on_error`: raised)."""
        if self.stop_on_error:
            raise exc
        name = self.loaded.scene.name
        self.failed[self.index] = f"{type(exc).__name__}: {exc}"
        traceback.print_exception(exc)
        print(
            f"error in scene {name!r}: it is paused; Tab or 1-9 switches scene, Esc quits",
            file=sys.stderr,
            flush=True,
        )
        self.window.set_title(f"{name} | ERROR: {self.failed[self.index][:120]} | Tab: next scene")

    def save_screenshot(self, pixels: np.ndarray, scale: int = 1) -> Path:
        """The frame as a PNG file in the --out folder (named with its `scale` if not 1), whole or not at all;
        OutputError (the run stops) if it cannot be written."""
        suffix = f"_{scale}x" if scale > 1 else ""
        path = self.out_dir / f"screenshot_{self.loaded.scene.name}_{self.sim_frame - 1:05d}{suffix}.png"
        make_folder(self.out_dir)
        save_png(path, pixels[..., :3], "choose another --out folder")
        print(f"screenshot saved to {path.resolve()}", flush=True)
        return path

    def _scaled_screenshot(self, slot) -> np.ndarray | None:
        """The frame just submitted from `slot`, drawn again offscreen at screenshot_scale times the window's
        size with the same camera and simulation state; None (and why) if the device cannot make it."""
        scale = self.screenshot_scale
        width, height = self.frames.extent
        self.frames.wait_slot(slot)  # its uniforms are rewritten for the larger size
        self.loaded.write_uniforms(slot.index, scale * width, scale * height)
        try:
            return self.frames.render_still(slot, scale * width, scale * height)
        except OutOfMemoryError as exc:
            self.capture = False
            print(f"screenshot not taken: {exc}", file=sys.stderr, flush=True)
            return None

    # -- video

    def _next_video_path(self) -> Path:
        """--record's file (numbered -2, -3... after its first use), else a timestamped file in the out folder."""
        if self.record_path is not None:
            path, number = Path(self.record_path), len(self.recordings) + len(self.recording_errors) + 1
            return path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")
        make_folder(self.out_dir)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.out_dir / f"recording_{self.loaded.scene.name}_{stamp}.mp4"
        number = 1
        while path.exists():  # two in one second
            number += 1
            path = self.out_dir / f"recording_{self.loaded.scene.name}_{stamp}-{number}.mp4"
        return path

    def start_recording(self, path: Path | None = None) -> Path:
        """Record every frame rendered from now into a video file (`path`, or see `record`), at 1/dt frames a
        second; OutputError if it cannot be written."""
        if self.recorder is not None:
            return self.recorder.path
        width, height = self.frames.extent
        recorder = Recorder(
            path or self._next_video_path(),
            width,
            height,
            fps=1 / self.dt,
            pixel_format=self.frames.video_pixel_format,
        )
        try:
            self.frames.start_video(
                lambda pixels: self._video_frame(recorder, pixels), include_overlay=self.record_ui
            )
        except BaseException:
            recorder.close()
            raise
        self.recorder, self._video_failure = recorder, None
        print(f"recording to {recorder.path.resolve()} (F9 stops)", flush=True)
        return recorder.path

    def _video_frame(self, recorder: Recorder, pixels: np.ndarray) -> None:
        """The frames' video sink (it must not raise): a failed encoder stops the recording after this frame
        (render_one)."""
        try:
            recorder.write(pixels)
        except OutputError as exc:
            self._video_failure = exc

    def stop_recording(self) -> Path | None:
        """Hand the frames in flight to the video, finish its file and say where it is (or why it failed:
        the window goes on; `recording_errors`)."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return None
        frames = None
        try:
            self.frames.stop_video()
        finally:  # the file is finished even if reading the last frames failed
            try:
                frames = recorder.close()
            except OutputError as exc:
                self.recording_errors.append(str(exc))
                print(f"error: {exc}; the recording stopped", file=sys.stderr, flush=True)
        if frames is None:
            return None
        self.recordings.append((recorder.path, frames))
        if frames:
            print(f"recorded {frames} frames to {recorder.path.resolve()}", flush=True)
        else:
            print(f"no frame was recorded: {recorder.path} was not written", flush=True)
        return recorder.path

    # -- the loop

    def run(self, max_frames: int | None = None) -> None:
        """Render until the window closes (Esc, Q, close button), Ctrl-C, or `max_frames` frames were presented.

        Ctrl-C only sets a flag that the loop checks between frames: a KeyboardInterrupt raised mid-frame could
        leave an acquired swapchain image neither submitted nor presented."""
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if in_main_thread else None
        try:
            self._loop(max_frames)
        finally:
            if in_main_thread:
                signal.signal(signal.SIGINT, previous)

    def _on_sigint(self, signum, frame) -> None:
        self.interrupted = True

    def _loop(self, max_frames: int | None) -> None:
        print(KEY_HELP, flush=True)
        print(f"present mode: {self.frames.present_mode_name}", flush=True)
        redraw = True
        title_time, title_frames = time.perf_counter(), 0
        while (
            not self.window.should_close()
            and not self.interrupted
            and (max_frames is None or self.rendered < max_frames)
        ):
            self.window.poll()
            motion = self.window.take_input()
            self.step = False
            redraw |= self.handle(motion.keys) | self.move_camera(motion) | motion.resized
            if motion.pick is not None:
                self.pick_at, redraw = motion.pick, True
            if self.window.should_close():
                break
            if self.panel is not None and self.panel.input.take_events():
                redraw = True  # the panel was used: draw it again (hover, a changed value), even paused
            width, height = self.window.framebuffer_size()
            if width == 0 or height == 0:  # minimized: sleep until something happens
                self.window.wait(0.25)
                continue
            if (self.paused or self.index in self.failed) and not self.step and not redraw:
                self.window.wait(0.05)
                continue
            if self.render_one():
                redraw, self._repaint = self._repaint, False
                title_frames += 1
            now = time.perf_counter()
            if now - title_time >= TITLE_INTERVAL_S and self.index not in self.failed:
                ms = 1000 * (now - title_time) / max(title_frames, 1)
                self.window.set_title(
                    f"{self.loaded.scene.name} | {title_frames / (now - title_time):.0f} FPS | "
                    f"{ms:.2f} ms/frame | {self.frames.present_mode_name}"
                    + (" | REC" if self.recorder is not None else "")
                )
                title_time, title_frames = now, 0

    def render_one(self) -> bool:
        """One frame: the panel (what it changes applies now), wait for its slot and an image, launch the
        scene's kernels, submit, present."""
        t0 = time.perf_counter()
        panel = self.build_panel()
        begun = self.frames.begin(self.rendered)
        if begun is None:  # the swapchain was rebuilt (or the window is 0x0): try again next loop
            return False
        slot, image = begun
        t1 = time.perf_counter()
        try:
            if (not self.paused or self.step) and self.index not in self.failed:
                picked, self._picked_for_scene = self._picked_for_scene, None
                self.loaded.update(
                    self.sim_frame, self.dt, self.window.frame_input(self.frames.extent, picked)
                )
                self.sim_frame += 1
        except DeviceLostError:
            raise  # the device's failure, not the scene's
        except Exception as exc:
            if self.stop_on_error:
                raise
            self.scene_failed(exc)
        finally:  # the acquired image is submitted and presented even if the scene raised
            t2 = time.perf_counter()
            self.loaded.write_uniforms(slot.index, *self.frames.extent)  # after update: its view this frame
            self.frames.clear_color = (*self.loaded.background, 1.0)
            pixels = self.frames.submit(
                slot,
                image,
                capture=self.capture and self.screenshot_scale == 1,
                panel=panel,
                capture_panel=self.screenshot_panel,
                video=self.recorder is not None,
            )
        t3 = time.perf_counter()
        if self.pick_at is not None:
            point, self.pick_at = self.pick_at, None
            self.pick(slot, *point)
        if self.capture and self.screenshot_scale > 1:
            pixels = self._scaled_screenshot(slot)
        if self._video_failure is not None:
            self.stop_recording()
        if pixels is not None:
            self.capture, self.last_capture = False, pixels
            self.save_screenshot(pixels, self.screenshot_scale)
        self.frame_times.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
        self.rendered += 1
        return True

    def pick(self, slot, x: float, y: float) -> Picked:
        """What the frame just submitted from `slot` shows at window point (`x`, `y`) (frame/picking.py: an id
        pass drawn for this one pixel; waits for it): kept for the panel (`picked`), given to the scene's next
        update (`FrameInput.picked`) and printed."""
        width, height = self.frames.extent
        points = self.window.size()
        px = int(x * width / max(points[0], 1))
        py = int(y * height / max(points[1], 1))
        found = None
        try:
            if 0 <= px < width and 0 <= py < height:
                found = self.frames.pick(slot, px, py, self.frames.swapchain.storage)
        except OutOfMemoryError as exc:  # the id image for a window this large: the window goes on
            print(f"pick not made: {exc}", file=sys.stderr, flush=True)
        picked = self.loaded.picked(found, px, py)
        self.picked = self._picked_for_scene = picked
        self._repaint = True
        print(f"picked: {picked_summary(picked)}", flush=True)
        return picked

    def build_panel(self):
        """This frame's panel (its draw data), or None while it is hidden."""
        if self.panel is None or not self.panel.visible:
            return None
        return self.panel.build(self)

    def frame_summary(self) -> str:
        """The median frame time so far and its parts (waiting for a frame and image, the scene's update,
        submit and present), as printed at exit."""
        if len(self.frame_times) < 2:
            return "fewer than 2 frames rendered"
        times = np.array(self.frame_times[1:]) * 1000
        median = np.median(times, axis=0)
        return (
            f"{len(times)} frames: median {median[0]:.2f} ms/frame ({1000 / median[0]:.0f} FPS); of which "
            f"waiting for a free frame and image {median[1]:.2f} ms, scene update {median[2]:.2f} ms, "
            f"submit and present {median[3]:.2f} ms"
            + (f" ({self.frames.present_mode_name})" if self.frames is not None else "")
        )

    def gpu_summary(self) -> str:
        """The GPU time per frame of each span of the frames' timeline (median and 95th percentile), as printed at
        exit; it first waits for the frames still in flight, so that their figures count (and the frame log's)."""
        self.frames.wait_all()
        return self.timeline.summary_text()

    def write_frame_log(self, path: Path) -> None:
        """The frame times as CSV (frame_log.py: with the GPU time of each span of the frames' timeline), whole
        or not at all; OutputError if the file cannot be written."""
        host = [[1000 * v for v in row] for row in self.frame_times]
        columns = ["total_ms", "wait_acquire_ms", "update_ms", "submit_present_ms"]
        write_frame_log(path, columns, host, self.timeline)

    def close(self) -> None:
        """The session's fixed order (session.py: the window's surface goes with its frames), then the window,
        then glfw, even if the session's teardown raised. A recording is finished first."""
        try:
            if self.recorder is not None:
                self.stop_recording()
        except RendererError:
            pass  # the device failed while the last frames were read: the video keeps those before
        try:
            if self.session is not None:
                self.session.close()
            if self.panel is not None:
                self.panel.destroy()
                self.panel = None
        finally:
            if self.window is not None:
                self.window.destroy()
                self.window = None
            glfw.terminate()

    def __enter__(self) -> InteractiveApp:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
