"""The package's layers, read from the imports of every module in renderer/ (static: nothing is imported).

Subpackages from the bottom: device, compute, draw, frame, scene, app, testing. A module may import its own
subpackage, any lower one and the leaf modules at the top (errors, checks, camera, cache, resources, interrupts), never a higher one.
Only the device-facing subpackages call Vulkan (through `device/vk.py`, the one module that imports the `vulkan`
package), only compute imports Taichi's C API binding, only the window's code imports glfw, and the scene API
imports none of them.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "renderer"
LAYERS = ["device", "compute", "draw", "frame", "scene", "app", "testing"]
LEAVES = {
    "errors",
    "camera",
    "cache",
    "resources",
    "interrupts",
    "files",
    "colormaps",
    "checks",
}  # modules of renderer/ itself that import nothing of the layers
VULKAN_USERS = {"device", "compute", "draw", "frame"}
BINDING = "renderer.compute.taichi_api"
CHECKED_VULKAN = "renderer.device.vk"
GLFW_USERS = {
    "renderer.app.window",
    "renderer.app.interactive",
    "renderer.app.panel",
    "renderer.frame.swapchain",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved; `from X import y` gives X.y
    too, since y may be a module)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer(name: str) -> str | None:
    """The layer of a module of renderer (None for the package itself and its leaf modules)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer_or_a_leaf():
    loose = [
        module_name(p)
        for p in MODULES
        if layer(module_name(p)) is None
        and module_name(p).rpartition(".")[2] not in LEAVES
        and module_name(p)
        not in ("renderer", "renderer.__main__", "renderer.pytest_plugin", "renderer.resources")
    ]
    assert loose == [], f"modules outside the layers: {loose}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path):
    name = module_name(path)
    mine = layer(name)
    for target in imports(path):
        if not target.startswith("renderer."):
            continue
        theirs = layer(target)
        if name.rpartition(".")[2] in LEAVES:
            assert theirs is None, f"{name} is a leaf module but imports {target}"
        elif mine is not None and theirs is not None:
            assert LAYERS.index(theirs) <= LAYERS.index(mine), f"{name} ({mine}) imports upward: {target}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_native_bindings_stay_in_their_layers(path):
    name, found = module_name(path), imports(path)
    if "vulkan" in found:
        assert name == CHECKED_VULKAN, f"{name} imports the vulkan package: use {CHECKED_VULKAN}"
    if CHECKED_VULKAN in found:
        assert layer(name) in VULKAN_USERS, f"{name} calls vulkan outside {sorted(VULKAN_USERS)}"
    if BINDING in found:
        assert layer(name) == "compute", f"{name} imports Taichi's C API binding outside compute/"
    if "glfw" in found:
        assert name in GLFW_USERS, f"{name} imports glfw"
    if layer(name) == "scene":
        assert not found & {"vulkan", CHECKED_VULKAN, BINDING}


def test_the_rules_catch_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: an upward import, vulkan in the scene API and the binding in draw/ are all seen."""
    fake = tmp_path / "renderer"
    for sub, text in {
        "device/low.py": "from ..app import demo\n",
        "scene/api.py": "from ..device import vk\n",
        "draw/thing.py": "from ..compute.taichi_api import lib\n",
    }.items():
        (fake / sub).parent.mkdir(parents=True, exist_ok=True)
        (fake / sub).write_text(text)
    monkeypatch.setitem(globals(), "PACKAGE", fake)  # module names are read relative to it
    with pytest.raises(AssertionError, match="imports upward"):
        test_imports_follow_the_layers(fake / "device/low.py")
    with pytest.raises(AssertionError, match="vulkan"):
        test_native_bindings_stay_in_their_layers(fake / "scene/api.py")
    with pytest.raises(AssertionError, match="C API binding"):
        test_native_bindings_stay_in_their_layers(fake / "draw/thing.py")
