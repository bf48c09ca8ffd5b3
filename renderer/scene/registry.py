"""Finding scenes: the built-in ones (the gallery: `scenes/` in a checkout, `renderer/gallery/` when
installed), scenes of installed packages, and a scene file by path.

Installed packages publish scenes through the entry-point group `taichi_vulkan_renderer.scenes`, e.g. in their
pyproject.toml:

    [project.entry-points."taichi_vulkan_renderer.scenes"]
    ripples = "my_package.ripples:Ripples"
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path

from .. import resources
from ..errors import RendererError
from .api import Scene, SceneError


def scenes_in(module) -> list[type[Scene]]:
    """Scene subclasses defined in `module` (not imported into it), that have a name."""
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Scene) and obj is not Scene and obj.__module__ == module.__name__ and obj.name
    ]


def _load_gallery_module(path: Path):
    """A built-in scene's module, loaded from its file once (later calls get the same module, as an import
    would). Its name is the one it is importable by where the gallery lies (`scenes.<stem>` in a checkout,
    `renderer.gallery.<stem>` when installed): a module already imported under that name from this file is
    reused, and the compiler's child process can import the kernels by that name."""
    name = f"{resources.GALLERY_PACKAGE}.{path.stem}"
    with contextlib.suppress(ImportError):  # its package first, as an import would (then it binds the module)
        importlib.import_module(resources.GALLERY_PACKAGE)
    loaded = sys.modules.get(name)
    if loaded is not None:
        if getattr(loaded, "__file__", None) and Path(loaded.__file__).resolve() == path:
            return loaded
        raise RendererError(
            f"the built-in scene {path} cannot be loaded as {name}: a module of that name is already "
            f"imported from {getattr(loaded, '__file__', None) or 'elsewhere'}"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)  # as a failed import leaves nothing behind
        raise
    parent = sys.modules.get(resources.GALLERY_PACKAGE)
    if parent is not None:  # as an import binds a submodule to its package
        setattr(parent, path.stem, module)
    return module


def builtin_scenes() -> dict[str, type[Scene]]:
    """The built-in scenes: the Scene subclasses of the gallery's files (resources.GALLERY_DIR), by scene name."""
    found = {}
    for path in sorted(resources.GALLERY_DIR.resolve().glob("*.py")):
        if path.name == "__init__.py":
            continue
        for cls in scenes_in(_load_gallery_module(path)):
            found[cls.name] = cls
    return found


ENTRY_POINT_GROUP = "taichi_vulkan_renderer.scenes"


def plugin_scenes() -> tuple[dict[str, type[Scene]], list[str]]:
    """Scenes of installed packages, and one message per entry point that could not be loaded (a broken
    plugin is reported, never fatal)."""
    found, problems = {}, []
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {entry.name!r} ({entry.value}) of {entry.dist.name if entry.dist else '?'}"
        try:
            cls = entry.load()
        except Exception as exc:
            problems.append(f"{origin} failed to load: {exc!r}")
            continue
        if not (isinstance(cls, type) and issubclass(cls, Scene) and cls.name):
            problems.append(f"{origin} is not a Scene subclass with a `name`")
        elif cls.name in found:
            problems.append(f"{origin}: another plugin already provides a scene named {cls.name!r}")
        else:
            found[cls.name] = cls
    return found, problems


class SceneNotFoundError(SceneError):
    """No scene of that name, or no Python scene file at that path: the name given was wrong, not a scene."""


def _where_it_failed(exc: BaseException, path: Path) -> str:
    """ " (line N)" of the deepest frame of `exc`'s traceback in the scene file, else of the deepest frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f.filename == str(path)]
    frame = (mine or frames or [None])[-1]
    if frame is None:
        return ""
    return (
        f" (line {frame.lineno})" if frame.filename == str(path) else f" (at {frame.filename}:{frame.lineno})"
    )


def load_scene_file(path: str | Path) -> type[Scene]:
    """The one Scene subclass of the Python file at `path`. SceneNotFoundError: nothing to load there (no
    file, a folder, not a .py file, unreadable); SceneError: the file is not a working scene (its syntax error,
    its import's failure, a declaration the scene API refuses, no or several scene classes)."""
    if "\0" in str(path):
        raise SceneNotFoundError(f"no scene file at {str(path)!r}: a path cannot contain a NUL character")
    given = Path(path).expanduser()
    path = given.resolve()
    if not given.exists():
        raise SceneNotFoundError(f"no scene file at {path}")
    if path.is_dir():
        raise SceneNotFoundError(f"{path} is a folder, not a scene file (a Python file ending in .py)")
    if not path.is_file():  # a FIFO, a device...: reading it would wait forever or never end
        raise SceneNotFoundError(
            f"{path} is not a regular file, so not a scene file (a Python file ending in .py)"
        )
    if path.suffix != ".py":
        raise SceneNotFoundError(f"{path} is not a Python file: a scene file's name ends in .py")
    if not os.access(path, os.R_OK):
        raise SceneNotFoundError(f"cannot read the scene file {path} (permission denied)")
    module_name = f"scene_file_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SceneError as exc:  # a declaration the scene API refused: its message names the scene and the fix
        sys.modules.pop(module_name, None)
        raise SceneError(f"{path}{_where_it_failed(exc, path)}: {exc}") from exc
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        line = f":{exc.lineno}" if exc.lineno and exc.filename == str(path) else ""
        detail = "" if exc.filename == str(path) else f" in {exc.filename}:{exc.lineno}"
        raise SceneError(f"{path}{line}: the scene file has a syntax error{detail}: {exc.msg}") from exc
    except (Exception, SystemExit) as exc:  # SystemExit too: a scene file's exit() must not end the program
        sys.modules.pop(module_name, None)
        raise SceneError(
            f"{path}: the scene file failed to import{_where_it_failed(exc, path)}: {type(exc).__name__}: {exc}"
        ) from exc
    found = scenes_in(module)
    if len(found) != 1:
        raise SceneError(
            f"{path}: a scene file must define exactly one Scene subclass with a `name`; "
            f"found {[c.__name__ for c in found] or 'none'}"
        )
    return found[0]


def resolve(name_or_path: str) -> type[Scene]:
    """A scene by its name (built-in, then installed packages) or by its file's path; SceneNotFoundError names
    the scenes there are."""
    if name_or_path.endswith(".py") or "/" in name_or_path or os.sep in name_or_path:
        return load_scene_file(name_or_path)
    scenes = {**plugin_scenes()[0], **builtin_scenes()}  # a built-in name wins over a plugin's
    if name_or_path in scenes:
        return scenes[name_or_path]
    if name_or_path and Path(name_or_path).exists():  # a file or folder in the working folder
        return load_scene_file(name_or_path)
    raise SceneNotFoundError(
        f"no scene named {name_or_path!r}; built-in scenes: {', '.join(sorted(scenes))} "
        "(or give the path of a scene file)"
    )
