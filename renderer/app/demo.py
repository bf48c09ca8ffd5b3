"""The command line behind `python3 run_demo.py`: run a scene in a window, or headless into PNG files.

With a display it opens the window (renderer/app/interactive.py); without one, or with --headless, it renders
offscreen and writes PNG files (it says where).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from ..errors import OutputError, RendererError, WindowError
from ..files import output_failure, remove_stale_temps, save_png
from ..scene import registry
from ..scene import template as new_scene
from .headless import HeadlessRenderer


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not {text!r}") from None
    if not (0 < w <= 16384 and 0 < h <= 16384):
        raise argparse.ArgumentTypeError(f"size must be 1..16384 on each side, not {text!r}")
    return w, h


def parse_param(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"a scene parameter looks like name=value, not {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


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
        "--frames", type=int, help="stop after N frames (default: 60 headless, until closed in a window)"
    )
    p.add_argument("--size", type=parse_size, default=(1280, 720), help="frame size WxH (default 1280x720)")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the PNG files (default ./out)")
    p.add_argument("--every", type=int, default=1, help="save every Nth frame (default 1: all)")
    p.add_argument("--dt", type=float, default=1 / 60, help="time step per frame in seconds (default 1/60)")
    p.add_argument(
        "--validate",
        action="store_true",
        help="run with the Vulkan validation layer (synchronization validation too) and print its "
        "messages; exit non-zero if it reports any",
    )
    p.add_argument("--device", help="use the Vulkan device whose name contains this text")
    p.add_argument(
        "--no-vsync",
        action="store_true",
        help="window: present without vsync (MAILBOX or IMMEDIATE where offered): an uncapped frame rate",
    )
    p.add_argument(
        "--frame-log",
        type=Path,
        metavar="CSV",
        help="window: write each frame's time (and where it went) to this CSV file",
    )
    p.add_argument(
        "--param",
        type=parse_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a scene parameter, e.g. --param count=1000000 (repeatable)",
    )
    return p


def main(argv: list[str] | None = None, prog: str = "python3 run_demo.py") -> int:
    """The command line; `prog` is how the user ran it (for help and hints)."""
    args = build_parser(prog).parse_args(argv)
    try:
        if args.list_scenes:
            list_scenes(args.scene if args.scene != "particles" else None)
            return 0
        if args.new_scene:
            path = new_scene.write(args.new_scene, Path.cwd())
            print(f"wrote {path}; run it with: {prog} --scene {path}")
            return 0
        if args.frames is not None and args.frames < 1:
            print("error: --frames must be at least 1", file=sys.stderr)
            return 2
        scene_cls = registry.resolve(args.scene)
        params = dict(args.param)
        scene = scene_cls(**params)
    except (RendererError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.headless:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            print("no display found: rendering headless")
        else:
            try:
                return run_window(scene_cls, params, args)
            except WindowError as exc:
                print(f"could not open a window ({exc}): rendering headless")
    if args.frames is None:
        args.frames = 60
    return run_headless(scene, args)


def list_scenes(scene_file: str | None) -> None:
    print("built-in scenes:")
    for name, cls in sorted(registry.builtin_scenes().items()):
        print(f"  {name:16s} {cls.description}")
        for key, param in cls.params.items():
            bounds = f", {param.low}..{param.high}" if param.low is not None or param.high is not None else ""
            print(f"  {'':16s}   --param {key}=... ({param.help}; default {param.default}{bounds})")
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
        if args.frame_log:
            try:
                app.write_frame_log(args.frame_log)
            except OutputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"frame times written to {args.frame_log.resolve()}")
    if app.failed:
        print(f"{len(app.failed)} scene(s) failed: " + "; ".join(app.failed.values()), file=sys.stderr)
        return 1
    if args.validate and app.context.validation_log.problems():
        return 1
    return 0


@contextlib.contextmanager
def ctrl_c_as_flag():
    """Within the block, Ctrl-C appends to the yielded list instead of raising KeyboardInterrupt: raised inside
    a callback that Taichi's C code made into the renderer (compute/hooks.py), it would become a failed Vulkan
    call there, and a crash."""
    flag: list = []
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: flag.append(signum))
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


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
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: {output_failure(out, exc, OUT_ELSEWHERE)}", file=sys.stderr)
        return 1
    remove_stale_temps(out, "frame_*.png")  # of a run killed while it wrote a frame
    pngs = PngWriter()
    try:
        status = render_headless(scene, args, out, pngs)
    except OutputError as exc:
        status = 1
        if exc is not pngs.failure:
            print(f"error: {exc}", file=sys.stderr)
    finally:
        pngs.close()
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
        print(f"wrote {len(written)} PNG files to {out.resolve()}/ (last: {written[-1].name})")
        return 0
    return status


def render_headless(scene, args, out: Path, pngs: PngWriter) -> int | None:
    """Render the frames, handing those to save to `pngs`; None when every frame was rendered, else the exit
    status (0 for Ctrl-C, 1 for a failure, whose message is printed). A failed PNG write raises OutputError."""
    width, height = args.size
    saved = []
    try:
        with HeadlessRenderer(
            scene,
            width,
            height,
            validate=args.validate,
            echo_validation=args.validate,
            device_name=args.device,
        ) as renderer:
            print(
                f"rendering {args.frames} frames of scene {scene.name!r} at {width}x{height} on "
                f"{renderer.context.describe()}"
            )

            def save(frame, pixels):
                if frame % args.every == 0 or frame == args.frames - 1:
                    path = out / f"frame_{frame:05d}.png"
                    pngs.submit(path, Image.fromarray(pixels[..., :3]))
                    saved.append(path)

            start = time.perf_counter()
            try:
                with ctrl_c_as_flag() as interrupted:
                    for frame, pixels in renderer.frames_iter(args.frames, args.dt):
                        save(frame, pixels)
                        if interrupted:
                            break
                if interrupted:  # Ctrl-C: stop cleanly at a frame's end, keep what was rendered
                    print(f"interrupted after {len(saved)} saved frames; shutting down", file=sys.stderr)
                    return 0
            except KeyboardInterrupt:  # only outside the frame loop (set-up, first frame)
                print(f"interrupted after {len(saved)} saved frames; shutting down", file=sys.stderr)
                return 0
            except RendererError:
                raise
            except Exception:  # a scene's bug: its traceback, then the same orderly shutdown
                traceback.print_exc()
                print(f"error in scene {scene.name!r}: shutting down", file=sys.stderr)
                return 1
            elapsed = time.perf_counter() - start
        print(
            f"{args.frames} frames in {elapsed:.2f} s ({1000 * elapsed / args.frames:.1f} ms/frame; "
            "PNG files are encoded in the background)"
        )
        return None
    except OutputError:
        raise
    except RendererError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
