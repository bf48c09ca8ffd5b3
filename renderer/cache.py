"""The user's cache folder (user-only permissions), shared by the kernel cache (`compute/aot.py`, `aot/`) and
the GLSL cache (`device/shaders.py`, `spirv/`). `RENDERER_CACHE_DIR` overrides where it is."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_ENV = "RENDERER_CACHE_DIR"


def cache_dir(kind: str) -> Path:
    """The cache's folder for `kind` ("aot", "spirv"), made with mode 0700 if missing."""
    path = Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("taichi-vulkan-renderer")) / kind
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
