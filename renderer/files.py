"""Writing files whole or not at all: the data goes to a temporary file beside the target, which then replaces
the target in one rename (`os.replace`). A reader, or a run started at the same time, sees the old file or the
new one, never part of one; a failed write (a full disk, a folder that is read-only, a folder in the target's
place) removes its temporary file and raises the OSError."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import OutputError

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 600  # a temporary file this old belongs to a writer that died (killed mid-write)


def temp_name(path: Path) -> Path:
    """A fresh name for the temporary file of `path`: hidden, in the same folder (so the rename is atomic) and
    unique to this writer."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


def open_new(path: Path, mode: int) -> BinaryIO:
    """A new file, opened for writing (never an existing one)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb")


NOT_REGULAR = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def check_output_path(path: Path) -> None:
    """OSError (as a failed write's, for the callers' messages) unless `path` can be made or replaced by a
    regular file: a NUL in its name, or something other than a regular file there (a folder, a device, a FIFO,
    a socket; a symbolic link is followed, so one to a device counts as the device) is refused before anything
    is written, since the rename would replace a device node or a pipe with a file. A symbolic link to a
    regular file is replaced by the new file."""
    if "\0" in str(path):
        raise OSError(None, "a file's name cannot contain a NUL character")
    try:
        mode = os.stat(path).st_mode
    except OSError:  # nothing there (or a dangling link): the write makes it, or says why it cannot
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    if not stat.S_ISREG(mode):
        raise OSError(
            None, f"it is {NOT_REGULAR.get(stat.S_IFMT(mode), 'not a regular file')}, not a regular file"
        )


def write_atomically(path: Path, write: Callable[[BinaryIO], object], mode: int = 0o666) -> None:
    """Write `path` through `write(file)` into a temporary file, then rename it over `path`. The file gets
    `mode` less the umask. On any failure the temporary file is removed and the exception raised. (No fsync:
    a full disk says so at write or close, and a cache entry that a crash damaged fails its checksum.)
    OSError, before anything is written, where `path` is not a regular file (check_output_path)."""
    path = Path(path)
    check_output_path(path)
    temp = temp_name(path)
    file = open_new(temp, mode)
    try:
        with file:
            write(file)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_bytes_atomically(path: Path, data: bytes, mode: int = 0o666) -> None:
    write_atomically(path, lambda file: file.write(data), mode)


def remove_stale_temps(folder: Path, names: str = "*") -> None:
    """Remove the temporary files that writers which died left in `folder` for files named like `names` (a
    glob), never a live writer's: those are younger than STALE_TEMP_SECONDS."""
    now = time.time()
    with contextlib.suppress(OSError):
        for temp in Path(folder).glob(f".{names}.*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                    temp.unlink()


def describe_os_error(exc: OSError) -> str:
    """`exc`'s reason with its errno name: "No space left on device (ENOSPC)"."""
    name = errno.errorcode.get(exc.errno or 0)
    reason = exc.strerror or str(exc)
    return f"{reason} ({name})" if name else reason


def is_read_only_error(exc: OSError) -> bool:
    """The folder or file cannot be written at all (as opposed to a full disk)."""
    return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


def output_failure(path: Path, exc: OSError, elsewhere: str = "write it elsewhere") -> str:
    """What went wrong writing `path`, and what to do: `elsewhere` names the way to write somewhere else."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = f"free space on that disk or {elsewhere}"
    elif exc.errno == errno.EISDIR:
        todo = f"a folder has that name: remove it or {elsewhere}"
    elif is_read_only_error(exc):
        todo = f"the folder cannot be written: change its permissions or {elsewhere}"
    else:
        todo = elsewhere
    return f"cannot write {path}: {describe_os_error(exc)}; {todo}"


def save_png(path: Path, image: Image.Image | np.ndarray, elsewhere: str = "write it elsewhere") -> None:
    """`image` (or an RGB/RGBA array) as the PNG file `path`, whole or not at all. OutputError names the file,
    the system's reason and what to do."""
    from PIL import Image  # here: the cache's users need none of it

    try:
        if not isinstance(image, Image.Image):
            image = Image.fromarray(image)
        write_atomically(Path(path), lambda file: image.save(file, format="PNG"))
    except OSError as exc:
        raise OutputError(output_failure(path, exc, elsewhere)) from None
    except MemoryError:
        height, width = image.size[::-1] if isinstance(image, Image.Image) else image.shape[:2]
        raise OutputError(
            f"cannot write {path}: encoding a {width}x{height} image needs more memory than this process can "
            "get; lower the frame size"
        ) from None


def write_text(path: Path, text: str, elsewhere: str = "write it elsewhere") -> None:
    """`text` as the file `path`, whole or not at all; OutputError as for save_png."""
    try:
        write_bytes_atomically(Path(path), text.encode())
    except OSError as exc:
        raise OutputError(output_failure(path, exc, elsewhere)) from None
