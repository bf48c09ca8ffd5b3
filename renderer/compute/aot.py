"""Compiling ordinary Python Taichi kernels ahead of time, cached on disk.

A module is compiled for exactly the capabilities the renderer enabled and declared to its runtime, in a child
process (Python Taichi creates a Vulkan device of its own to compile; it stays out of the renderer's process).
Cache entries live in the user's cache directory (user-only permissions), are named by a key over the kernels'
source files, names, capabilities and the Taichi version, and carry a SHA-256 that is checked before loading:
a damaged or foreign entry is rebuilt, never loaded. A warm start never starts the compiler.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from ..errors import RendererError

FORMAT = 1  # bump when the way modules are built changes


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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_cached(key: str) -> bytes | None:
    """The cached module's bytes if present and intact, else None (a bad entry is removed)."""
    tcm, digest = cache_dir() / f"{key}.tcm", cache_dir() / f"{key}.sha256"
    try:
        data, expected = tcm.read_bytes(), digest.read_text().strip()
    except OSError:
        return None
    if _digest(data) == expected:
        return data
    tcm.unlink(missing_ok=True)
    digest.unlink(missing_ok=True)
    return None


def compile_kernels(kernels: list[KernelRef], capabilities: dict[str, int]) -> bytes:
    """The compiled module (.tcm bytes) for these kernels and capabilities, from the cache or the compiler."""
    if not kernels:
        raise RendererError("no kernels to compile")
    key = cache_key(kernels, capabilities)
    data = load_cached(key)
    if data is None:
        data = run_compiler(kernels, capabilities, cache_dir() / f"{key}.partial.tcm")
        (cache_dir() / f"{key}.partial.tcm").replace(cache_dir() / f"{key}.tcm")
        (cache_dir() / f"{key}.sha256").write_text(_digest(data))
    return data


def run_compiler(kernels: list[KernelRef], capabilities: dict[str, int], out: Path) -> bytes:
    """Start Python Taichi in a child process to compile the kernels into `out`."""
    spec = {
        "out": str(out),
        "caps": [f"{k}={v}" for k, v in sorted(capabilities.items())],
        "kernels": [k.__dict__ for k in kernels],
    }
    env = dict(os.environ)
    env.pop("VK_INSTANCE_LAYERS", None)  # Taichi's own compile device is not the one under validation
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the renderer package
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run(
        [sys.executable, "-m", "renderer.compute.aot_compiler", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        names = ", ".join(f"{k.name} ({k.file})" for k in kernels)
        detail = proc.stderr.strip().splitlines()
        raise KernelCompileError(f"Taichi failed to compile {names}:\n" + "\n".join(detail[-25:]))
    return out.read_bytes()
