"""Video recording: frames encoded into an H.264 video file by ffmpeg (the binary the imageio-ffmpeg wheel
ships) in a separate process, fed from a writer thread, so the frame loop only copies each frame.

    write(pixels) -> copy into a free frame buffer (waits while all are queued: backpressure, no frame is
                     dropped) -> queue -> writer thread -> ffmpeg's standard input -> temporary file
    close()       -> the queued frames written, ffmpeg finishes the file -> renamed over the target

The file is written beside its target under a temporary name and renamed over it once ffmpeg has finished it:
a reader sees a whole video or none. Closing (normal end, Esc, Ctrl-C, an error in a scene) always finishes a
valid video of the frames written so far. If ffmpeg itself fails (a full disk), the temporary file is removed
and the error names the file and ffmpeg's reason. ffmpeg runs in its own session, so a Ctrl-C in the terminal
reaches the renderer only, which then finishes the file.

yuv420p (what players expect of H.264) needs even sizes: an odd width or height gets one more column or row,
a copy of the last one (a 101x61 frame makes a 102x62 video). A frame of another size than the video's (a
window resized while recording) is placed at the top left, cropped, or padded with black.

Not imageio_ffmpeg.write_frames itself: it neither reports ffmpeg's exit status nor keeps its error output (it
goes to the terminal), so a file that ffmpeg failed to finish would pass as written.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from ..errors import OutOfMemoryError, OutputError, RendererError
from ..files import check_output_path, open_new, output_failure, temp_name
from ..interrupts import deferred

# container by the file's suffix (ffmpeg writes a temporary name, whose suffix cannot say)
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
PIXEL_FORMATS = {"rgba": 4, "bgra": 4, "rgb24": 3, "bgr24": 3}  # ffmpeg's names -> bytes per pixel
# x264 at "veryfast" costs about half the CPU time of its default "medium" (8 against 17 ms a 1280x720 frame on
# this project's 2-core machine), at a larger file; CRF 18 is visually lossless for rendered frames
ENCODER = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"]
QUEUE_FRAMES = 4
# the frame rates every container encodes: mp4 cannot mux below about 1/10000 fps ("pts/dts pair unsupported")
# and Matroska's timestamps are milliseconds, so above 1000 fps frames would share one
MIN_FPS, MAX_FPS = 1 / 1000, 1000.0
BUFFER_OVERHEAD = 512  # bytes of a frame buffer beyond its pixels (the ndarray object, the queue's slot)
ELSEWHERE = "choose another --record file"


def whole(value) -> bool:
    """`value` is a whole number (a bool is not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_video_path(path: str | Path) -> Path:
    """`path` as a video file's path: RendererError unless it ends in a suffix of CONTAINERS."""
    if not isinstance(path, (str, os.PathLike)):
        raise RendererError(f"a video file's path is a str or Path, not {path!r}")
    if "\0" in os.fspath(path):
        raise OutputError(f"cannot record to {str(path)!r}: a file's name cannot contain a NUL character")
    path = Path(path).expanduser()
    if path.suffix.lower() not in CONTAINERS or not path.stem:
        raise RendererError(
            f"cannot record to {str(path)!r}: a video file's name must end in "
            + ", ".join(CONTAINERS)
            + " (H.264 video)"
        )
    return path


class Recorder:
    """Encodes frames of `width` x `height` into the video file `path` (.mp4, .mov or .mkv) at `fps` frames a
    second. `pixel_format`: the frames' channels, "rgba" (HxWx4, as the renderer hands them out), "bgra" (a
    window's B8G8R8A8 images), "rgb24" or "bgr24" (HxWx3). The file is checked (made) before the first frame:
    OutputError names it if it cannot be written. Use as a context manager, or call close(); with a headless
    renderer:

        with Recorder("run.mp4", 1280, 720, fps=60) as video:
            for frame, pixels in renderer.frames_iter(600, copy=False):
                video.write(pixels)
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float = 60.0,
        *,
        pixel_format: str = "rgba",
        queue_frames: int = QUEUE_FRAMES,
    ):
        import imageio_ffmpeg  # here: only recording needs it

        self.path = check_video_path(path)
        if not all(whole(v) and v > 0 for v in (width, height, queue_frames)):
            raise RendererError(
                f"video size and queue length must be positive whole numbers, not {width!r}x{height!r} and "
                f"{queue_frames!r}"
            )
        if not isinstance(pixel_format, str) or pixel_format not in PIXEL_FORMATS:
            raise RendererError(
                f"pixel_format must be one of {', '.join(PIXEL_FORMATS)}, not {pixel_format!r}"
            )
        if not (isinstance(fps, numbers.Real) and not isinstance(fps, bool) and MIN_FPS <= fps <= MAX_FPS):
            raise RendererError(
                f"fps must be a positive number from {MIN_FPS:g} to {MAX_FPS:g} (what every container encodes), "
                f"not {fps!r}"
            )
        width, height = int(width), int(height)
        if self.path.is_dir():  # found now, not at the rename after the whole run
            raise OutputError(f"cannot record to {self.path}: it is a folder; {ELSEWHERE}")
        try:  # nor a device or FIFO, which the rename would replace
            check_output_path(self.path)
        except OSError as exc:
            raise OutputError(output_failure(self.path, exc, ELSEWHERE)) from None
        self.width, self.height, self.fps, self.pixel_format = width, height, float(fps), pixel_format
        self.size = (
            width + width % 2,
            height + height % 2,
        )  # yuv420p: even sizes (see the module's docstring)
        self.frames = 0  # accepted by write()
        self.encoded = 0  # handed to ffmpeg by the writer thread
        self.wait_s = 0.0  # time write() waited for a free frame buffer (the encoder behind)
        self.failure: OutputError | None = None
        self.closed = False
        channels = PIXEL_FORMATS[pixel_format]
        # np.zeros of a size beyond memory succeeds lazily (overcommit) and the OOM killer ends the process
        # when the frames fill it: the whole size is checked against the machine's memory first
        nbytes = (self.size[0] * self.size[1] * channels + BUFFER_OVERHEAD) * int(queue_frames)
        if nbytes > os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"):
            raise OutOfMemoryError(
                f"a {width}x{height} video's queue_frames={queue_frames} frame buffers need {nbytes} bytes, "
                "more than this machine's memory: lower queue_frames or record a smaller size"
            )
        if 8 * (self.size[0] + 128) * (self.size[1] + 128) >= 2**31 - 1:  # ffmpeg's av_image_check_size
            raise RendererError(
                f"cannot record a {width}x{height} video: ffmpeg takes frames of under about 2^28 pixels "
                "(16384x8192); record a smaller size"
            )
        self._free: queue.Queue = queue.Queue()
        try:  # first: a size too large leaves no temporary file or ffmpeg process behind
            for _ in range(queue_frames):
                self._free.put(np.zeros((self.size[1], self.size[0], channels), np.uint8))
        except MemoryError:
            nbytes = self.size[0] * self.size[1] * channels * queue_frames
            raise OutOfMemoryError(
                f"a {width}x{height} video's {queue_frames} frame buffers need {nbytes} bytes, more than this "
                "process can have: record a smaller size"
            ) from None
        self._temp = temp_name(self.path)
        try:  # proves the folder can be written before any frame is rendered
            open_new(self._temp, 0o666).close()
        except OSError as exc:
            raise OutputError(output_failure(self.path, exc, ELSEWHERE)) from None
        self._errors = tempfile.TemporaryFile()  # ffmpeg's messages, for the error if it fails
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo"]
        command += ["-pix_fmt", pixel_format, "-s", "{}x{}".format(*self.size), "-r", f"{self.fps:.6g}"]
        command += ["-i", "-", "-an", *ENCODER, "-f", CONTAINERS[self.path.suffix.lower()], str(self._temp)]
        try:
            self._ffmpeg = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
                start_new_session=True,  # the terminal's Ctrl-C is ours: we finish the file
            )
        except OSError as exc:
            self._discard()
            raise OutputError(f"cannot record {self.path}: ffmpeg could not start ({exc})") from None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._encode, name=f"recorder {self.path.name}", daemon=True)
        self._thread.start()

    def write(self, pixels: np.ndarray) -> None:
        """Queue one frame (HxWxC uint8, C as `pixel_format` says; copied before this returns, so a view the
        renderer rewrites later is fine). Waits while the encoder is `queue_frames` frames behind. Raises the
        encoder's failure (OutputError), if there was one."""
        if self.closed:
            raise RendererError(f"the recording of {self.path} is finished: start a new Recorder")
        if self.failure is not None:
            raise self.failure
        pixels = np.asarray(pixels)
        channels = PIXEL_FORMATS[self.pixel_format]
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != channels:
            raise RendererError(
                f"a {self.pixel_format} frame is HxWx{channels} uint8, not {pixels.dtype} of shape {pixels.shape}"
            )
        # Ctrl-C waits for the block's end: raised inside the queue's put, between Condition.notify's release of
        # the writer thread's waiter and its removal from the waiters, it left that waiter (taken again by the
        # writer's wait) to absorb the next notify, so close()'s None never woke the writer: a hang at shutdown
        with deferred():
            try:
                buffer = self._free.get_nowait()
            except queue.Empty:
                start = time.perf_counter()
                buffer = self._free.get()
                self.wait_s += time.perf_counter() - start
            self._fit(buffer, pixels)
            self._queue.put(buffer)
            self.frames += 1

    def _fit(self, buffer: np.ndarray, pixels: np.ndarray) -> None:
        h, w = pixels.shape[:2]
        if (h, w) == (self.height, self.width):
            buffer[:h, :w] = pixels
            if self.size[0] > w:  # the odd size's extra column and row: copies of the last
                buffer[:h, w] = pixels[:, w - 1]
            if self.size[1] > h:
                buffer[h] = buffer[h - 1]
            return
        buffer[:] = 0  # another size: top left, cropped or padded with black
        h, w = min(h, self.size[1]), min(w, self.size[0])
        buffer[:h, :w] = pixels[:h, :w]

    def _encode(self) -> None:
        """The writer thread: queued frames into ffmpeg until close() queues None."""
        while (buffer := self._queue.get()) is not None:
            if self.failure is None:
                try:
                    self._ffmpeg.stdin.write(buffer)
                    self.encoded += 1
                except OSError as exc:  # ffmpeg stopped (a full disk...): its exit status and messages
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self._ffmpeg.wait(10)
                    self.failure = self._ffmpeg_failure(exc.strerror or str(exc))
            self._free.put(buffer)

    def _ffmpeg_failure(self, fallback: str) -> OutputError:
        self._errors.seek(0)
        lines = [line.strip() for line in self._errors.read().decode(errors="replace").splitlines()]
        reason = "; ".join(line for line in lines[-3:] if line) or fallback
        status = self._ffmpeg.returncode
        exited = f" (exit status {status})" if status is not None else ""
        return OutputError(f"cannot write {self.path}: ffmpeg failed{exited}: {reason}; {ELSEWHERE}")

    def close(self) -> int:
        """Write what is queued, let ffmpeg finish the file and rename it over `path`; return the number of
        frames in it. Idempotent. With no frame written no file is made (an empty video is not valid). Raises
        the encoder's failure (OutputError), after removing its unfinished file. A Ctrl-C meanwhile is raised
        once the file is finished."""
        if self.closed:
            return self.encoded if self.failure is None else 0
        self.closed = True
        with deferred():
            self._queue.put(None)
            self._thread.join()
            with contextlib.suppress(OSError):
                self._ffmpeg.stdin.close()
            status = self._ffmpeg.wait()
            if self.failure is None and status != 0:
                self.failure = self._ffmpeg_failure(f"exit status {status}")
            try:
                if self.failure is not None or self.encoded == 0:
                    self._discard()
                else:
                    try:
                        check_output_path(self.path)  # a device or FIFO made there meanwhile
                        os.replace(self._temp, self.path)
                    except OSError as exc:
                        self._discard()
                        self.failure = OutputError(output_failure(self.path, exc, ELSEWHERE))
            finally:
                self._errors.close()
        if self.failure is not None:
            raise self.failure
        return self.encoded

    def _discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._temp)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
            return
        try:  # the file of the frames so far is kept; the exception that ended the block is the one raised
            self.close()
        except RendererError:
            pass
