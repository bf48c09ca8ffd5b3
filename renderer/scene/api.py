"""What a scene declares, and the GPU toolkit it gets in `setup()`.

A scene is a small class: configuration as class attributes, kernels as ordinary `@ti.kernel` functions listed
in `kernels`, resources created in `setup(gpu)`, kernel launches in `update(frame, dt)`. It never sees a raw
Vulkan or Taichi call; the same class renders in a window, headless, and under test.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import math
import numbers
import re
import sys
import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..camera import Camera, Light
from ..checks import checked_flag
from ..colormaps import check_name, check_range
from ..compute.interop import TaichiImage
from ..compute.kernels import Kernel, NdArray
from ..compute.shared import SharedArray, check_data, share_buffer, share_image
from ..device.memory import IMAGE_FORMATS, USAGE_NAMES, Buffer, Image
from ..device.uploads import Uploader
from ..draw.colormap import ScalarColors
from ..draw.custom_draw import (
    LINES_COLORED_VERTEX,
    LINES_VERTEX,
    CustomDraw,
    compile_scene_shader,
    lines_colored_fragment,
    lines_fragment,
)
from ..draw.image_quad import ImageQuad, quad_size
from ..draw.instances import InstancedMeshDraw
from ..draw.mesh import MeshDraw
from ..draw.particles import ParticleDraw
from ..draw.shapes import BUILTIN as BUILTIN_MESHES
from ..draw.transparency import check_opacity
from ..errors import ArgumentError, RendererError


class SceneError(RendererError):
    """A scene is malformed; the message names the scene and what to fix."""


class ParamError(SceneError):
    """A value given for a scene parameter is not one the parameter takes (the message names both)."""


COLOR_HELP = "an RGB colour: three numbers in 0..1 like 1,0.5,0 (or #ff8000)"
_CHOICE_TYPES = (str, numbers.Real, np.bool_)  # what a Param's choices may be
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _finite(value) -> bool:
    """A real number finite as a float: an int too large for one is not (math.isfinite would overflow)."""
    try:
        return _real(value) and math.isfinite(value)
    except OverflowError:
        return False


def _bounds(low, high) -> str:
    return f"{'' if low is None else low}..{'' if high is None else high}"


@dataclass(frozen=True)
class Param:
    """A scene parameter: its default, what it may be, and what it means.

    Its kind follows from the default: an int (whole numbers only, never rounded) or a float (finite), each kept
    within `low`..`high` (None: unbounded); a bool; an RGB colour (a tuple of three numbers in 0..1); one of
    `choices` when they are given; any other str is free text. A parameter that cannot be what it says (a
    default outside its range, low above high, a colour that is not one) is refused when the scene class is
    defined, naming the scene and the parameter.

    `live=True` says the scene reads the parameter in `update`, so the window's panel sets a new value on the
    running scene; otherwise a change there loads the scene again (its `setup` runs with the new value)."""

    default: object
    low: float | None = None
    high: float | None = None
    help: str = ""
    choices: tuple | None = None
    live: bool = False

    @property
    def kind(self) -> str:
        """ "int", "float", "bool", "color", "choice", "text", or "unknown" (refused at declaration)."""
        d = self.default
        if self.choices is not None:
            return "choice"
        if isinstance(d, (bool, np.bool_)):
            return "bool"
        if isinstance(d, numbers.Integral):
            return "int"
        if _real(d):
            return "float"
        if isinstance(d, str):
            return "text"
        if isinstance(d, (tuple, list)) and len(d) == 3:
            return "color"
        return "unknown"

    def describe(self) -> str:
        """What the parameter takes, for messages and --list-scenes."""
        kind = self.kind
        if kind in ("int", "float"):
            what = "a whole number" if kind == "int" else "a number"
            if self.low is None and self.high is None:
                return what
            return f"{what} in {_bounds(self.low, self.high)}"
        if kind == "bool":
            return "true or false"
        if kind == "color":
            return COLOR_HELP
        if kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return "text"

    def _problem(self, value) -> tuple[str | None, object]:
        """(None, the value as the scene sees it) if `value` is one this parameter takes, else (what is wrong,
        None)."""
        kind = self.kind
        if kind in ("int", "float"):
            if not _real(value):
                return f"must be {self.describe()}", None
            if not _finite(value):
                return f"must be finite: {self.describe()}", None
            if kind == "int":
                if not (isinstance(value, numbers.Integral) or float(value).is_integer()):
                    return f"must be {self.describe()} (never rounded here)", None
                value = int(value)
            else:
                value = float(value)
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return f"is outside {_bounds(self.low, self.high)}", None
            return None, value
        if kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return None, bool(value)
            return "must be True or False", None
        if kind == "color":
            if (
                (isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1))
                and len(value) == 3
                and all(_finite(c) and 0 <= c <= 1 for c in value)
            ):
                return None, tuple(float(c) for c in value)
            return f"must be {COLOR_HELP}", None
        if kind == "choice":
            # only a str, number or bool can be one: an array's == is no answer
            for choice in self.choices if isinstance(value, _CHOICE_TYPES) else ():
                if choice == value and isinstance(choice, bool) == isinstance(value, bool):
                    return None, choice
            return f"must be {self.describe()}", None
        if kind == "text":
            if isinstance(value, str):
                return None, value
            return "must be a string", None
        return "has a default of no kind a parameter can have", None

    def check(self, scene: str, name: str, value) -> object:
        """`value` as the scene sees it (an int param's 3.0 as 3, a colour as a tuple of floats), or ParamError."""
        problem, checked = self._problem(value)
        if problem:
            raise ParamError(f"scene {scene!r}: parameter {name}={value!r} {problem}")
        return checked

    def parse(self, scene: str, name: str, text: str) -> object:
        """The value that command-line `text` means for this parameter (checked), or ParamError."""
        kind, value = self.kind, text
        if not isinstance(text, str):
            raise ParamError(
                f"scene {scene!r}: parameter {name}={text!r} must be given as text, like the command line's"
            )
        stripped = text.strip()
        try:
            if kind == "int":
                try:
                    value = int(stripped, 0)
                except ValueError:
                    value = float(stripped)
                    value = int(value) if value.is_integer() else value
            elif kind == "float":
                value = float(stripped)
            elif kind == "bool":
                if stripped.lower() not in _TRUE + _FALSE:
                    raise ValueError
                value = stripped.lower() in _TRUE
            elif kind == "color":
                value = _parse_color(stripped)
            elif kind == "choice":
                value = next((c for c in self.choices if str(c) == stripped), text)
        except ValueError:
            raise ParamError(
                f"scene {scene!r}: parameter {name}={text!r} must be {self.describe()}"
            ) from None
        return self.check(scene, name, value)

    def declare(self, scene: str, name: str) -> None:
        """Refuse a parameter that cannot be what it says, naming the scene and the parameter."""
        where = f"scene {scene!r}: parameter {name!r}"
        kind = self.kind
        if not isinstance(self.help, str):
            raise SceneError(f"{where}: help must be a string, not {self.help!r}")
        if not isinstance(self.live, bool):
            raise SceneError(f"{where}: live must be True or False, not {self.live!r}")
        if kind == "unknown":
            raise SceneError(
                f"{where}: the default {self.default!r} is none of the kinds a parameter can have: a number, "
                f"a bool, a string, {COLOR_HELP}, or one of `choices`"
            )
        if kind in ("int", "float"):
            for bound, value in (("low", self.low), ("high", self.high)):
                if value is not None and not (
                    _finite(value) or (_real(value) and value in (math.inf, -math.inf))
                ):
                    raise SceneError(
                        f"{where}: {bound} must be a number or None, not {value!r} (not NaN, and within float's range)"
                    )
            if self.low is not None and self.high is not None and self.low > self.high:
                raise SceneError(f"{where}: low {self.low} is above high {self.high}")
        elif self.low is not None or self.high is not None:
            raise SceneError(f"{where}: low and high bound numbers; a {kind} parameter takes none")
        if kind == "choice":
            if not isinstance(self.choices, (tuple, list)) or not self.choices:
                raise SceneError(f"{where}: choices must be a non-empty tuple, not {self.choices!r}")
            # what a command line can name (by str()) and == compares: an array's == is no answer
            odd = next((c for c in self.choices if not isinstance(c, _CHOICE_TYPES)), None)
            if odd is not None:
                raise SceneError(f"{where}: choices must be strings, numbers or bools, not {odd!r}")
        problem, _ = self._problem(self.default)
        if problem:
            raise SceneError(f"{where}: its default {self.default!r} {problem}")


def _parse_color(text: str) -> tuple:
    if text.startswith("#") and len(text) in (4, 7):
        digits = text[1:] if len(text) == 7 else "".join(2 * c for c in text[1:])
        return tuple(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    parts = text.strip("()[] ").replace(",", " ").split()
    if len(parts) != 3:
        raise ValueError(text)
    return tuple(float(p) for p in parts)


@dataclass(frozen=True)
class Picked:
    """What a pick found at a pixel (Ctrl + left click in the window, `HeadlessRenderer.pick`): the draw nearest
    there and its element, or nothing (`draw` None: the background, or only unpickable draws such as custom
    ones, lines and quads).

    `draw`: the draw's index in the scene's draws (`gpu.drawables`, in the order setup made them; a colormap's
    pass counts as one) and `drawable` the draw itself (compare it with `is`); `kind`: what its elements are,
    "particle", "triangle" or "instance"; `index`: the element's index (a triangle's is its first index / 3);
    `position`: the world point under the pixel (its depth unprojected with the frame's view-projection);
    `values`: {name: value} of each of the scene's `gpu.array`s whose first dimension covers `index`, that
    element read back (a number, or a tuple for a vector like {"positions": (x, y, z)}); `pixel`: (x, y) in
    the frame's pixels from its top left."""

    pixel: tuple
    draw: int | None = None
    kind: str | None = None
    index: int | None = None
    position: tuple | None = None
    values: dict = field(default_factory=dict)
    drawable: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class FrameInput:
    """What the user did since the last frame; empty when headless (and in tests, which stay deterministic)."""

    keys: tuple = ()  # glfw key codes pressed since the last frame
    cursor: tuple | None = None  # (x, y) in pixels from the top left of the frame; None when headless
    buttons: frozenset = frozenset()  # glfw mouse buttons held down
    viewport: tuple = (0, 0)  # frame size in pixels
    picked: Picked | None = None  # what the last Ctrl+click picked, in the first frame after it only


NO_INPUT = FrameInput()


class Scene:
    """Declare `params` as {name: Param(default, low, high, help)}; each becomes an attribute of the scene
    (`Scene(count=1000)` or `--param count=1000` overrides the default, checked against the range)."""

    name: str = ""
    description: str = ""
    kernels: tuple = ()
    params: dict = {}
    camera: Camera = Camera()
    background = (0.02, 0.02, 0.03)
    light: Light | None = None  # None: each draw's own default light

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        check_declaration(cls)

    def __init__(self, **values):
        self.camera = copy.deepcopy(type(self).camera)  # this scene's own: setup and update may change it
        self._check_names(values)
        for key, param in self.params.items():
            setattr(self, key, param.check(self.name, key, values.get(key, param.default)))
        self._scene_initialized = True  # checked when a renderer takes the scene (session.check_scene)

    @classmethod
    def _check_names(cls, values: dict) -> None:
        unknown = sorted(set(values) - set(cls.params))
        if unknown:
            raise ParamError(
                f"scene {cls.name!r} has no parameter {', '.join(unknown)}; its parameters: "
                + (", ".join(f"{k} (default {p.default})" for k, p in cls.params.items()) or "none")
            )

    @classmethod
    def parse_params(cls, texts: dict[str, str]) -> dict:
        """Command-line texts {name: "value"} as the values the parameters take ("1e6" for an int is 1000000,
        "2.5" is refused; "yes" for a bool; "1,0.5,0" or "#ff8000" for a colour); ParamError names a bad one."""
        if not (isinstance(texts, dict) and all(isinstance(key, str) for key in texts)):
            raise ParamError(
                f"scene {cls.name!r}: parse_params takes a dict of {{name: text}}, not {texts!r}"
            )
        cls._check_names(texts)
        return {key: cls.params[key].parse(cls.name, key, text) for key, text in texts.items()}

    def setup(self, gpu: SceneGPU) -> None:
        """Make the scene's arrays, images and draws and bind its kernels, through `gpu` (once per load)."""
        raise NotImplementedError

    def update(self, frame: int, dt: float, input: FrameInput) -> None:
        """Launch this frame's kernels; `frame` counts from 0 (0 after a reset), `dt` is the time step. A static
        scene, which launches nothing after setup, need not define it."""


SCENE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _origin(func) -> str:
    code = getattr(func, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(func)


# Taichi 1.7.4's C API: ti_launch_kernel refuses more (TI_ERROR_ARGUMENT_OUT_OF_RANGE)
MAX_KERNEL_ARGUMENTS = 64


def check_kernels(scene: str, kernels) -> None:
    """Refuse a `kernels` declaration that the compiler would get wrong: something not a top-level
    `@ti.kernel`, two kernels of one name (a compiled module holds one kernel per name: one would silently win,
    or the other be reported missing), a kernel of more arguments than a launch takes, or a kernel whose name in
    its module now means another function (the compiler finds kernels by module and name). Checked when the
    class is defined and again when it is loaded."""
    if not isinstance(kernels, (tuple, list)):
        hint = " (one kernel: `kernels = (step,)`, with the comma)" if callable(kernels) else ""
        raise SceneError(
            f"scene {scene!r}: kernels must be a tuple of @ti.kernel functions, not {kernels!r}{hint}"
        )
    seen: dict[str, object] = {}
    for kernel in kernels:
        if not getattr(kernel, "_is_wrapped_kernel", False) or getattr(kernel, "_is_classkernel", False):
            raise SceneError(
                f"scene {scene!r}: kernels lists {kernel!r}, which is not a @ti.kernel function defined at the "
                "top level of a module"
            )
        func = inspect.unwrap(kernel)
        name = func.__name__
        if func.__qualname__ != name:
            raise SceneError(
                f"scene {scene!r}: kernel {name!r} ({_origin(func)}) is defined inside a function or class; "
                "define kernels at the top level of a module (the compiler imports them by module and name)"
            )
        module = sys.modules.get(func.__module__)
        current = getattr(module, name, None) if module is not None else func
        if current is None or inspect.unwrap(current) is not func:
            now = (
                f"redefined at {_origin(inspect.unwrap(current))}"
                if callable(current)
                else f"now {current!r}"
            )
            raise SceneError(
                f"scene {scene!r}: kernel {name!r} ({_origin(func)}) is no longer what {func.__module__}.{name} "
                f"names ({now}); the compiler finds kernels by module and name, so give each kernel its own name"
            )
        if name in seen:
            if seen[name] is func:
                raise SceneError(f"scene {scene!r}: kernels lists {name!r} twice; list it once")
            raise SceneError(
                f"scene {scene!r}: kernels lists two kernels named {name!r} ({_origin(seen[name])} and "
                f"{_origin(func)}); a compiled module holds one kernel per name: rename one"
            )
        arguments = len(inspect.signature(func).parameters)
        if arguments > MAX_KERNEL_ARGUMENTS:
            raise SceneError(
                f"scene {scene!r}: kernel {name!r} ({_origin(func)}) takes {arguments} arguments; Taichi launches "
                f"kernels of at most {MAX_KERNEL_ARGUMENTS}: pass some of the values in an array instead"
            )
        seen[name] = func


class KernelDebugWarning(UserWarning):
    """A scene's kernel calls print or uses assert: kernels compiled for the renderer (Taichi's AOT modules, run
    through its C API) drop both, so nothing is printed and nothing is checked."""


_warned_debug: set = set()  # the kernels warned of: once a process each


def _dropped_debug(func, seen: set) -> set[str]:
    """ "print()" and "assert" where `func`'s body uses them, or the body of a `ti.func` it calls (by a name of its
    module, or module.name), each function read once."""
    seen.add(func)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return set()  # no source to read: the compiler says so
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.add("assert")
        elif isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Name) and callee.id == "print":
                found.add("print()")
                continue
            if isinstance(callee, ast.Name):
                called = func.__globals__.get(callee.id)
            elif isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
                called = getattr(func.__globals__.get(callee.value.id), callee.attr, None)
            else:
                continue
            if getattr(called, "_is_taichi_function", False) and inspect.unwrap(called) not in seen:
                found |= _dropped_debug(inspect.unwrap(called), seen)
    return found


def warn_of_dropped_debug(scene: str, kernels) -> None:
    """KernelDebugWarning, once a process for each kernel that calls print or uses assert, itself or in a
    `ti.func` it calls."""
    for kernel in kernels:
        func = inspect.unwrap(kernel)
        if func in _warned_debug:
            continue
        dropped = sorted(_dropped_debug(func, set()))
        if dropped:
            code = func.__code__  # the warning points at the kernel
            warnings.warn_explicit(
                KernelDebugWarning(
                    f"scene {scene!r}: kernel {func.__name__!r} uses {' and '.join(dropped)}, which kernels run "
                    "by the renderer drop (Taichi's C API has no print and no debug checks): write what you want "
                    "to see into an array and read() it, or check it on the host"
                ),
                KernelDebugWarning,
                code.co_filename,
                code.co_firstlineno,
            )
        _warned_debug.add(func)


def _triple(value) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 3 and all(_finite(v) for v in value)


def check_declaration(cls) -> None:
    """Refuse a Scene subclass that declares what cannot work, naming it and what to fix (run when the class is
    defined: a scene file with such a class fails to load with this message)."""
    if not isinstance(cls.name, str) or (cls.name and not SCENE_NAME.fullmatch(cls.name)):
        raise SceneError(
            f"scene class {cls.__qualname__}: name must be a letter or digit then letters, digits, '_', '.' or "
            f"'-' (at most 64; it names the output folder), not {cls.name!r}"
        )
    label = cls.name or cls.__qualname__
    if not isinstance(cls.description, str):
        raise SceneError(f"scene {label!r}: description must be a string, not {cls.description!r}")
    if not isinstance(cls.params, dict):
        raise SceneError(f"scene {label!r}: params must be a dict of name: Param(...), not {cls.params!r}")
    for key, param in cls.params.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise SceneError(f"scene {label!r}: parameter names must be Python identifiers, not {key!r}")
        if not isinstance(param, Param):
            raise SceneError(
                f"scene {label!r}: params[{key!r}] is {param!r}, not a Param(default, low, high, help)"
            )
        if hasattr(cls, key):
            raise SceneError(
                f"scene {label!r}: parameter {key!r} would hide the scene's attribute {key!r} (each parameter "
                "becomes an attribute); rename one"
            )
        param.declare(label, key)
    check_kernels(label, cls.kernels)
    check_view(label, cls.camera, cls.background, cls.light)
    for method, args in (("setup", ("gpu",)), ("update", ("frame", "dt", "input"))):
        _check_method(label, cls, method, args)


def _check_method(label: str, cls, method: str, args: tuple) -> None:
    """`setup` and `update` are functions the frame loop can call as it does: a generator's or a coroutine's
    body would never run (a stray `yield` in update drew a frozen scene), a wrong signature would fail as a
    TypeError of the framework's call."""
    func = getattr(cls, method)
    wanted = f"def {method}(self, {', '.join(args)})"
    if not callable(func) or inspect.isgeneratorfunction(func) or inspect.iscoroutinefunction(func):
        raise SceneError(f"scene {label!r}: {method} must be a plain method, {wanted}, not {func!r}")
    try:
        inspect.signature(func).bind(*([None] if inspect.isfunction(func) else []), *args)
    except TypeError:
        raise SceneError(f"scene {label!r}: {method} must take its arguments as {wanted}") from None
    except ValueError:  # no signature to read (a builtin): left to the call
        pass


def plain_view(cam, background, light) -> tuple:
    """The view with numpy arrays among its vectors as tuples: a scene may set `self.camera.eye = np.array(...)`,
    and views compare (each frame) and check as plain values. Anything else is left for check_view."""
    if isinstance(light, Light):
        light = dataclasses.replace(light, direction=_plain(light.direction), color=_plain(light.color))
    return plain_camera(cam), _plain(background), light


def plain_camera(cam):
    """The camera with numpy vectors as tuples (plain_view)."""
    if not isinstance(cam, Camera):
        return cam
    return dataclasses.replace(cam, eye=_plain(cam.eye), target=_plain(cam.target), up=_plain(cam.up))


def _plain(value):
    return tuple(value.tolist()) if isinstance(value, np.ndarray) and value.ndim == 1 else value


def check_view(label: str, cam, background, light) -> None:
    """Refuse a camera, background or light that cannot be drawn (when the class is defined, when a scene is
    loaded, and when a scene changes them in setup or update)."""
    cam, background, light = plain_view(cam, background, light)
    if not (_triple(background) and all(0 <= c <= 1 for c in background)):
        raise SceneError(f"scene {label!r}: background must be {COLOR_HELP}, not {background!r}")
    if not isinstance(cam, Camera):
        raise SceneError(f"scene {label!r}: camera must be a Camera(...), not {cam!r}")
    if not (_triple(cam.eye) and _triple(cam.target) and _triple(cam.up)):
        raise SceneError(
            f"scene {label!r}: the camera's eye, target and up must be three finite numbers each"
        )
    if tuple(cam.eye) == tuple(cam.target) or not any(cam.up):
        raise SceneError(
            f"scene {label!r}: the camera's eye is its target, or its up is zero: no view direction"
        )
    forward = np.subtract(cam.target, cam.eye, dtype=np.float64)
    side = np.cross(forward / np.linalg.norm(forward), np.divide(cam.up, np.linalg.norm(cam.up)))
    if np.linalg.norm(side) < 1e-6:  # the sine of the angle between them
        raise SceneError(
            f"scene {label!r}: the camera's up {tuple(cam.up)} is along its view direction (from eye to target): "
            "which way is up on the screen is undefined"
        )
    if not isinstance(cam.orthographic, (bool, np.bool_)):
        raise SceneError(
            f"scene {label!r}: the camera's orthographic must be True or False, not {cam.orthographic!r}"
        )
    if not (_real(cam.fov_y) and 0 < cam.fov_y < 180):
        raise SceneError(f"scene {label!r}: the camera's fov_y must be in 0..180 degrees, not {cam.fov_y!r}")
    if not (_real(cam.near) and _real(cam.far) and 0 < cam.near < cam.far < math.inf):
        raise SceneError(
            f"scene {label!r}: the camera needs 0 < near < far (finite), not near={cam.near!r} far={cam.far!r}"
        )
    if not (_real(cam.ortho_height) and 0 < cam.ortho_height < math.inf):
        raise SceneError(
            f"scene {label!r}: the camera's ortho_height must be positive, not {cam.ortho_height!r}"
        )
    if light is None:
        return
    if not isinstance(light, Light):
        raise SceneError(
            f"scene {label!r}: light must be a Light(direction, color, ambient) or None, not {light!r}"
        )
    if not (_triple(light.direction) and any(light.direction)):
        raise SceneError(f"scene {label!r}: the light's direction must be three finite numbers, not all zero")
    if not (_triple(light.color) and all(0 <= c <= 1 for c in light.color)):
        raise SceneError(f"scene {label!r}: the light's color must be {COLOR_HELP}, not {light.color!r}")
    if not (_real(light.ambient) and 0 <= light.ambient <= 1):
        raise SceneError(f"scene {label!r}: the light's ambient must be in 0..1, not {light.ambient!r}")


def _whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


class SceneGPU:
    """Buffers shared with Taichi, the scene's compiled kernels, and what to draw. Owns what it creates."""

    def __init__(
        self,
        context,
        runtime,
        module,
        render_pass,
        frames_in_flight: int,
        scene_name: str,
        scene_file: str = "",
    ):
        self.scene_file = scene_file or scene_name  # for messages about the scene's own shaders
        self.context, self.runtime, self.module = context, runtime, module
        self.render_pass, self.frames_in_flight, self.scene_name = render_pass, frames_in_flight, scene_name
        self.drawables: list = []
        self.arrays: list[tuple[str, SharedArray]] = []  # (name, array) as made, for picking's values
        self.buffers: list[Buffer] = []
        self.images: list[Image] = []
        self.memories: list = []  # Taichi's records of buffers and images
        self.uploader: Uploader | None = None  # the arrays' copies from the host (made with the first array)
        self.released = False  # with its scene: then it makes nothing more (nothing would release it)

    def _refuse(self, text: str) -> SceneError:
        return SceneError(f"scene {self.scene_name!r}: {text}")

    def _live(self, what: str) -> None:
        """SceneError if the scene was released (its public methods ask first): what it made would never be."""
        if self.released:
            raise self._refuse(
                f"this scene's gpu was released with its scene (switched away or closed); it cannot make {what}: "
                "use the gpu that setup() of the scene now loaded is given"
            )

    def _dims(self, what: str, value, empty: bool) -> tuple:
        """`value` as a tuple of positive whole numbers (one whole number is a 1-D shape), or SceneError."""
        dims = (value,) if _whole(value) else value
        if not (
            isinstance(dims, (tuple, list)) and all(_whole(d) and d > 0 for d in dims) and (empty or dims)
        ):
            raise self._refuse(
                f"{what} must be a tuple of positive whole numbers like (1000, 3), not {value!r}"
            )
        return tuple(int(d) for d in dims)

    def _new_name(self, kind: str, name) -> str:
        """The label of a new array or image `name`, refused if the scene has one of that name: pick() reports
        the arrays' values by name (one would hide the other), and messages name both by it."""
        label = f"{self.scene_name}.{name}"
        if any(n == name for n, _ in self.arrays) or any(i.name == label for i in self.images):
            raise self._refuse(
                f"{kind} {name!r}: the scene already has an array or image named {name!r}; give each its own name"
            )
        return label

    def _option(self, what: str, value, allowed):
        """A named option (`format=`, ...) checked: one of `allowed`'s names; a list or a dict is none (and `in`
        would raise TypeError: unhashable)."""
        if isinstance(value, str) and value in allowed:
            return value
        names = [repr(n) for n in allowed]
        raise self._refuse(f"{what} must be {', '.join(names[:-1])} or {names[-1]}, not {value!r}")

    def _flag(self, what: str, value) -> bool:
        """A bool option (`splat=`, ...) checked: True or False, never "no" taken as true."""
        try:
            return checked_flag(what, value)
        except ArgumentError as exc:
            raise self._refuse(str(exc)) from None

    def _array(self, what: str, value) -> NdArray:
        if not isinstance(value, NdArray) or getattr(value, "buffer", None) is None:
            raise self._refuse(f"{what} must be an array made by gpu.array(...), not {type(value).__name__}")
        return value

    def _color(self, what: str, value) -> tuple:
        if not (_triple(value) and all(0 <= c <= 1 for c in value)):
            raise self._refuse(f"{what} must be {COLOR_HELP}, not {value!r}")
        return tuple(float(c) for c in value)

    def _opacity(self, what: str, value) -> float | None:
        """A draw's `opacity=` checked (None: opaque)."""
        if value is None:
            return None
        try:
            return check_opacity(value, f"{what} opacity")
        except ArgumentError as exc:
            raise self._refuse(str(exc)) from None

    def _per_element(self, what: str, positions: NdArray, name: str, array, element_shape: tuple) -> None:
        """Refuse an array that is not float32 with `element_shape`, one per element of `positions` (colours:
        element_shape (3,) takes RGBA (4,) too)."""
        self._array(f"{what} {name}", array)
        shapes = ((3,), (4,)) if name == "colors" else (element_shape,)
        if (
            array.dtype != np.float32
            or array.element_shape not in shapes
            or len(array.shape) != 1
            or array.shape != positions.shape
        ):
            kind = "float32" if element_shape == () else "vec3 float32 (or RGBA vec4)"
            raise self._refuse(
                f"{what} {name} must be a 1-D array of {kind} with one per position ({positions.shape[0]}), "
                f"not shape {array.shape} x {array.element_shape} {array.dtype}"
            )

    def _scalar_colors(
        self, what: str, positions, scalars, colors, colormap, value_range
    ) -> ScalarColors | None:
        """With `scalars`: checked, and the pass that maps them to colours each frame (listed before the draw
        that reads its colours); None without."""
        try:
            check_name(colormap)
            check_range(value_range)
        except ArgumentError as exc:
            raise self._refuse(f"{what}s: {exc}") from None
        if scalars is None:
            return None
        self._array(f"{what} positions", positions)
        self._per_element(what, positions, "scalars", scalars, ())
        if colors is not None:
            raise self._refuse(f"{what}s take `colors` or `scalars` (through a colormap), not both")
        mapped = ScalarColors(
            self.context, self.render_pass, scalars.buffer, positions.shape[0], colormap, value_range
        )
        return self._added(mapped)

    @staticmethod
    def _color_source(mapped, colors) -> dict:
        """The colour buffer a particles or mesh draw reads, and its width: the colormap pass's RGB output, the
        scene's vec3 or RGBA array, or none (one colour)."""
        if mapped is not None:
            return {"colors": mapped.colors, "color_width": 3}
        if colors is None:
            return {"colors": None, "color_width": 3}
        return {"colors": colors.buffer, "color_width": 4 if colors.element_shape == (4,) else 3}

    def _added(self, draw, mapped=None):
        """`draw` among the scene's drawables, with its colours mapped through `mapped` (ScalarColors) if given;
        from now on only its settings can be set (Drawable.__setattr__)."""
        if mapped is not None:
            draw.colormap = mapped
        self.drawables.append(draw)
        draw._sealed = True
        return draw

    def array(
        self, name: str, shape=None, dtype=np.float32, element_shape=(), usage=("vertex",), data=None
    ) -> SharedArray:
        """A renderer-owned, device-local buffer that kernels write (imported into Taichi) and draws read.
        `data`: a numpy array to fill it with (exactly `dtype`; its shape is shape + element_shape, and gives
        the shape when `shape` is left out), copied through a staging buffer before setup() returns. The array's
        `write(data)` replaces its contents later (from update() too), `read()` reads them back."""
        self._live("an array")
        label = self._new_name("array", name)
        if shape is None and data is not None:
            if not isinstance(data, np.ndarray):
                check_data(label, data, (), dtype)  # refuses it, naming what to give
            element_shape = self._dims(f"array {name!r}: element_shape", element_shape, empty=True)
            cut = data.ndim - len(element_shape)
            shape = data.shape[:cut] if cut > 0 and data.shape[cut:] == element_shape else data.shape
        shape = self._dims(f"array {name!r}: shape", shape, empty=False)
        element_shape = self._dims(f"array {name!r}: element_shape", element_shape, empty=True)
        try:
            dtype = np.dtype(dtype)
        except (TypeError, ValueError):
            raise self._refuse(f"array {name!r}: dtype {dtype!r} is not a numpy dtype") from None
        if not (isinstance(usage, (tuple, list)) and all(isinstance(u, str) for u in usage)):
            raise self._refuse(
                f"array {name!r}: usage must be a tuple of names like ('vertex',) or ('index',), not {usage!r}"
            )
        unknown = [u for u in usage if u not in USAGE_NAMES]
        if unknown:
            raise SceneError(
                f"scene {self.scene_name!r}: array {name!r} has unknown usage {unknown[0]!r}; "
                f"use some of {sorted(USAGE_NAMES)}"
            )
        if data is not None:  # refused before anything is allocated
            check_data(label, data, shape, dtype, element_shape)
        # Python ints: numpy's int64 product wraps (2^64 + 2 floats would make an 8-byte buffer); too many is
        # share_buffer's OutOfMemoryError, naming the array and its size
        nbytes = math.prod(shape + element_shape) * dtype.itemsize
        lower = f"give array {name!r} fewer elements than {tuple(shape)} (a scene parameter such as count may set it)"
        buffer, memory, owned = share_buffer(self.context, self.runtime, nbytes, tuple(usage), label, lower)
        if owned:
            self.buffers.append(buffer)
        self.memories.append(memory)
        if self.uploader is None:
            self.uploader = Uploader(self.context)
        array = SharedArray(
            memory,
            shape,
            dtype,
            element_shape,
            buffer=buffer,
            runtime=self.runtime,
            uploader=self.uploader,
            name=buffer.name,
        )
        self.arrays.append((name, array))
        if data is not None:
            array.write(data, wait=True)
        return array

    def image(self, name: str, width: int, height: int, format: str = "rgba8"):
        """A renderer-owned 2-D image that kernels write as a `ti.types.rw_texture(num_dimensions=2, fmt=...)`
        argument and drawables sample (`quad`). Formats: "rgba8", "r32f", "rgba32f"."""
        self._live("an image")
        label = self._new_name("image", name)
        self._option(f"image {name!r}: format", format, IMAGE_FORMATS)
        if not (_whole(width) and _whole(height)):
            raise self._refuse(
                f"image {name!r}: width and height must be whole numbers, not {width!r}x{height!r}"
            )
        if not self.runtime.imported:
            raise SceneError(
                f"scene {self.scene_name!r}: images need the renderer's own device (not one Taichi created)"
            )
        image, shared = share_image(self.context, self.runtime, int(width), int(height), format, label)
        self.images.append(image)
        self.memories.append(shared)
        return shared

    def quad(
        self, image, fullscreen: bool = True, size=(1.0, 1.0), smooth: bool = True, stretch: bool = False
    ) -> ImageQuad:
        """Show an image from `image()`: over the whole frame, or as a `size` rectangle centred in the XY plane
        (set the returned draw's `transform` to place it anywhere in 3-D). Full screen, it keeps the image's
        aspect ratio (letterbox: the background shows in the bars) unless `stretch` is True."""
        self._live("a quad")
        if not isinstance(image, TaichiImage):
            raise self._refuse(f"quad shows an image made by gpu.image(...), not {type(image).__name__}")
        if quad_size(size) is None:
            raise self._refuse(f"quad size must be two positive numbers (width, height), not {size!r}")
        draw = ImageQuad(
            self.context,
            self.render_pass,
            image.image,
            self.frames_in_flight,
            fullscreen=self._flag("quad fullscreen", fullscreen),
            size=size,
            smooth=self._flag("quad smooth", smooth),
            stretch=self._flag("quad stretch", stretch),
        )
        return self._added(draw)

    def _check_indices(self, indices) -> None:
        """Refuse draw indices that are not a 1-D uint32 array of the scene's (None: no indices)."""
        if indices is not None:
            self._array("custom draw indices", indices)
            if indices.dtype != np.uint32 or indices.element_shape != () or len(indices.shape) != 1:
                raise self._refuse(
                    f"draw indices must be a 1-D array of uint32, not shape {indices.shape} x "
                    f"{indices.element_shape} {indices.dtype}"
                )

    def custom(
        self,
        vertex,
        fragment,
        inputs: list,
        topology: str = "triangles",
        indices: NdArray | None = None,
        count: int | None = None,
        uniforms=None,
        textures=(),
        blend: str | None = None,
        depth_test: bool = True,
        depth_write: bool = True,
        instance_inputs=(),
        instance_count: int | None = None,
        transparent: bool = False,
        cull: str = "none",
        depth_compare: str = "less",
    ) -> CustomDraw:
        """Draw with the scene's own GLSL (see renderer/draw/custom_draw.py for what the shaders see): one vertex
        input per array in `inputs` (float32, scalar or vec2-4 elements), optional uint32 `indices`. `vertex`
        and `fragment` are GLSL text, or pathlib.Paths of files of it. The shaders are checked against what
        the draw provides before anything is made (ShaderInterfaceError).

        `uniforms`: a dict (or dataclass instance) of floats, ints, 2-4 vectors and square matrices, the
        shaders' `uniform Params` block at set 0 binding 2 (members in the same order); it is read every frame,
        so changing it in update() (or `draw.set(name=value)`) draws the new values that frame. `textures`:
        images from `image()` that kernels write, `sampler2D`s at bindings 3, 4, ... `blend`: None, "alpha" or
        "additive"; `depth_test`, `depth_write`: the depth buffer's use. `instance_inputs`: float32 arrays read
        once per instance, at the input locations after `inputs`; `instance_count` instances are drawn (by
        default as many as the instance arrays hold, or 1). `transparent=True`: the draw is composited
        order-independently with the scene's other transparent draws (renderer/draw/transparency.py): its fragment
        shader writes a colour and its alpha at location 0 as usual (no `blend`). `cull`: "none", "back" or
        "front" (counter-clockwise triangles face the camera); `depth_compare`: "less" (the default),
        "less_or_equal", "greater", "greater_or_equal", "equal" or "always". The draw's `count` and
        `instances` may be lowered (and raised again) from update()."""
        self._live("a custom draw")
        depth_test = self._flag("custom draw depth_test", depth_test)
        depth_write = self._flag("custom draw depth_write", depth_write)
        transparent = self._flag("custom draw transparent", transparent)
        if not isinstance(inputs, (tuple, list)):
            raise self._refuse(f"custom draw inputs must be a list of arrays, not {type(inputs).__name__}")
        if not isinstance(instance_inputs, (tuple, list)):
            raise self._refuse(
                f"custom draw instance_inputs must be a list of arrays, not {type(instance_inputs).__name__}"
            )
        for i, array in enumerate([*inputs, *instance_inputs]):
            what = f"input {i}" if i < len(inputs) else f"instance input {i - len(inputs)}"
            self._array(f"custom draw {what}", array)
            if array.dtype != np.float32:
                raise self._refuse(
                    f"custom draw {what} ({array.name}) is {array.dtype}; vertex inputs are float32 arrays"
                )
            if len(array.shape) != 1:
                raise self._refuse(
                    f"custom draw {what} ({array.name}) must be a 1-D array (one element per vertex or "
                    f"instance), not shape {array.shape}"
                )
        if not isinstance(textures, (tuple, list)):
            raise self._refuse(
                f"custom draw textures must be a list of images, not {type(textures).__name__}"
            )
        for i, texture in enumerate(textures):
            if not isinstance(texture, TaichiImage):
                raise self._refuse(
                    f"custom draw textures must be a list of images made by gpu.image(...); textures[{i}] is a "
                    f"{type(texture).__name__}"
                )
        instances = min((math.prod(a.shape) for a in instance_inputs), default=None)
        if instance_count is None:
            instance_count = 1 if instances is None else instances
        elif not (
            _whole(instance_count) and 0 <= instance_count <= (2**31 - 1 if instances is None else instances)
        ):
            raise self._refuse(
                f"custom draw instance_count must be a whole number in 0..{instances} (the instances its "
                f"instance_inputs hold), not {instance_count!r}"
                if instances is not None
                else f"custom draw instance_count must be a whole number, not {instance_count!r}"
            )
        self._check_indices(indices)
        # the most vertices every input holds: a draw of more would read past an array's end (without inputs,
        # the shader makes its vertices from gl_VertexIndex: any count)
        vertices = min((math.prod(a.shape) for a in inputs), default=2**31 - 1)
        if count is None:
            count = inputs[0].shape[0] if inputs else 0
            if count > vertices:
                raise self._refuse(
                    f"custom draw inputs hold different numbers of vertices: the first {count}, the fewest "
                    f"{vertices}; a draw of the first's count would read past the others' ends: give count= "
                    f"up to {vertices}"
                )
        elif not (_whole(count) and 0 <= count <= vertices):
            held = "the vertices its inputs hold" if inputs else "a draw's most"
            raise self._refuse(
                f"custom draw count must be a whole number in 0..{vertices} ({held}), not {count!r}"
            )
        vertex_spirv, vertex_name = compile_scene_shader(vertex, "vert", self.scene_file)
        fragment_spirv, fragment_name = compile_scene_shader(fragment, "frag", self.scene_file, transparent)
        draw = CustomDraw(
            self.context,
            self.render_pass,
            self.frames_in_flight,
            vertex_spirv=vertex_spirv,
            fragment_spirv=fragment_spirv,
            inputs=[(a.buffer, a.element_shape) for a in inputs],
            vertex_count=count,
            topology=topology,
            indices=None if indices is None else indices.buffer,
            index_count=0 if indices is None else indices.shape[0],
            vertex_name=vertex_name,
            fragment_name=fragment_name,
            uniforms=uniforms,
            textures=[t.image for t in textures],
            blend=blend,
            depth_test=depth_test,
            depth_write=depth_write,
            instance_inputs=[(a.buffer, a.element_shape) for a in instance_inputs],
            instance_count=int(instance_count),
            transparent=transparent,
            cull=cull,
            depth_compare=depth_compare,
        )
        return self._added(draw)

    def lines(
        self,
        positions: NdArray,
        indices: NdArray | None = None,
        color=(1.0, 1.0, 1.0),
        strip: bool = False,
        colors: NdArray | None = None,
        scalars: NdArray | None = None,
        colormap: str = "viridis",
        range="auto",
        opacity: float | None = None,
    ) -> CustomDraw:
        """Line segments between vec3 `positions`: pairs of `indices` (or of consecutive positions: an even
        number), or one connected strip. In one `color`, or a colour per vertex (interpolated along each segment): `colors`
        (vec3 float32, one per position; RGBA vec4 makes the lines transparent), or float32 `scalars` (one per
        position) through `colormap` with `range` (see `particles`). `opacity` (0..1): the lines are transparent
        (see `particles`); the draw's `opacity` changes it from update()."""
        self._live("a lines draw")
        strip = self._flag("line strip", strip)
        color = self._color("line color", color)
        mapped = self._scalar_colors("line", positions, scalars, colors, colormap, range)
        opacity = self._opacity("line", opacity)
        self._array("line positions", positions)
        if positions.dtype != np.float32 or positions.element_shape != (3,) or len(positions.shape) != 1:
            raise self._refuse(
                f"line positions must be a 1-D array of vec3 float32, not shape {positions.shape} x "
                f"{positions.element_shape} {positions.dtype}"
            )
        if colors is not None:
            self._per_element("line", positions, "colors", colors, (3,))
            if colors.element_shape == (4,) and opacity is None:
                opacity = 1.0
        self._check_indices(indices)
        paired = positions.shape[0] if indices is None else indices.shape[0]
        if not strip and paired % 2:  # the last would be dropped, silently
            raise self._refuse(
                f"line segments pair their {'vertices' if indices is None else 'indices'}: give an even number, "
                f"not {paired} (or strip=True for one connected line)"
            )
        transparent = opacity is not None
        if mapped is None and colors is None:
            fragment, inputs = lines_fragment(color, transparent), [(positions.buffer, (3,))]
            vertex = LINES_VERTEX
        else:
            fragment, vertex = lines_colored_fragment(transparent), LINES_COLORED_VERTEX
            inputs = [(positions.buffer, (3,))]
            inputs.append(
                (mapped.colors, (3,)) if mapped is not None else (colors.buffer, colors.element_shape)
            )
        draw = CustomDraw(
            self.context,
            self.render_pass,
            self.frames_in_flight,
            vertex_spirv=compile_scene_shader(vertex, "vert", self.scene_file)[0],
            fragment_spirv=compile_scene_shader(fragment, "frag", self.scene_file, transparent)[0],
            inputs=inputs,
            vertex_count=positions.shape[0],
            topology="line_strip" if strip else "lines",
            indices=None if indices is None else indices.buffer,
            index_count=0 if indices is None else indices.shape[0],
            uniforms={"opacity": opacity} if transparent else None,
            transparent=transparent,
            opacity=opacity,
            input_names=("positions", "scalars" if mapped is not None else "colors"),
            what="lines draw",
        )
        return self._added(draw, mapped)

    def kernel(self, name: str) -> Kernel:
        """The scene's compiled kernel `name` (one of its `kernels`); `.bind(...)` it to launch it each frame."""
        self._live("a kernel")
        if self.module is None:
            raise SceneError(f"scene {self.scene_name!r} asks for kernel {name!r} but lists no `kernels`")
        return self.module.kernel(name)

    def particles(
        self,
        positions: NdArray,
        radius: float = 0.01,
        color=(0.35, 0.65, 1.0),
        colors: NdArray | None = None,
        splat: bool = True,
        radii: NdArray | None = None,
        scalars: NdArray | None = None,
        colormap: str = "viridis",
        range="auto",
        opacity: float | None = None,
    ) -> ParticleDraw:
        """Draw each vec3 of `positions` as a shaded sphere of `radius` (world units), in one `color` or with
        per-particle `colors` (an array of vec3 float32 like `positions`, written by kernels too). Small ones
        are splatted by compute passes where the device can (`splat=False`: point sprites for all).

        `radii`: a float32 array of one radius per particle (world units, written by kernels too), in place of
        `radius`. `scalars`: a float32 array of one value per particle, coloured through `colormap` (one of
        renderer.colormaps.NAMES: viridis, magma, coolwarm, turbo, grey) over `range`: (lo, hi), or "auto"
        (the scalars' min and max, found on the GPU each frame); in place of `colors`. The draw's `colormap`
        is then the pass that maps them (its `range_now()`, `colorbar()`); None otherwise.

        `opacity` (0..1), or RGBA `colors` (vec4, alpha per particle, times `opacity` if given): the particles
        are transparent, composited order-independently with the scene's other transparent draws after the
        opaque ones (renderer/draw/transparency.py); they are then drawn as sprites, never splatted (so are the
        opaque particles of a frame with transparent draws). The draw's `opacity`, `count` (up to the number
        of positions), `colormap` (a name) and `range` can be set from update()."""
        self._live("a particles draw")
        splat = self._flag("particle splat", splat)
        mapped = self._scalar_colors("particle", positions, scalars, colors, colormap, range)
        opacity = self._opacity("particle", opacity)
        if radii is not None:
            self._array("particle positions", positions)
            self._per_element("particle", positions, "radii", radii, ())
        if mapped is not None:
            colors = None
        for what, array in (("positions", positions), ("colors", colors)):
            if array is None:
                continue
            self._array(f"particle {what}", array)
            shapes = ((3,), (4,)) if what == "colors" else ((3,),)
            if array.dtype != np.float32 or array.element_shape not in shapes or len(array.shape) != 1:
                kind = "vec3 float32 (or RGBA vec4)" if what == "colors" else "vec3 float32"
                raise SceneError(
                    f"scene {self.scene_name!r}: particle {what} must be a 1-D array of {kind}, not "
                    f"shape {array.shape} x {array.element_shape} {array.dtype}"
                )
        if not (_finite(radius) and radius > 0):
            raise self._refuse(f"particle radius must be a positive number, not {radius!r}")
        color = self._color("particle color", color)
        if colors is not None and colors.shape != positions.shape:
            raise SceneError(
                f"scene {self.scene_name!r}: {colors.shape[0]} particle colours for "
                f"{positions.shape[0]} positions"
            )
        draw = ParticleDraw(
            self.context,
            self.render_pass,
            positions.buffer,
            positions.shape[0],
            self.frames_in_flight,
            radius=radius,
            color=color,
            **self._color_source(mapped, colors),
            splat=splat,
            radii=None if radii is None else radii.buffer,
            opacity=opacity,
        )
        return self._added(draw, mapped)

    def mesh(
        self,
        positions: NdArray,
        normals: NdArray,
        indices: NdArray,
        colors: NdArray | None = None,
        color=(0.8, 0.8, 0.8),
        scalars: NdArray | None = None,
        colormap: str = "viridis",
        range="auto",
        opacity: float | None = None,
        splat: bool = True,
    ) -> MeshDraw:
        """Draw indexed triangles: vec3 float32 `positions`, `normals` (and per-vertex `colors`, or one `color`),
        uint32 `indices` (three per triangle, usage ("index",)); kernels may write all of them every frame.
        Or float32 `scalars`, one per vertex, through `colormap` over `range` (see `particles`): each vertex
        gets its colour, interpolated across the triangles. `opacity` (0..1), or RGBA `colors` (vec4): the mesh
        is transparent (see `particles`). The draw's `opacity`, `count` (indices drawn, a multiple of 3 up to
        the number of indices), `colormap` and `range` can be set from update().

        An opaque mesh of many triangles per pixel of the frame (on lavapipe from 0.3) has its small triangles
        splatted by compute passes where the device can, the others rasterized (`splat=False`: all rasterized;
        renderer/draw/triangle_splat.py); the image is the same but for rounding on a few edge pixels."""
        self._live("a mesh draw")
        splat = self._flag("mesh splat", splat)
        mapped = self._scalar_colors("mesh", positions, scalars, colors, colormap, range)
        opacity = self._opacity("mesh", opacity)
        vec3s = {"positions": positions, "normals": normals, "colors": colors}
        for what, array in {**vec3s, "indices": indices}.items():
            if array is not None or what != "colors":
                self._array(f"mesh {what}", array)
        color = self._color("mesh color", color)
        for what, array in vec3s.items():
            if array is not None and (
                array.dtype != np.float32
                or array.element_shape not in (((3,), (4,)) if what == "colors" else ((3,),))
                or len(array.shape) != 1
                or array.shape != positions.shape
            ):
                kind = "vec3 float32 (or RGBA vec4)" if what == "colors" else "vec3 float32"
                raise SceneError(
                    f"scene {self.scene_name!r}: mesh {what} must be a 1-D array of {kind} "
                    f"with one per vertex ({positions.shape[0]}), not shape {array.shape} x "
                    f"{array.element_shape} {array.dtype}"
                )
        if indices.dtype != np.uint32 or indices.element_shape != () or len(indices.shape) != 1:
            raise SceneError(
                f"scene {self.scene_name!r}: mesh indices must be a 1-D array of uint32, not shape "
                f"{indices.shape} x {indices.element_shape} {indices.dtype}"
            )
        draw = MeshDraw(
            self.context,
            self.render_pass,
            positions.buffer,
            normals.buffer,
            indices.buffer,
            positions.shape[0],
            indices.shape[0],
            self.frames_in_flight,
            **self._color_source(mapped, colors),
            color=color,
            opacity=opacity,
            splat=splat,
        )
        return self._added(draw, mapped)

    def _per_instance(self, what: str, array, widths: tuple, count: int) -> int:
        """The element width (1 for a scalar) of a per-instance float32 `array`, checked: 1-D, one of `widths`,
        at least `count` elements."""
        self._array(f"instance {what}", array)
        width = math.prod(array.element_shape)
        allowed = " or ".join("float" if w == 1 else f"vec{w}" for w in widths)
        if (
            array.dtype != np.float32
            or len(array.shape) != 1
            or width not in widths
            or (width == 1 and array.element_shape not in ((), (1,)))
            or (width > 1 and array.element_shape != (width,))
        ):
            raise self._refuse(
                f"instance {what} must be a 1-D array of {allowed} float32, not shape {array.shape} x "
                f"{array.element_shape} {array.dtype}"
            )
        if array.shape[0] < count:
            raise self._refuse(
                f"instance {what} holds {array.shape[0]} elements; {count} instances need {count}"
            )
        return width

    def instances(
        self,
        mesh,
        positions: NdArray,
        *,
        directions: NdArray | None = None,
        rotations: NdArray | None = None,
        scales: NdArray | None = None,
        scale: float = 1.0,
        colors: NdArray | None = None,
        color=(0.8, 0.8, 0.8),
        count: int | None = None,
        opacity: float | None = None,
    ) -> InstancedMeshDraw:
        """Draw one mesh at `count` instances (default: one per position), lit like `mesh`. `mesh`: "arrow"
        (tail at the origin, tip at (0, 0, 1)), "sphere" (radius 0.5), "cube" (side 1), or the scene's own
        (positions, normals, indices) arrays as `mesh` takes them. Per instance, from float32 arrays that kernels
        write: vec3 `positions` (where the mesh's origin goes); `directions` (vec3: the mesh's +Z axis turns
        onto it, its length ignored, a zero vector hides the instance) or `rotations` (vec4 quaternions x, y, z,
        w), or neither; `scales` (float, or vec3 along the mesh's axes) or one `scale` for all; vec3 `colors` or
        one `color`. The returned draw's `transform` moves them all. `opacity` (0..1), or RGBA `colors` (vec4):
        the instances are transparent (see `particles`). The draw's `opacity` and `count` (up to the number of
        positions) can be set from update()."""
        self._live("an instances draw")
        opacity = self._opacity("instance", opacity)
        if isinstance(mesh, str):
            if mesh not in BUILTIN_MESHES:
                raise self._refuse(
                    f"instances mesh must be one of {sorted(BUILTIN_MESHES)} or (positions, normals, indices) "
                    f"arrays, not {mesh!r}"
                )
            shape = BUILTIN_MESHES[mesh]()
        elif isinstance(mesh, (tuple, list)) and len(mesh) == 3:
            vertices, normals, indices = mesh
            for what, array in (("positions", vertices), ("normals", normals), ("indices", indices)):
                self._array(f"instances mesh {what}", array)
            for what, array in (("positions", vertices), ("normals", normals)):
                if (
                    array.dtype != np.float32
                    or array.element_shape != (3,)
                    or len(array.shape) != 1
                    or array.shape != vertices.shape
                ):
                    raise self._refuse(
                        f"instances mesh {what} must be a 1-D array of vec3 float32 with one per vertex "
                        f"({vertices.shape[0]}), not shape {array.shape} x {array.element_shape} {array.dtype}"
                    )
            if indices.dtype != np.uint32 or indices.element_shape != () or len(indices.shape) != 1:
                raise self._refuse(
                    f"instances mesh indices must be a 1-D array of uint32, not shape {indices.shape} x "
                    f"{indices.element_shape} {indices.dtype}"
                )
            shape = (vertices.buffer, normals.buffer, indices.buffer, vertices.shape[0], indices.shape[0])
        else:
            raise self._refuse(
                f"instances mesh must be one of {sorted(BUILTIN_MESHES)} or (positions, normals, indices) "
                f"arrays, not {type(mesh).__name__}"
            )
        self._array("instance positions", positions)
        held = positions.shape[0] if len(positions.shape) == 1 else 0
        if count is None:
            count = held
        elif not (_whole(count) and 0 <= count <= held):
            raise self._refuse(
                f"instance count must be a whole number in 0..{held} (the positions), not {count!r}"
            )
        count = int(count)
        self._per_instance("positions", positions, (3,), count)
        if directions is not None and rotations is not None:
            raise self._refuse("instances take directions or rotations, not both")
        orientation = None
        if directions is not None:
            self._per_instance("directions", directions, (3,), count)
            orientation = (directions.buffer, "directions")
        elif rotations is not None:
            self._per_instance("rotations", rotations, (4,), count)
            orientation = (rotations.buffer, "rotations")
        if scales is not None:
            scales_input = (scales.buffer, self._per_instance("scales", scales, (1, 3), count))
        else:
            scales_input = None
            if not (_finite(scale) and scale > 0):
                raise self._refuse(f"instance scale must be a positive number, not {scale!r}")
        color_width = 3
        if colors is not None:
            color_width = self._per_instance("colors", colors, (3, 4), count)
        color = self._color("instance color", color)
        draw = InstancedMeshDraw(
            self.context,
            self.render_pass,
            self.frames_in_flight,
            mesh=shape,
            count=count,
            positions=positions.buffer,
            orientation=orientation,
            scales=scales_input,
            scale=float(scale),
            colors=None if colors is None else colors.buffer,
            color=color,
            opacity=opacity,
            color_width=color_width,
        )
        return self._added(draw)

    def destroy_drawables(self) -> None:
        """Release every draw the scene made (the GPU idle); the first step of releasing the scene."""
        self.released = True
        for d in self.drawables:
            d.destroy()
        self.drawables = []

    def release_memories(self) -> None:
        """Taichi's records of the arrays (while the runtime lives)."""
        for m in self.memories:
            m.destroy()
        self.memories = []

    def destroy_buffers(self) -> None:
        """After the Taichi runtime that used them is gone."""
        if self.uploader is not None:
            self.uploader.destroy()
            self.uploader = None
        for b in self.buffers + self.images:
            b.destroy()
        self.buffers, self.images, self.arrays = [], [], []


__all__ = ["Scene", "SceneGPU", "SceneError", "ParamError", "Param", "Camera", "Picked"]
