"""docs/api.md, the API reference, is what docs/make_api.py writes from the code now: up to date, every public
item on it has a docstring (or is a known gap), every name `renderer` exports is on it, and its signatures
show the parameters' types and defaults as the source writes them."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import renderer

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"


def load_generator():
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def signature_block(text: str, heading: str) -> str:
    """The first code block after `heading` (a whole heading line)."""
    start = text.index(f"\n{heading}\n")
    return re.search(r"```python\n(.*?)```", text[start:], flags=re.S).group(1)


def test_the_page_is_current_and_every_item_has_a_docstring():
    # the command the page says to run, from the project root
    proc = subprocess.run(
        [sys.executable, "docs/make_api.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_exported_name_is_on_the_page():
    text = PAGE.read_text()
    missing = [name for name in renderer.__all__ if not re.search(rf"renderer\.{name}\b", text)]
    assert not missing
    for name in renderer.__all__:  # each class has its own entry
        if isinstance(getattr(renderer, name), type):
            assert f"### `renderer.{name}`" in text, name


def test_signatures_show_types_and_defaults_as_written():
    text = PAGE.read_text()
    headless = signature_block(text, "### `renderer.HeadlessRenderer`")
    assert "width: int = 1280," in headless and "height: int = 720," in headless
    assert "    *,\n    validate: bool = False," in headless  # keyword-only from here
    assert "dt: float = 1 / 60" in signature_block(text, "#### HeadlessRenderer.render")
    param = signature_block(text, "### `renderer.Param`")  # a dataclass: its fields
    assert "low: float | None = None" in param and 'help: str = ""' in param
    array = signature_block(text, "#### SceneGPU.array")
    assert (
        '    dtype=np.float32,\n    element_shape=(),\n    usage=("vertex",),\n    data=None,\n) -> SharedArray'
        in array
    )
    assert "@classmethod\ndef parse_params(texts: dict[str, str]) -> dict" in signature_block(
        text, "#### Scene.parse_params"
    )
    assert "fov_y: float = 45.0" in signature_block(text, "### `renderer.Camera`")
    assert "usage: int = lib.TI_MEMORY_USAGE_STORAGE_BIT" in signature_block(
        text, "#### TaichiRuntime.allocate_memory"
    )
    # the command line's help, and the pytest plugin's option and fixtures
    assert "usage: python -m renderer [-h] [--scene SCENE]" in text
    assert "- `--regenerate`: " in text and "#### fixture `scene_check`" in text


def test_the_check_reports_a_stale_page_and_missing_docstrings(tmp_path, monkeypatch):
    make_api = load_generator()
    text, page = make_api.generate()
    monkeypatch.setattr(make_api, "OUTPUT", tmp_path / "api.md")
    (tmp_path / "api.md").write_text(text.replace("Render `count` frames", "Render some frames"))
    page.lacking.append(("renderer.Example.method", "renderer/example.py:1"))
    documented = "renderer.HeadlessRenderer.render"
    monkeypatch.setattr(make_api, "UNDOCUMENTED", make_api.UNDOCUMENTED | {documented})
    problems = make_api.check(text, page)
    assert problems[0].startswith("docs/api.md is not what `python docs/make_api.py` writes now")
    assert "+Render `count` frames" in problems[0] and "-Render some frames" in problems[0]
    assert "no docstring: renderer.Example.method (renderer/example.py:1)" in problems
    assert any(documented in p and "now has a docstring" in p for p in problems)
    assert len(problems) == 3
