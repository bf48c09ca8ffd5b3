"""GLSL to SPIR-V with glslc, cached by source text (and the text of the files it includes), and VkShaderModules
from the result. A cache entry is used only if it verifies (renderer/cache.py: a checksum over its key and
content, and SPIR-V's own header here); a bad one is compiled again and replaced.

Shaders share code through `#include "file.glsl"` (with `#extension GL_GOOGLE_include_directive : require`),
found in the shaders/ folder (SHADER_DIR)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import cache
from ..cache import cache_dir
from ..errors import RendererError
from ..resources import SHADER_DIR  # installed or checkout
from . import vk
from .handles import vk_create


class ShaderCompileError(RendererError):
    """glslc rejected a shader; the message has the file and line glslc reported."""


_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', re.MULTILINE)


def _includes(source: str, include_dirs: tuple[Path, ...], seen: dict[Path, str]) -> dict[Path, str]:
    """The files `source` includes, directly or not, that exist in `include_dirs` (or beside the file that
    includes them): path -> text. Every `#include` line counts, even one an `#if` leaves out."""
    for name in _INCLUDE.findall(source):
        for folder in include_dirs:
            path = (folder / name).resolve()
            if path.is_file():
                if path not in seen:
                    seen[path] = path.read_text()
                    _includes(seen[path], (path.parent, *include_dirs), seen)
                break
    return seen


FORMAT = 2  # of the cache's entries (1: bare SPIR-V files)
SPIRV_MAGIC = 0x07230203


def cache_key(source: str, stage: str, include_dirs: tuple[Path, ...] = (), names: bool = False) -> str:
    """The cache's name for the SPIR-V of `source`: its stage and text (and whether it keeps its names), and
    the name and text of each file it includes, so that a changed include compiles again."""
    text = f"{FORMAT}\0{stage}{' names' if names else ''}\0{source}"
    for path, included in sorted(_includes(source, include_dirs, {}).items()):
        text += f"\0{path.name}\0{included}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def compile_glsl(source: str, stage: str, name: str, names: bool = False) -> bytes:
    """SPIR-V for GLSL `source` of `stage` ("vert", "frag", "comp"); `name` labels glslc's messages. The
    source may `#include` files of the shaders/ folder. `names`: keep the variables' names (glslc -g), for
    messages about the shader's interface (device/interface.py)."""
    include_dirs = (SHADER_DIR,)
    key = cache_key(source, stage, include_dirs, names)
    cached = cache_dir("spirv") / f"{key}.spv"
    data = cache.read_entry(cached, key, check_spirv)
    if data is not None:
        return data
    glslc = shutil.which("glslc")
    if glslc is None:
        raise ShaderCompileError("glslc is not installed: install the Debian package glslc")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / Path(name).name
        src.write_text(source)
        out = Path(tmp) / "out.spv"
        proc = subprocess.run(
            [
                glslc,
                f"-fshader-stage={stage}",
                "--target-env=vulkan1.2",
                "-O",
                *(["-g"] if names else []),
                *(f"-I{folder}" for folder in include_dirs),
                str(src),
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:  # glslc says "<file>:<line>: error: ..."; show the caller's name, not ours
            message = proc.stderr.strip().replace(str(src), name)
            raise ShaderCompileError(f"shader {name} failed to compile:\n{message}")
        data = out.read_bytes()
    try:
        check_spirv(data)
    except cache.CacheEntryError as exc:
        raise ShaderCompileError(f"glslc's output for {name} is not SPIR-V ({exc})") from None
    cache.write_entry(cached, key, data)
    return data


def check_spirv(data: bytes) -> None:
    """Raise CacheEntryError unless `data` looks like a SPIR-V module (its magic number and word size)."""
    if len(data) < 20 or len(data) % 4 or int.from_bytes(data[:4], "little") != SPIRV_MAGIC:
        raise cache.CacheEntryError("not a SPIR-V module")


def load_builtin(file_name: str, defines: tuple[str, ...] = ()) -> bytes:
    """SPIR-V of a shader in the project's shaders/ folder (stage from the extension), with a `#define` of
    each name in `defines` after its `#version` line (one file, several variants)."""
    path = SHADER_DIR / file_name
    version, _, rest = path.read_text().partition("\n")
    if defines:  # glslc's line numbers stay the file's
        rest = "\n".join([*(f"#define {name}" for name in defines), "#line 2", rest])
    source = f"{version}\n{rest}"
    return compile_glsl(source, path.suffix.lstrip("."), str(path))


def create_module(device, spirv: bytes):
    info = vk.VkShaderModuleCreateInfo(codeSize=len(spirv), pCode=spirv)
    return vk_create("ShaderModule", vk.vkCreateShaderModule, device, info, None)
