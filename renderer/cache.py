"""The user's cache folder (user-only permissions), shared by the kernel cache (`compute/aot.py`, `aot/`) and
the GLSL cache (`device/shaders.py`, `spirv/`). `RENDERER_CACHE_DIR` overrides where it is.

Every entry is one file that carries its own integrity: a header with the SHA-256 of its key and content, so
a damaged, truncated or swapped entry fails `read_entry` (it warns once and the caller rebuilds the entry).
Entries are written whole or not at all (`files.write_atomically`), so runs started at the same time can
fill one cold cache: the last writer wins with an entry as good as the others'. A cache that cannot be written
(a read-only folder, a full disk) costs only speed: what verifies is read, what is missing is built in memory,
and a warning says so once. A cache folder that cannot be made at all (a read-only home, no home) is replaced
by a private folder under the temporary folder, with a warning that names the variable to set.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import hashlib
import os
import pwd
import shutil
import stat
import tempfile
import warnings
from pathlib import Path

import platformdirs

from .errors import RendererError
from .files import describe_os_error, remove_stale_temps, write_bytes_atomically

CACHE_ENV = "RENDERER_CACHE_DIR"
APP_NAME = "taichi-vulkan-renderer"
ENTRY_MAGIC = b"renderer-cache-entry 1 "  # then the hex SHA-256 of key and content, then "\n", then content


class CacheWarning(UserWarning):
    """The cache could not be used as configured (or held a bad entry); the run goes on without it."""


class CacheEntryError(Exception):
    """A cache entry's content is not what its key promises (raised by a caller's own check of the content)."""


_warned: set[str] = set()
_roots: dict[str, Path] = {}  # the configured folder -> the folder used (the configured one or a fallback)
_in_memory: dict[Path, tuple[str, bytes]] = {}  # entries built but not written (a read-only cache)
_taichi_xdg: str | None = None  # the XDG_CACHE_HOME set for Taichi (not the user's choice of cache folder)


_deferred: list[str] | None = None  # warnings held back while the package is imported


def warn_once(message: str) -> None:
    """Warn about the cache's configuration, once a process."""
    if message not in _warned:
        _warned.add(message)
        if _deferred is not None:
            _deferred.append(message)
        else:
            warnings.warn(message, CacheWarning, stacklevel=3)


def _say_deferred() -> None:
    global _deferred
    held, _deferred = _deferred or [], None
    for message in held:
        warnings.warn(message, CacheWarning, stacklevel=3)


def home_folder() -> Path | None:
    """HOME, else the home folder of the user's passwd entry; None without either (or with a relative one)."""
    home = os.environ.get("HOME")
    if not home:
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:  # a user id with no passwd entry (a container's --user)
            return None
    return Path(home) if os.path.isabs(home) else None


def configured_root() -> Path | None:
    """The cache folder as configured: RENDERER_CACHE_DIR, else the user's cache folder (None when the user
    has no home folder to put it in)."""
    value = os.environ.get(CACHE_ENV)
    if value:
        return Path(value).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and xdg != _taichi_xdg and os.path.isabs(xdg):
        return Path(platformdirs.user_cache_dir(APP_NAME))  # XDG_CACHE_HOME/<app>
    home = home_folder()  # platformdirs raises RuntimeError without a home
    return home / ".cache" / APP_NAME if home is not None else None


def _make_private(path: Path) -> Path:
    """`path` made (mode 0700) if missing; OSError if it cannot be made or is not a folder."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    with contextlib.suppress(OSError):  # a read-only folder, or another user's: usable to read from
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            os.chmod(path, 0o700)
    return path


@functools.cache
def fallback_root() -> Path:
    """A private folder under the temporary folder: <tmp>/taichi-vulkan-renderer-<uid>, if it is this user's
    and nobody else can write it, else a fresh folder for this process only (removed at exit)."""
    try:
        base = Path(tempfile.gettempdir())
    except OSError as exc:  # "no usable temporary directory"
        raise RendererError(
            f"no folder can be written for the renderer's cache ({exc}): set {CACHE_ENV} (or TMPDIR) to a "
            "writable folder"
        ) from None
    shared = base / f"{APP_NAME}-{os.geteuid()}"
    with contextlib.suppress(OSError):
        shared.mkdir(mode=0o700, exist_ok=True)
        info = shared.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022:
            if os.access(shared, os.W_OK | os.X_OK):
                return shared
    try:
        own = Path(tempfile.mkdtemp(prefix=f"{APP_NAME}-"))
    except OSError as exc:
        raise RendererError(
            f"no folder can be written for the renderer's cache ({describe_os_error(exc)}): set {CACHE_ENV} "
            "(or TMPDIR) to a writable folder"
        ) from None
    atexit.register(shutil.rmtree, own, ignore_errors=True)
    return own


def cache_root() -> Path:
    """The folder that holds the caches: the configured one, or (when that cannot be made) a fallback, with a
    warning once. Resolved once per configured folder."""
    configured = configured_root()
    key = str(configured)
    if key not in _roots:
        try:
            if configured is None:
                raise FileNotFoundError("neither HOME nor the user's passwd entry names a home folder")
            _roots[key] = _make_private(configured)
        except OSError as exc:
            root = fallback_root()
            why = describe_os_error(exc) if exc.errno else str(exc)
            where = configured or "the user's cache folder"
            warn_once(
                f"cannot use {where} for the renderer's cache ({why}): using {root} instead; set "
                f"{CACHE_ENV} to a writable folder to choose where it goes"
            )
            _roots[key] = root
    return _roots[key]


def cache_dir(kind: str) -> Path:
    """The cache's folder for `kind` ("aot", "spirv"), made with mode 0700 if missing. It may still be one
    that cannot be written (read_entry/write_entry cope)."""
    _say_deferred()
    path = cache_root() / kind
    with contextlib.suppress(OSError):  # a read-only cache without this folder: every entry is a miss
        _make_private(path)
    return path


def writable(path: Path) -> bool:
    """Whether files can be made in folder `path` (made if missing)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def scratch_dir() -> Path:
    """A writable folder for this user: the cache's own if it can be written, else the fallback."""
    root = cache_root()
    return root if writable(root) else fallback_root()


# ----------------------------------------------------------------------------------------------------------
# Entries


def entry_digest(key: str, content: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\0" + content).hexdigest()


def read_entry(path: Path, key: str, check=None) -> bytes | None:
    """The content of the entry at `path` if it is there and verifies: its header's digest covers `key` and
    the content (a swapped entry fails), and `check(content)` (the caller's own test of what the content is)
    raises no CacheEntryError. None if it is missing; None with a warning once if it is bad (the caller
    rebuilds it and write_entry replaces it)."""
    if path in _in_memory and _in_memory[path][0] == key:  # built by this process; the disk could not keep it
        return _in_memory[path][1]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn_once(f"cannot read cache entry {path} ({describe_os_error(exc)}): it is built again")
        return None
    header, newline, content = data.partition(b"\n")
    problem = None
    if not newline or not header.startswith(ENTRY_MAGIC):
        problem = "no valid header"
    elif header[len(ENTRY_MAGIC) :].decode(errors="replace") != entry_digest(key, content):
        problem = "its checksum does not match its key and content"
    elif check is not None:
        try:
            check(content)
        except CacheEntryError as exc:
            problem = str(exc)
    if problem is None:
        return content
    # each time: a damaged entry is rebuilt (or, if the folder cannot be written, kept in memory) and read once
    warnings.warn(f"cache entry {path} was damaged ({problem}); rebuilt", CacheWarning, stacklevel=2)
    return None


def write_entry(path: Path, key: str, content: bytes) -> bool:
    """Write the entry atomically. A failure (a read-only folder, a full disk) leaves no file behind, warns
    once and returns False: the caller goes on with `content`, which read_entry gives again in this process."""
    folder = path.parent
    remove_stale_temps(folder)  # of writers that died mid-write
    header = ENTRY_MAGIC + entry_digest(key, content).encode() + b"\n"
    try:
        write_bytes_atomically(path, header + content, mode=0o600)
        _in_memory.pop(path, None)
        return True
    except OSError as exc:
        _in_memory[path] = (key, content)
        reason = describe_os_error(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            warn_once(
                f"the disk of the cache folder {folder} is full ({reason}): what it lacks is built in memory "
                "for this run; free some space to keep it"
            )
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR):
            warn_once(  # read-only, or a folder that could not be made
                f"the cache folder {folder} cannot be written ({reason}): what it lacks is built in memory "
                f"in every run; set {CACHE_ENV} to a writable folder to keep it"
            )
        else:  # a folder in the entry's place (EISDIR), ...
            warn_once(f"cannot write cache entry {path} ({reason}): it is built in memory for this run")
        return False


# ----------------------------------------------------------------------------------------------------------
# Taichi's own cache folder


def prepare_taichi_environment(strict: bool = False, defer_warnings: bool = False) -> None:
    """Make sure Taichi finds a writable cache folder, before its library loads.

    libtaichi computes its cache folder from XDG_CACHE_HOME, else HOME (…/.cache/taichi), when it loads, and
    aborts the whole process when neither is set; Python Taichi (the kernel compiler's child process) creates
    that folder and aborts when it cannot. When neither variable gives a writable folder, XDG_CACHE_HOME is
    pointed at one (in the renderer's cache) for this process and its children, and a warning says what to
    set. When no folder at all can be written, `strict` (before compiling) raises RendererError saying what
    to set; otherwise the library only gets a path, so that it loads.

    With `defer_warnings` (as the package is imported, before a command line has set how warnings look)
    its warnings wait for the next call without it."""
    global _deferred
    if defer_warnings:
        _deferred = [] if _deferred is None else _deferred  # said by the next cache_dir() or call without it
    else:
        _say_deferred()
    _prepare_taichi_environment(strict)


def _prepare_taichi_environment(strict: bool) -> None:
    xdg, home = os.environ.get("XDG_CACHE_HOME"), os.environ.get("HOME")
    if xdg:
        base, source = Path(xdg), "XDG_CACHE_HOME"
    elif home:
        base, source = Path(home) / ".cache", "HOME"
    else:
        base, source = None, None
    if base is not None and base.is_absolute() and writable(base / "taichi"):
        return
    global _taichi_xdg
    home = home_folder()
    if source is None and home is not None and writable(home / ".cache" / "taichi"):
        # no HOME: the home folder of the user's passwd entry, as Python itself uses it
        _taichi_xdg = os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
        return
    why = (
        "HOME is not set (or empty)" if source is None else f"{source} gives {base}, which cannot be written"
    )
    try:
        folder = scratch_dir() / "xdg-cache"
        if not writable(folder):
            folder = fallback_root()
    except RendererError:
        if strict:
            raise RendererError(
                f"{why}, and no other folder can be written for Taichi's cache: set HOME (or XDG_CACHE_HOME) "
                "to a writable folder"
            ) from None
        if source is None:  # the library only computes the folder as it loads: any path keeps it alive
            _taichi_xdg = os.environ["XDG_CACHE_HOME"] = "/nonexistent"
        return
    _taichi_xdg = os.environ["XDG_CACHE_HOME"] = str(folder)
    warn_once(
        f"{why}: Taichi's cache folder is {folder} for this run; set HOME (or XDG_CACHE_HOME) to a writable "
        "folder to choose it"
    )
