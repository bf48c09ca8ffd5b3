"""Where the renderer's own files are: the GLSL shaders and the built-in scenes (the gallery).

An installed package carries them inside itself, as `renderer/shaders/` and `renderer/gallery/` (pyproject.toml
maps the checkout's top-level `shaders/` and `scenes/` there); a checkout keeps them at its top level.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


SHADER_DIR = _find("shaders", "shaders")
GALLERY_DIR = _find("gallery", "scenes")
# the module name the built-in scenes are loaded under: the name they are importable by in each layout
GALLERY_PACKAGE = "renderer.gallery" if GALLERY_DIR.parent == _PACKAGE else "scenes"
