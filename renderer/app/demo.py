"""The command line behind `python3 run_demo.py`: run a scene in a window, or headless into PNG files.

With a display it opens the window (renderer/app/interactive.py); without one, or with --headless, it renders
offscreen and writes PNG files (it says where). `--record FILE.mp4` writes every rendered frame into a video
too (headless: instead of the PNG files unless --out is given).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ..errors import DeviceNotFoundError, OutputError, RendererError, WindowError
from ..files import check_output_path, output_failure, remove_stale_temps, save_png
from ..interrupts import deferred
from ..scene import registry
from ..scene import template as new_scene
from ..scene.api import ParamError, SceneError
from ..scene.registry import SceneNotFoundError
from .frame_log import write_frame_log
from .headless import HeadlessRenderer
from .progress import Progress
from .recording import MAX_FPS, MIN_FPS, Recorder, check_video_path


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not {text!r}") from None
    if not (0 < w <= 16384 and 0 < h <= 16384):
        raise argparse.ArgumentTypeError(f"size must be 1..16384 on each side, not {text!r}")
    return w, h


def parse_param(text: str) -> tuple[str, str]:
    """NAME=VALUE: the value stays text until the scene is known (its parameter says what the text means)."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"a scene parameter looks like name=value, not {text!r}")
    return name, value


def positive_int(text: str) -> int:
    """A count: a whole number of at least 1 ("1e3" is 1000; "2.5" is refused, never rounded)."""
    try:
        value = int(text.strip(), 0)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number.is_integer()):
            raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}") from None
        value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds like 0.016, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, not {text!r}")
    return value


def video_file(text: str) -> Path:
    """A video file's path: its suffix names a container the recorder writes (the folder is checked when
    the recording starts, by making the file)."""
    try:
        return check_video_path(text)
    except RendererError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def screenshot_scale(text: str) -> int:
    value = positive_int(text)
    if value > 8:
        raise argparse.ArgumentTypeError(f"must be a whole number in 1..8, not {text!r}")
    return value


def device_text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "must be part of a device's name (it matched every device), not empty"
        )
    return text


def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_folder(text: str | Path) -> Path:
    """A folder for output files: one that is, or can be made (no file in its place or above it, writable)."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("must be a folder's path, not empty")
    if "\0" in str(text):
        raise argparse.ArgumentTypeError(f"a path cannot contain a NUL character, not {str(text)!r}")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, not a folder")
    base = _first_existing(path.absolute())
    if not base.is_dir():
        raise argparse.ArgumentTypeError(f"{path} cannot be made: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{path} cannot be written: no permission to write in {base}")
    return path


def output_file(text: str) -> Path:
    """A file to write at the end of a run: checked now, so that a long run does not fail at its end."""
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a path cannot contain a NUL character, not {text!r}")
    path = Path(text).expanduser()
    if not text.strip() or path.is_dir() or text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"must be a file's path, not {text!r}")
    output_folder(path.parent)
    try:  # a device or FIFO there would be replaced by the file
        check_output_path(path)
    except OSError as exc:
        raise argparse.ArgumentTypeError(output_failure(path, exc, "write it elsewhere")) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{path} cannot be written: permission denied")
    return path


def build_parser(prog: str = "run_demo.py") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--scene", default="particles", help="a built-in scene's name or a scene file's path")
    p.add_argument(
        "--list-scenes",
        action="store_true",
        help="list the built-in scenes, those of installed packages, and the --scene file; then exit",
    )
    p.add_argument(
        "--new-scene", metavar="NAME", help="write NAME.py, a working scene to start from; then exit"
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="render offscreen into PNG files (the default without a display)",
    )
    p.add_argument(
        "--frames",
        type=positive_int,
        help="stop after N frames (default: 60 headless, until closed in a window)",
    )
    p.add_argument("--size", type=parse_size, default=(1280, 720), help="frame size WxH (default 1280x720)")
    p.add_argument(
        "--out",
        type=output_folder,
        help="folder for the PNG files, screenshots and recordings (default ./out); headless with --record, "
        "PNG files are written only if it is given",
    )
    p.add_argument("--every", type=positive_int, default=1, help="save every Nth frame (default 1: all)")
    p.add_argument(
        "--dt", type=positive_seconds, default=1 / 60, help="time step per frame in seconds (default 1/60)"
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="run with the Vulkan validation layer (synchronization validation too) and print its "
        "messages; exit non-zero if it reports any",
    )
    p.add_argument("--device", type=device_text, help="use the Vulkan device whose name contains this text")
    p.add_argument(
        "--no-vsync",
        action="store_true",
        help="window: present without vsync (MAILBOX or IMMEDIATE where offered): an uncapped frame rate",
    )
    p.add_argument(
        "--timeline",
        action="store_true",
        help="time every pass of every frame on the GPU even on a CPU driver (lavapipe), where it costs ~0.7 ms "
        "a frame; on GPUs it is always on",
    )
    p.add_argument(
        "--no-ui",
        action="store_true",
        help="window: start with the panel hidden and never load it (F2 shows it otherwise)",
    )
    p.add_argument(
        "--frame-log",
        type=output_file,
        metavar="CSV",
        help="write each frame's time (and where it went: the host's parts in a window, the GPU time of each "
        "pass where the device has timestamps) to this CSV file",
    )
    p.add_argument(
        "--record",
        type=video_file,
        metavar="FILE.mp4",
        help="write every rendered frame into this video file (.mp4, .mov or .mkv; H.264 at 1/dt frames a "
        "second); in the window from the first frame until F9 or the end",
    )
    p.add_argument(
        "--record-ui",
        action="store_true",
        help="window: the video shows the panel drawn over the scene (default: the scene alone)",
    )
    p.add_argument(
        "--screenshot-scale",
        type=screenshot_scale,
        default=1,
        metavar="K",
        help="window: S renders the screenshot offscreen at K times the window's size (1-8, default 1)",
    )
    p.add_argument(
        "--param",
        type=parse_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a scene parameter, e.g. --param count=1000000 (repeatable; --list-scenes shows each scene's)",
    )
    return p


class _Stdout:
    """Standard output whose failure (a closed pipe, a full disk) is an OutputError: the run stops as on any
    failed write, not with a traceback from whichever message met it."""

    def __init__(self, stream):
        self.stream, self.failed = stream, False

    def _failure(self, exc: OSError) -> OutputError:
        self.failed = True
        return OutputError(f"cannot write to standard output: {exc.strerror or exc}")

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as exc:
            raise self._failure(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise self._failure(exc) from None

    def __getattr__(self, name):
        return getattr(self.stream, name)


def main(argv: list[str] | None = None, prog: str = "python3 run_demo.py") -> int:
    """The command line; `prog` is how the user ran it (for help and hints). Exit status 2 for a bad
    command-line value (argparse's usage and one line naming it), 1 for a scene's mistake or the renderer's
    failure (one line), 0 otherwise; nothing is written for a run refused on its arguments."""
    # Python Taichi takes a sys.stdout that is not sys.__stdout__ for a notebook's, and says so as it loads
    os.environ.setdefault("TI_ENABLE_PYBUF", "0")
    stdout = sys.stdout = _Stdout(sys.stdout)
    try:
        code = _main(argv, prog)
        sys.stdout.flush()
        return code if not stdout.failed else 1
    except KeyboardInterrupt:  # before the run: importing the scene file, its kernels' decorators...
        with contextlib.suppress(OSError):
            print("interrupted; shutting down", file=sys.stderr)
        return 0
    except OutputError as exc:
        if not stdout.failed:
            raise
        with contextlib.suppress(OSError):
            print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout.stream
        if stdout.failed:  # what is left in its buffer would fail again as Python exits
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)


def _main(argv: list[str] | None, prog: str) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    args.pngs = args.out is not None or args.record is None  # headless: PNG files unless only recording
    if args.out is None:
        args.out = Path("out")

    def usage_error(message: str) -> int:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2

    # the video's frame rate is 1/dt: checked before rendering, not by the recorder after the scene's set-up
    if args.record is not None and not MIN_FPS <= 1 / args.dt <= MAX_FPS:
        return usage_error(
            f"argument --dt: with --record it must be {1 / MAX_FPS:g} to {1 / MIN_FPS:g} seconds (the video's "
            f"{MIN_FPS:g} to {MAX_FPS:g} frames a second), not {args.dt!r}"
        )

    def scene_error(exc: Exception) -> int:
        if isinstance(exc, SceneNotFoundError):
            return usage_error(f"argument --scene: {exc}")
        if isinstance(exc, ParamError):
            return usage_error(f"argument --param: {exc}")
        print(f"error: {exc}", file=sys.stderr)
        return 1

    if args.new_scene:
        try:
            path = new_scene.write(args.new_scene, Path.cwd())
        except SceneError as exc:
            return usage_error(f"argument --new-scene: {exc}")
        except OSError as exc:
            print(
                f"error: cannot write the new scene in {Path.cwd()}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
        print(f"wrote {path}; run it with: {prog} --scene {path}")
        return 0
    try:
        if args.list_scenes:
            list_scenes(args.scene if args.scene != "particles" else None)
            return 0
        texts: dict[str, str] = {}
        for name, text in args.param:
            if name in texts:
                return usage_error(f"argument --param: {name} is given twice ({texts[name]!r} and {text!r})")
            texts[name] = text
        # importing scene files and Taichi: a KeyboardInterrupt inside a C extension's initialisation would
        # become an ImportError, so Ctrl-C waits for the end of this (main says it was interrupted)
        with deferred():
            scene_cls = registry.resolve(args.scene)
            params = scene_cls.parse_params(texts)
            scene = scene_cls(**params)
        output_folder(
            args.out / scene.name
        )  # the default --out too, and a file where the scene's folder goes
    except argparse.ArgumentTypeError as exc:
        return usage_error(f"argument --out: {exc}")
    except RendererError as exc:
        return scene_error(exc)
    try:
        return run(scene_cls, params, scene, args)
    except (
        KeyboardInterrupt
    ):  # in set-up or compilation (the frame loops stop at a frame's end by themselves)
        print("interrupted; shutting down", file=sys.stderr)
        return 0
    except RendererError as exc:  # one the run did not say itself: its one line, never a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run(scene_cls, params: dict, scene, args) -> int:
    """The scene in the window, or headless where there is none (or it cannot open)."""
    if not args.headless:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            print("no display found: rendering headless")
        else:
            try:
                return run_window(scene_cls, params, args)
            except WindowError as exc:
                print(f"could not open a window ({exc}): rendering headless")
            except RendererError as exc:  # before the window's loop: no device of that name, no Vulkan...
                print(f"error: {exc}", file=sys.stderr)
                return 2 if isinstance(exc, DeviceNotFoundError) else 1
    if args.record_ui or args.screenshot_scale != 1:
        print("note: --record-ui and --screenshot-scale are for the window", file=sys.stderr)
    if args.frames is None:
        args.frames = 60
    folders = _missing_folders(args.out / scene.name)
    code = 1
    try:
        code = run_headless(scene, args)
        return code
    finally:
        if code != 0:  # nothing half-made: the folders this run made, if it wrote nothing into them
            for folder in folders:
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _missing_folders(path: Path) -> list[Path]:
    """The folders that making `path` would create, deepest first."""
    missing = []
    path = path.absolute()
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def list_scenes(scene_file: str | None) -> None:
    print("built-in scenes:")
    for name, cls in sorted(registry.builtin_scenes().items()):
        print(f"  {name:16s} {cls.description}")
        for key, param in cls.params.items():
            print(
                f"  {'':16s}   --param {key}=... ({param.help}; {param.describe()}; default {param.default})"
            )
    plugins, problems = registry.plugin_scenes()
    print(f"scenes of installed packages (entry-point group {registry.ENTRY_POINT_GROUP!r}):")
    for name, cls in sorted(plugins.items()):
        print(f"  {name:16s} {cls.description} ({cls.__module__})")
    for problem in problems:
        print(f"  error: {problem}")
    if not plugins and not problems:
        print("  (none)")
    if scene_file:
        cls = registry.resolve(scene_file)
        print(f"scene file {scene_file}:\n  {cls.name:16s} {cls.description}")
    else:
        print("scene files: any file given with --scene path/to/scene.py (start one with --new-scene NAME)")


def run_window(scene_cls, params: dict, args) -> int:
    """The interactive window; 0 on Esc, Q, the close button or Ctrl-C."""
    # Not at the top: importing glfw loads libglfw and the X11 libraries, which headless use must not need.
    from .interactive import InteractiveApp

    plugins, problems = registry.plugin_scenes()
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    classes = sorted(registry.builtin_scenes().values(), key=lambda c: c.name)
    classes += sorted(
        (c for c in plugins.values() if c.name not in {k.name for k in classes}), key=lambda c: c.name
    )
    if scene_cls not in classes:
        classes.insert(0, scene_cls)
    with InteractiveApp(
        classes,
        classes.index(scene_cls),
        params=params,
        size=args.size,
        vsync=not args.no_vsync,
        validate=args.validate,
        device_name=args.device,
        out_dir=args.out,
        dt=args.dt,
        stop_on_error=args.frames is not None,  # a scripted run stops; an interactive one pauses the scene
        panel=not args.no_ui,
        timeline=True if args.timeline else None,
        record=args.record,
        record_ui=args.record_ui,
        screenshot_scale=args.screenshot_scale,
    ) as app:
        try:
            app.run(max_frames=args.frames)
        except KeyboardInterrupt:  # only outside the loop (the loop turns Ctrl-C into a flag)
            app.interrupted = True
        except RendererError as exc:  # the renderer's own failure (a lost device...): one clear message
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except Exception:  # a scene's bug: its traceback, then the same orderly shutdown
            traceback.print_exc()
            print(f"error in scene {app.session.scene.name!r}: shutting down", file=sys.stderr)
            return 1
        if app.interrupted:
            print("interrupted; shutting down", file=sys.stderr)
        print(app.frame_summary())
        print(app.gpu_summary())
        if args.frame_log:
            try:
                app.write_frame_log(args.frame_log)
            except OutputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"frame times written to {args.frame_log.resolve()}")
    if app.recording_errors:  # each said when it happened
        return 1
    if app.failed:
        print(f"{len(app.failed)} scene(s) failed: " + "; ".join(app.failed.values()), file=sys.stderr)
        return 1
    if args.validate and app.context.validation_log.problems():
        return 1
    return 0


OUT_ELSEWHERE = "choose another --out folder"


class PngWriter:
    """Writes the frames' PNG files in order in a background thread, each whole or not at all
    (files.save_png). The first failure stops the writing (the frames queued after it are not written) and
    the run: `submit` raises it at the next frame."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(1)
        self.jobs: list[tuple[Path, Future]] = []
        self.failure: OutputError | None = None

    def submit(self, path: Path, image) -> None:
        self.check()
        # a Ctrl-C inside the pool's queueing could leave its lock held, or the job untracked
        with deferred():
            self.jobs.append((path, self.pool.submit(self._write, path, image)))

    def _write(self, path: Path, image) -> bool:
        if self.failure is not None:
            return False
        try:
            save_png(path, image, OUT_ELSEWHERE)
        except OutputError as exc:
            self.failure = exc
            raise
        return True

    def check(self) -> None:
        """Raise the write failure, if there was one."""
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        """Wait for the writes in flight."""
        self.pool.shutdown(wait=True, cancel_futures=self.failure is not None)

    def written(self) -> list[Path]:
        return [
            path
            for path, job in self.jobs
            if job.done() and not job.cancelled() and job.exception() is None and job.result()
        ]


def run_headless(scene, args) -> int:
    out = args.out / scene.name
    if args.pngs:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"error: {output_failure(out, exc, OUT_ELSEWHERE)}", file=sys.stderr)
            return 1
        remove_stale_temps(out, "frame_*.png")  # of a run killed while it wrote a frame
    recorder = None
    if args.record:
        remove_stale_temps(args.record.parent, args.record.name)  # of a run killed while it recorded
        try:  # before the device's set-up: an unwritable file is said at once
            recorder = Recorder(args.record, *args.size, fps=1 / args.dt)
        except RendererError as exc:  # an unwritable file, a size beyond memory...
            print(f"error: {exc}", file=sys.stderr)
            return 1
    pngs = PngWriter()
    said = None  # the output error already printed
    status: int | None = 1
    try:
        try:
            status = render_headless(scene, args, out, pngs, recorder)
        except OutputError as exc:
            status = 1
            if exc is not pngs.failure:
                print(f"error: {exc}", file=sys.stderr)
                said = exc
        finally:
            pngs.close()
    finally:  # the video of the frames so far is finished whatever stopped the run
        if recorder is not None and not close_recording(recorder, said) and status is None:
            status = 1
    if pngs.failure is not None:  # complete files only: each is written whole or not at all
        written = pngs.written()
        if not written:
            kept = "no frame was written"
        elif len(written) == 1:
            kept = f"{written[0].name}, written before it, is complete and kept"
        else:
            kept = (
                f"the {len(written)} frames written before it ({written[0].name} to {written[-1].name}) are "
                "complete and kept"
            )
        print(
            f"error: {pngs.failure}. The run stopped there: {kept} in {out.resolve()}/; no partial file is left",
            file=sys.stderr,
        )
        return 1
    if status is None:
        written = pngs.written()
        if written:
            print(f"wrote {len(written)} PNG files to {out.resolve()}/ (last: {written[-1].name})")
        return 0
    return status


def close_recording(recorder: Recorder, said: Exception | None = None) -> bool:
    """Finish the video and say where it is; False (and the error, unless it is `said` already) if it
    failed."""
    try:
        frames = recorder.close()
    except OutputError as exc:
        if exc is not said:
            print(f"error: {exc}", file=sys.stderr)
        return False
    if frames:
        width, height = recorder.size
        print(
            f"recorded {frames} frames to {recorder.path.resolve()} ({width}x{height}, "
            f"{recorder.fps:.4g} frames a second)"
        )
    else:
        print(f"no frame was recorded: {recorder.path} was not written", file=sys.stderr)
    return True


def render_headless(scene, args, out: Path, pngs: PngWriter, recorder: Recorder | None = None) -> int | None:
    """Render the frames, handing those to save to `pngs` (if args.pngs) and each to `recorder`; None when
    every frame was rendered, else the exit status (0 for Ctrl-C, 1 for a failure, whose message is printed).
    A failed PNG write or recording raises OutputError."""
    width, height = args.size
    saved = []
    done = 0
    try:
        with HeadlessRenderer(
            scene,
            width,
            height,
            validate=args.validate,
            echo_validation=args.validate,
            device_name=args.device,
            timeline=True if args.timeline else None,
        ) as renderer:
            print(
                f"rendering {args.frames} frames of scene {scene.name!r} at {width}x{height} on "
                f"{renderer.context.describe()}"
            )

            def save(frame, pixels):
                if frame % args.every == 0 or frame == args.frames - 1:
                    path = out / f"frame_{frame:05d}.png"
                    pngs.submit(path, pixels[..., :3])  # a copy of the frame's: the writer encodes it
                    saved.append(path)

            progress = Progress(args.frames)
            start = last = time.perf_counter()
            frame_ms = []  # host time between frames handed out
            try:
                # in place when only recording: the recorder copies what it keeps
                for frame, pixels in renderer.frames_iter(args.frames, args.dt, copy=args.pngs):
                    with deferred():  # a Ctrl-C meanwhile: once the frame is saved, recorded and counted
                        if args.pngs:
                            save(frame, pixels)
                        if recorder is not None:
                            recorder.write(pixels)
                        done += 1
                    progress.update(done)
                    now = time.perf_counter()
                    frame_ms.append([1000 * (now - last)])
                    last = now
            except KeyboardInterrupt:  # raised at a frame's end (interrupts.py): keep what was rendered
                progress.finish()
                print(f"interrupted after {done} frames; shutting down", file=sys.stderr)
                return 0
            except RendererError:
                raise
            except Exception:  # a scene's bug: its traceback, then the same orderly shutdown
                progress.finish()
                traceback.print_exc()
                print(f"error in scene {scene.name!r}: shutting down", file=sys.stderr)
                return 1
            finally:
                progress.finish()
            elapsed = time.perf_counter() - start
            timeline = renderer.timeline
        background = " and ".join(
            what for what, on in (("PNG files", args.pngs), ("the video", recorder)) if on
        )
        print(
            f"{args.frames} frames in {elapsed:.2f} s ({1000 * elapsed / args.frames:.1f} ms/frame; "
            f"{background} encoded in the background)"
        )
        print(timeline.summary_text())
        if args.frame_log:
            write_frame_log(args.frame_log, ["total_ms"], frame_ms, timeline)
            print(f"frame times written to {args.frame_log.resolve()}")
        return None
    except OutputError:
        raise
    except RendererError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, DeviceNotFoundError) else 1
