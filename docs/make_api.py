"""Write docs/api.md, the API reference, from the package's signatures and docstrings.

    python docs/make_api.py           # (re)write docs/api.md
    python docs/make_api.py --check   # exit 1 if docs/api.md is stale or a public item lacks a docstring

Run it from the project root (or anywhere: it finds the package next to this file). It imports the package
but opens no Vulkan device. Signatures come from `inspect.signature`; annotations and defaults are printed as
written in the source (read with `ast`), so `dt: float = 1 / 60` stays that, not 0.016666666666666666.

What the page holds, and in which order, is `SECTIONS` below: scene authoring first, then running, testing,
errors and the advanced layer. A class shows its constructor, its docstring (and its `__init__`'s), its
public class attributes (with their trailing `# comment` if they have one) and its public methods and
properties (names not starting with `_`, in source order), unless its entry names the members to show.

Every item shown must have a docstring. `UNDOCUMENTED` lists the ones that do not have one yet, so that the
check passes while they are written; it may only shrink: the check fails on a new item without a docstring,
and on an entry of the list that now has one (delete that entry).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import functools
import importlib
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "api.md"
WIDTH = 100  # signatures longer than this are written one parameter a line; also the --help text's width

# Shown without a docstring for now (qualified as on the page). Write the docstring, then delete the line.
UNDOCUMENTED: frozenset = frozenset()  # public items allowed to lack a docstring: none


@dataclass
class Entry:
    """One class or function on the page: `target` is "module:qualname"."""

    target: str
    members: tuple[str, ...] | None = None  # None: every public member; () none
    framework: tuple[str, ...] = ()  # members shown apart, as what the framework calls (not the reader)
    note: str = ""  # written text shown after the docstring
    constructor: bool = True  # False: the framework makes it (the class line shows no parameters)


@dataclass
class Section:
    title: str
    intro: str
    entries: list = field(default_factory=list)
    module: str = ""  # a module whose docstring follows the intro
    extra: str = ""  # "cli", "pytest" or "errors": generated text after the entries


DRAWN = "the frames draw it from then on; a scene need not keep it"

SECTIONS = [
    Section(
        "Scene authoring",
        "A scene is a `Scene` subclass: parameters as `Param`s, kernels as `@ti.kernel` functions, GPU "
        "resources made in `setup(gpu)` through `SceneGPU`, launches in `update(frame, dt, input)`. "
        "[Writing a scene](writing-a-scene.md) walks through one.",
        [
            Entry("renderer.scene.api:Scene"),
            Entry("renderer.scene.api:Param"),
            Entry("renderer.scene.api:FrameInput"),
            Entry("renderer.scene.api:Picked"),
            Entry(
                "renderer.scene.api:SceneGPU",
                constructor=False,
                framework=("destroy_drawables", "release_memories", "destroy_buffers"),
                note="Made by the framework and passed to `Scene.setup(gpu)`; a scene does not construct it.",
            ),
            Entry(
                "renderer.compute.shared:SharedArray",
                constructor=False,
                note="Returned by `gpu.array(...)`. Pass it to kernels (`ti.types.ndarray` arguments) and "
                "draws; attributes `shape`, `element_shape`, `dtype`, `nbytes`, `name`.",
            ),
            Entry(
                "renderer.compute.interop:TaichiImage",
                constructor=False,
                members=(),
                note="Returned by `gpu.image(...)`. Pass it to kernels (`ti.types.rw_texture` arguments) and "
                "to `gpu.quad(...)`.",
            ),
            Entry(
                "renderer.compute.kernels:Kernel", constructor=False, note="Returned by `gpu.kernel(name)`."
            ),
            Entry(
                "renderer.compute.kernels:BoundLaunch",
                constructor=False,
                members=("set", "__call__"),
                note="Returned by `Kernel.bind(...)`: keep it from `setup`, `set()` what changes in "
                "`update`, call it to launch.",
            ),
            Entry(
                "renderer.draw.particles:ParticleDraw",
                constructor=False,
                members=(),
                note=f"Returned by `gpu.particles(...)`: {DRAWN}.",
            ),
            Entry(
                "renderer.draw.mesh:MeshDraw",
                members=("transform",),
                constructor=False,
                note=f"Returned by `gpu.mesh(...)`: {DRAWN}.",
            ),
            Entry(
                "renderer.draw.instances:InstancedMeshDraw",
                members=("transform",),
                constructor=False,
                note=f"Returned by `gpu.instances(...)`: {DRAWN}.",
            ),
            Entry(
                "renderer.draw.custom_draw:CustomDraw",
                constructor=False,
                members=("transform",),
                note=f"Returned by `gpu.custom(...)` and `gpu.lines(...)`: {DRAWN}.",
            ),
            Entry(
                "renderer.draw.image_quad:ImageQuad",
                constructor=False,
                members=("transform",),
                note=f"Returned by `gpu.quad(...)`: {DRAWN}.",
            ),
            Entry("renderer.camera:Camera"),
            Entry("renderer.camera:Light"),
            Entry(
                "renderer.draw.colormap:ScalarColors",
                constructor=False,
                members=("range_now", "colorbar"),
                note="The `colormap` attribute of a draw made with `scalars=` (`gpu.particles`, `gpu.mesh`, "
                "`gpu.lines`); None on other draws.",
            ),
            Entry("renderer.colormaps:colorbar"),
            Entry("renderer.colormaps:sample"),
            Entry("renderer.colormaps:table"),
        ],
    ),
    Section(
        "Running a scene",
        "Headless into arrays (and from there PNG files or a video), in a window, or from the command line.",
        [
            Entry("renderer.app.headless:HeadlessRenderer"),
            Entry("renderer.app.interactive:InteractiveApp"),
            Entry("renderer.app.recording:Recorder"),
        ],
        extra="cli",
    ),
    Section(
        "Testing",
        "Golden-image tests for scenes: `renderer.testing` and its pytest plugin.",
        [
            Entry("renderer.testing.golden:check_scene"),
            Entry("renderer.testing.golden:render_scene"),
            Entry("renderer.testing.golden:assert_matches_reference"),
            Entry("renderer.testing.golden:compare"),
            Entry("renderer.testing.golden:Comparison"),
            Entry("renderer.testing.golden:diff_image"),
            Entry("renderer.testing.golden:compare_on_this_device"),
        ],
        module="renderer.testing",
        extra="pytest",
    ),
    Section(
        "Errors",
        "Every error the framework raises is a `RendererError`; its message names what failed and what to "
        "do. The hierarchy:",
        extra="errors",
    ),
    Section(
        "Advanced: the runtime and the device",
        "For driving Taichi and Vulkan directly, outside a scene (`HeadlessRenderer(taichi_runtime=...)` "
        "adopts a runtime made here).",
        [
            Entry("renderer.compute.runtime:TaichiRuntime"),
            Entry("renderer.device.context:VulkanContext", members=()),
        ],
    ),
]

# error classes shown besides those `renderer` exports and those of renderer/errors.py
MORE_ERRORS = (
    "renderer.device.interface:ShaderInterfaceError",
    "renderer.scene.registry:SceneNotFoundError",
)


# -- reading the source


def resolve(target: str):
    module, _, qualname = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise SystemExit(
            f"docs/make_api.py names {target}, which is not there now ({exc}): update SECTIONS"
        ) from None
    return obj


@functools.cache
def public_names() -> dict[int, str]:
    """id(object) -> the name a reader imports it by: from `renderer`, `renderer.scene`, `renderer.testing`."""
    names: dict[int, str] = {}
    for package in ("renderer", "renderer.scene", "renderer.testing"):
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                names.setdefault(id(obj), f"{package}.{name}")
    return names


def full_name(obj) -> str:
    return public_names().get(id(obj)) or f"{obj.__module__}.{obj.__qualname__}"


def own_doc(obj) -> str:
    """The object's own docstring (not one inherited, nor the one dataclasses make up), cleaned; "" if none."""
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        if doc and dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "("):
            return ""  # dataclasses make one from the signature
    else:
        doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else ""


def unwrap(obj):
    """The function behind a classmethod, staticmethod, property or pytest fixture."""
    if isinstance(obj, (classmethod, staticmethod)):
        return obj.__func__
    if isinstance(obj, property):
        return obj.fget
    return getattr(obj, "__wrapped__", obj)


def where(obj) -> str:
    """file:line of an object's definition, relative to the project root."""
    obj = unwrap(obj)
    try:
        path, line = inspect.getsourcefile(obj), inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return "?"
    try:
        path = Path(path).resolve().relative_to(ROOT)
    except ValueError:
        pass
    return f"{path}:{line}"


def _text(source: str, node) -> str | None:
    if node is None:
        return None
    return " ".join(ast.get_source_segment(source, node).split())


@functools.cache
def _parsed(obj) -> tuple[str, ast.AST] | None:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        return source, ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError):  # no source, or a lambda's line that is no statement alone
        return None


def written_parameters(func) -> dict[str, tuple[str | None, str | None]]:
    """{parameter: (annotation, default)} as the source writes them; "return" -> (annotation, None)."""
    parsed = _parsed(func)
    if parsed is None or not isinstance(parsed[1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {}
    source, node = parsed
    a = node.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + a.defaults
    pairs = [*zip(positional, defaults, strict=True), *zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    pairs += [(arg, None) for arg in (a.vararg, a.kwarg) if arg is not None]
    written = {arg.arg: (_text(source, arg.annotation), _text(source, default)) for arg, default in pairs}
    written["return"] = (_text(source, node.returns), None)
    return written


def class_body(cls) -> dict[str, tuple[str | None, str | None, str]]:
    """{name: (annotation, value, trailing comment)} of the class body's assignments, as written."""
    parsed = _parsed(cls)
    if parsed is None:
        return {}
    source, node = parsed
    lines = source.splitlines()
    found = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names, annotation = [stmt.target.id], _text(source, stmt.annotation)
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            names, annotation = [t.id for t in stmt.targets], None
        else:
            continue
        line = lines[stmt.end_lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line[stmt.end_col_offset :] else ""
        for name in names:
            found[name] = (annotation, _text(source, stmt.value), comment)
    return found


def _annotation(annotation) -> str:
    if isinstance(annotation, str):
        return annotation
    return getattr(annotation, "__qualname__", None) or repr(annotation)


def _default(value) -> str:
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__qualname__
    if isinstance(value, Path):
        return f"Path({str(value)!r})"
    return repr(value)


def signature(obj, name: str, *, drop_first: bool = False, prefix: str = "") -> str:
    """`prefix name(parameters) -> return`, one line, or one parameter a line when longer than WIDTH."""
    if inspect.isclass(obj):
        init = next((c.__dict__["__init__"] for c in obj.__mro__ if "__init__" in c.__dict__), None)
        written = written_parameters(init) if init is not None else {}
        if not written and dataclasses.is_dataclass(obj):
            written = {k: (a, v) for k, (a, v, _) in class_body(obj).items()}
        written.pop("return", None)
        sig = inspect.signature(obj)
    else:
        func = unwrap(obj)
        written, sig = written_parameters(func), inspect.signature(func)
    params = list(sig.parameters.values())
    if drop_first and params:
        params = params[1:]
    parts, star_done = [], False
    for p in params:
        annotation, default = written.get(p.name, (None, None))
        if annotation is None and p.annotation is not p.empty:
            annotation = _annotation(p.annotation)
        if default is None and p.default is not p.empty:
            default = _default(p.default)
        if p.kind is p.KEYWORD_ONLY and not star_done:
            parts.append("*")
        star_done = star_done or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        if annotation:
            text += f": {annotation}"
        if default is not None:
            text += f" = {default}" if annotation else f"={default}"
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (
            len(parts) == len(params) or params[len(parts)].kind is not p.kind
        ):
            parts.append("/")
    returns = "" if inspect.isclass(obj) else written.get("return", (None, None))[0]
    if not returns and not inspect.isclass(obj) and sig.return_annotation is not sig.empty:
        returns = _annotation(sig.return_annotation)
    tail = f" -> {returns}" if returns else ""
    line = f"{prefix}{name}({', '.join(parts)}){tail}"
    if len(line) <= WIDTH:
        return line
    body = "".join(f"    {part},\n" for part in parts)
    return f"{prefix}{name}(\n{body}){tail}"


# -- the page


class Page:
    def __init__(self):
        self.lines: list[str] = []
        self.toc: list[tuple[int, str, str]] = []  # (level, label, anchor) of sections and their items
        self.slugs: set[str] = set()
        self.lacking: list[tuple[str, str]] = []  # (qualified name, file:line) of items without a docstring
        self.shown: set[str] = set()
        self.in_toc = True  # whether h3 headings go in the contents (the errors' tree is their contents)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def heading(self, level: int, text: str) -> None:
        self.add(f"{'#' * level} {text}", "")
        slug = github_slug(text)
        base, n = slug, 0
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        if level == 2 or (level == 3 and self.in_toc):
            label = text[1:-1].rpartition(".")[2] if re.fullmatch(r"`[^`]*`", text) else text
            self.toc.append((level, label, slug))

    def code(self, text: str, language: str = "python") -> None:
        self.add(f"```{language}", *text.splitlines(), "```", "")

    def doc(self, qualified: str, obj, *, required: bool = True) -> None:
        """The docstring of `obj`, or a note that it has none (recorded for the check)."""
        self.shown.add(qualified)
        text = own_doc(obj)
        if text:
            self.add(*text.splitlines(), "")
        elif required:
            self.lacking.append((qualified, where(obj)))
            self.add("*(No docstring yet.)*", "")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def members_of(cls, names: tuple[str, ...] | None) -> list[tuple[str, object]]:
    """Public methods and properties of `cls` and its bases within the package, in source order."""
    found: dict[str, object] = {}
    for base in reversed(cls.__mro__):
        if not base.__module__.startswith("renderer"):
            continue
        for name, value in base.__dict__.items():
            if isinstance(value, (property, classmethod, staticmethod)) or inspect.isfunction(value):
                found.pop(name, None)
                found[name] = value
    if names is not None:
        gone = [name for name in names if name not in found]
        if gone:
            raise SystemExit(f"docs/make_api.py lists members {gone} of {cls.__name__}, which it lacks now")
        return [(name, found[name]) for name in names]
    return [(name, value) for name, value in found.items() if not name.startswith("_")]


def write_member(page: Page, cls, owner: str, name: str, value) -> None:
    qualified = f"{owner}.{name}"
    page.heading(4, f"{cls.__name__}.{name}")
    if isinstance(value, property):
        annotation = written_parameters(value.fget).get("return", (None, None))[0] if value.fget else None
        page.code(f"property {name}" + (f": {annotation}" if annotation else ""))
        page.doc(qualified, value.fget if inspect.isfunction(value.fget) and value.fget.__doc__ else value)
        return
    decorator = {classmethod: "@classmethod\n", staticmethod: "@staticmethod\n"}.get(type(value), "")
    func = unwrap(value)
    page.code(
        decorator + signature(func, name, drop_first=not isinstance(value, staticmethod), prefix="def ")
    )
    page.doc(qualified, func)


def write_class(page: Page, entry: Entry, cls) -> None:
    name = full_name(cls)
    page.heading(3, f"`{name}`")
    bases = [b for b in cls.__bases__ if b is not object]
    head = f"class {cls.__name__}" + (f"({', '.join(b.__name__ for b in bases)})" if bases else "")
    page.code(signature(cls, f"class {cls.__name__}") if entry.constructor else head)
    page.doc(name, cls)
    if entry.note:
        page.add(entry.note, "")
    init = cls.__dict__.get("__init__")
    if init is not None and own_doc(init):
        page.add(*own_doc(init).splitlines(), "")
    if "__enter__" in cls.__dict__:
        page.add("A context manager: leaving the `with` block releases it.", "")
    if entry.members is None:
        attributes = [
            (key, value)
            for key, value in class_body(cls).items()
            if not key.startswith("_")
            and not isinstance(cls.__dict__.get(key), property)
            and not dataclasses.is_dataclass(cls)
        ]
        if attributes:
            page.add("Class attributes:", "")
            for key, (annotation, value, comment) in attributes:
                text = key + (f": {annotation}" if annotation else "") + (f" = {value}" if value else "")
                page.add(f"- `{text}`" + (f": {comment}" if comment else ""))
            page.add("")
        elif dataclasses.is_dataclass(cls):
            comments = [(k, c) for k, (_, _, c) in class_body(cls).items() if c]
            if comments:
                page.add("Fields:", "")
                page.add(*(f"- `{k}`: {c}" for k, c in comments), "")
    members = members_of(cls, entry.members)
    own = [(n, v) for n, v in members if n not in entry.framework]
    for member_name, value in own:
        write_member(page, cls, name, member_name, value)
    framework = [(n, v) for n, v in members if n in entry.framework]
    if framework:
        page.add("Called by the framework, not by scenes:", "")
        for member_name, value in framework:
            write_member(page, cls, name, member_name, value)


def write_function(page: Page, func) -> None:
    name = full_name(func)
    page.heading(3, f"`{name}`")
    page.code(signature(func, func.__name__, prefix="def "))
    page.doc(name, func)


def write_cli(page: Page) -> None:
    from renderer.app.demo import build_parser

    page.heading(3, "Command line: `python -m renderer`")
    page.add(
        "`python -m renderer` (or `python3 run_demo.py` in a checkout) runs a scene in a window, or headless "
        "into PNG files. Its `--help`:",
        "",
    )
    parser = build_parser("python -m renderer")
    parser.formatter_class = functools.partial(parser.formatter_class, width=WIDTH)
    page.code(parser.format_help().rstrip(), "text")


def write_pytest(page: Page) -> None:
    from renderer.testing import pytest_plugin

    page.heading(3, "pytest plugin: `renderer.pytest_plugin`")
    page.doc("renderer.testing.pytest_plugin", pytest_plugin)

    class Options:  # records what the plugin adds to pytest's command line
        def __init__(self):
            self.options = []

        def addoption(self, *names, **settings):
            self.options.append((names, settings))

    recorder = Options()
    pytest_plugin.pytest_addoption(recorder)
    page.add("Command-line options it adds to pytest:", "")
    for names, settings in recorder.options:
        page.add(f"- `{', '.join(names)}`: {settings.get('help', '')}")
    page.add("")
    for name, value in vars(pytest_plugin).items():
        fixture = unwrap(value)
        if (
            value is not fixture
            and inspect.isfunction(fixture)
            and fixture.__module__ == pytest_plugin.__name__
        ):
            page.heading(4, f"fixture `{name}`")
            params = ", ".join(inspect.signature(fixture).parameters)
            page.code(f"@pytest.fixture\ndef {name}({params})")
            page.doc(f"renderer.testing.pytest_plugin.{name}", fixture)


def errors() -> list[type]:
    import renderer
    import renderer.errors

    found = [getattr(renderer, n) for n in renderer.__all__]
    found += list(vars(renderer.errors).values()) + [resolve(t) for t in MORE_ERRORS]
    unique = {id(c): c for c in found if inspect.isclass(c) and issubclass(c, renderer.errors.RendererError)}
    return list(unique.values())


def write_errors(page: Page) -> None:
    classes = errors()
    by_base: dict[type, list[type]] = {}
    for cls in classes:
        by_base.setdefault(cls.__base__, []).append(cls)
    tree: list[str] = []
    order: list[type] = []

    def walk(cls, depth):
        tree.append("    " * depth + full_name(cls))
        order.append(cls)
        for child in sorted(by_base.get(cls, []), key=lambda c: c.__name__):
            walk(child, depth + 1)

    page.in_toc = False
    for root in [c for c in classes if c.__base__ not in classes]:
        walk(root, 0)
    page.code("\n".join(tree), "text")
    for cls in order:
        name = full_name(cls)
        page.heading(3, f"`{name}`")
        base = cls.__base__.__name__
        constructor = signature(cls, cls.__name__) if "__init__" in cls.__dict__ else ""
        page.code(f"class {cls.__name__}({base})" + (f"\n{constructor}" if constructor else ""))
        page.doc(name, cls)


def generate() -> tuple[str, Page]:
    """The page's text, and what it found (the items that lack a docstring)."""

    page = Page()
    for section in SECTIONS:
        page.in_toc = True
        page.heading(2, section.title)
        page.add(section.intro, "")
        if section.module:
            page.doc(section.module, importlib.import_module(section.module))
        for entry in section.entries:
            obj = resolve(entry.target)
            if inspect.isclass(obj):
                write_class(page, entry, obj)
            else:
                write_function(page, obj)
        {"cli": write_cli, "pytest": write_pytest, "errors": write_errors, "": lambda page: None}[
            section.extra
        ](page)
    toc: list[str] = []
    for level, label, slug in page.toc:
        if level == 2:
            toc.append(f"- [{label}](#{slug}):")
        else:
            toc[-1] += ("" if toc[-1].endswith(":") else ",") + f" [{label}](#{slug})"
    toc = [line.removesuffix(":") for line in toc]
    head = [
        "# API reference",
        "",
        "<!-- Generated by docs/make_api.py from the signatures and docstrings: do not edit; run "
        "`python docs/make_api.py` -->",
        "",
        "Everything here is importable as shown (`from renderer import Scene, Param`; the scene API also from "
        "`renderer.scene`). Signatures show annotations and defaults as the source writes them.",
        "",
        "## Contents",
        "",
        *toc,
        "",
    ]
    text = "\n".join(head + page.lines).rstrip() + "\n"
    return text, page


def check(text: str, page: Page) -> list[str]:
    """What is wrong: the page differs from `text`, a docstring is missing, or UNDOCUMENTED is out of date."""
    problems = []
    current = OUTPUT.read_text() if OUTPUT.exists() else ""
    if current != text:
        diff = list(
            difflib.unified_diff(
                current.splitlines(), text.splitlines(), "docs/api.md", "docs/api.md (generated)", lineterm=""
            )
        )
        shown = diff[:80] + ([f"... ({len(diff) - 80} more lines)"] if len(diff) > 80 else [])
        problems.append(
            "docs/api.md is not what `python docs/make_api.py` writes now; run it. The difference:\n"
            + "\n".join(shown)
        )
    for qualified, location in page.lacking:
        if qualified not in UNDOCUMENTED:
            problems.append(f"no docstring: {qualified} ({location})")
    return problems + stale_gaps(page)


def stale_gaps(page: Page) -> list[str]:
    """The entries of UNDOCUMENTED that have a docstring now, or are no longer on the page."""
    lacking = {q for q, _ in page.lacking}
    return [
        f"UNDOCUMENTED in docs/make_api.py lists {qualified}, which "
        + ("now has a docstring" if qualified in page.shown else "is not on the page")
        + ": delete that entry"
        for qualified in sorted(UNDOCUMENTED - lacking)
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if docs/api.md is stale or docstrings lack",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    text, page = generate()
    known = sorted((q, loc) for q, loc in page.lacking if q in UNDOCUMENTED)
    if args.check:
        problems = check(text, page)
        for problem in problems:
            print(problem)
        if known:
            print(f"{len(known)} items still lack a docstring (listed in UNDOCUMENTED):")
            for qualified, location in known:
                print(f"  {qualified} ({location})")
        return 1 if problems else 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}; {len(known)} items lack a docstring (UNDOCUMENTED lists them)")
    for qualified, location in page.lacking:
        if qualified not in UNDOCUMENTED:
            print(f"no docstring: {qualified} ({location}): write one (or list it in UNDOCUMENTED)")
    for problem in stale_gaps(page):
        print(problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
