"""Compiling ordinary Python Taichi kernels ahead of time, cached on disk.

A module is compiled for exactly the capabilities the renderer enabled and declared to its runtime, in a child
process (Python Taichi creates a Vulkan device of its own to compile; it stays out of the renderer's process).
Cache entries live in the user's cache directory (user-only permissions), are named by a key over the kernels'
source files, names, capabilities and the Taichi version, and carry a SHA-256 over that key and their content
(renderer/cache.py). Before loading, an entry must also be a readable module whose metadata names the
kernels asked for and whose tasks are SPIR-V: a damaged, swapped or foreign entry is rebuilt (with a warning),
never loaded. A warm start never starts the compiler; a cache that cannot be written costs a compile per run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from ..errors import DeviceLostError, RendererError

IN_COMPILER = "RENDERER_IN_KERNEL_COMPILER"  # set in the compiler's environment
FORMAT = 2  # bump when the way modules are built or stored changes (2: entries with their checksum inside)


class KernelCompileError(RendererError):
    """Taichi could not compile a kernel; the message keeps Taichi's own text."""


@dataclass(frozen=True)
class KernelRef:
    """Where a kernel lives: its module (importable name and file) and its name there."""

    module: str
    file: str
    name: str

    @classmethod
    def of(cls, kernel) -> KernelRef:
        func = inspect.unwrap(kernel)
        file = inspect.getsourcefile(func)
        if file is None:
            raise RendererError(f"cannot find the source file of kernel {kernel!r}")
        return cls(func.__module__, str(Path(file).resolve()), func.__name__)


def cache_dir() -> Path:
    return cache.cache_dir("aot")


def taichi_version() -> str:
    return importlib.metadata.version("taichi")


def cache_key(kernels: list[KernelRef], capabilities: dict[str, int]) -> str:
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "format": FORMAT,
                "taichi": taichi_version(),
                "caps": sorted(capabilities.items()),
                "kernels": sorted((k.module, k.name) for k in kernels),
            }
        ).encode()
    )
    for file in sorted({k.file for k in kernels}):
        h.update(Path(file).read_bytes())
    return h.hexdigest()[:32]


SPIRV_MAGIC = 0x07230203


def check_module(data: bytes, kernels: list[KernelRef]) -> None:
    """Raise CacheEntryError unless `data` is a compiled module (a zip with metadata.json) whose metadata names
    every kernel of `kernels` and whose tasks are SPIR-V."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            meta = json.loads(archive.read("metadata.json"))
            for name in archive.namelist():
                if name.endswith(".spv"):
                    code = archive.read(name)
                    if len(code) < 20 or len(code) % 4 or int.from_bytes(code[:4], "little") != SPIRV_MAGIC:
                        raise cache.CacheEntryError(f"its task {name} is not SPIR-V")
        names = {kernel["name"] for kernel in meta["kernels"]}
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError, OSError) as exc:
        raise cache.CacheEntryError(f"not a compiled module: {exc}") from None
    missing = sorted({k.name for k in kernels} - names)
    if missing:
        raise cache.CacheEntryError(f"the module lacks kernel(s) {missing}")


def entry_path(key: str) -> Path:
    return cache_dir() / f"{key}.tcm"


def load_cached(key: str, kernels: list[KernelRef] | None = None) -> bytes | None:
    """The cached module if present and intact (and, given `kernels`, a module of those kernels), else None
    (a bad entry warns once; compile_kernels replaces it)."""
    check = None if kernels is None else (lambda data: check_module(data, kernels))
    return cache.read_entry(entry_path(key), key, check)


_compiled_here: set[str] = set()  # keys whose module this process compiled (not read from the cache)


def compile_kernels(kernels: list[KernelRef], capabilities: dict[str, int], rebuild: bool = False) -> bytes:
    """The compiled module (.tcm bytes) for these kernels and capabilities, from the cache or the compiler
    (always the compiler with `rebuild`)."""
    if not kernels:
        raise RendererError("no kernels to compile")
    key = cache_key(kernels, capabilities)
    data = None if rebuild else load_cached(key, kernels)
    if data is not None:
        return data
    # the compiler writes into a folder of its own: runs compiling at the same time never share a file
    with tempfile.TemporaryDirectory(prefix="renderer-tcm-", ignore_cleanup_errors=True) as tmp:
        data = run_compiler(kernels, capabilities, Path(tmp) / f"{key}.tcm")
    try:
        check_module(data, kernels)
    except cache.CacheEntryError as exc:
        names = ", ".join(k.name for k in kernels)
        raise KernelCompileError(f"Taichi's compiler gave no usable module for {names}: {exc}") from None
    _compiled_here.add(key)
    cache.write_entry(entry_path(key), key, data)
    return data


def load_kernels(runtime, kernels: list[KernelRef], capabilities: dict[str, int], name: str):
    """The kernels' module (compile_kernels) loaded on `runtime` (TaichiRuntime.load_module). A cached module
    that passed the cache's checks but that loading rejects as invalid (spirv-val, metadata Taichi cannot
    read) was damaged all the same: it is compiled again, once, with a warning. A module compiled in this
    process that fails to load is the compiler's or the device's problem, and raises."""
    from .kernels import IncompatibleModuleError  # here: importing it loads Taichi's library

    key = cache_key(kernels, capabilities)
    tcm = compile_kernels(kernels, capabilities)
    try:
        return runtime.load_module(tcm, name)
    except (DeviceLostError, IncompatibleModuleError):
        raise  # the device's or the capabilities' problem, not the entry's
    except RendererError as exc:
        if key in _compiled_here:
            raise
        warnings.warn(
            f"cache entry {entry_path(key)} could not be loaded ({exc}); rebuilt",
            cache.CacheWarning,
            stacklevel=2,
        )
    return runtime.load_module(compile_kernels(kernels, capabilities, rebuild=True), name)


def run_compiler(kernels: list[KernelRef], capabilities: dict[str, int], out: Path) -> bytes:
    """Start Python Taichi in a child process to compile the kernels into `out`."""
    names = ", ".join(f"{k.name} ({k.file})" for k in kernels)
    if os.environ.get(IN_COMPILER):
        # the child imports the kernels' files: one that renders at its top level would start a child of its own
        raise KernelCompileError(
            f"kernels {names} would be compiled inside the kernel compiler: a file that defines kernels started "
            'a renderer when the compiler imported it; put that code under `if __name__ == "__main__":`'
        )
    spec = {
        "out": str(out),
        "caps": [f"{k}={v}" for k, v in sorted(capabilities.items())],
        "kernels": [k.__dict__ for k in kernels],
    }
    cache.prepare_taichi_environment(strict=True)  # Python Taichi aborts without a writable cache folder
    env = dict(os.environ)
    env.pop("VK_INSTANCE_LAYERS", None)  # Taichi's own compile device is not the one under validation
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the renderer package
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    env[IN_COMPILER] = "1"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "renderer.compute.aot_compiler", json.dumps(spec)],
            capture_output=True,
            text=True,
            env=env,
        )
    except OSError as exc:
        raise KernelCompileError(
            f"cannot start the kernel compiler ({sys.executable}) for {names}: {exc}"
        ) from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        if proc.returncode < 0:
            detail.append(f"(the compiler died of signal {signal.Signals(-proc.returncode).name})")
        raise KernelCompileError(f"Taichi failed to compile {names}:\n" + "\n".join(detail[-25:]))
    try:
        return out.read_bytes()
    except OSError as exc:
        raise KernelCompileError(f"the kernel compiler wrote no module for {names}: {exc}") from None
