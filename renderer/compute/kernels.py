"""Loaded AOT modules and typed kernel launches, checked against the module's own metadata.

`ti_launch_kernel` checks nothing but null pointers: a wrong arity, type, dtype or a too-small buffer would
silently write garbage. So every launch is checked here first, with the kernel and argument named in the
error. `Kernel.bind()` builds the argument array once; a bound launch only updates scalars per frame.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import numbers
import shutil
import subprocess
import warnings
import zipfile
from dataclasses import dataclass

import numpy as np

from ..device import handles, spirv
from ..errors import ArgumentError, RendererError
from . import taichi_api as api
from .interop import TaichiImage
from .taichi_api import ffi, lib

PTYPE_SCALAR, PTYPE_NDARRAY, PTYPE_TEXTURE, PTYPE_RW_TEXTURE = 0, 1, 2, 3
DTYPE_UNKNOWN = lib.TI_DATA_TYPE_UNKNOWN

# TiDataType <-> numpy
NUMPY_DTYPES = {
    lib.TI_DATA_TYPE_F16: np.float16,
    lib.TI_DATA_TYPE_F32: np.float32,
    lib.TI_DATA_TYPE_F64: np.float64,
    lib.TI_DATA_TYPE_I8: np.int8,
    lib.TI_DATA_TYPE_I16: np.int16,
    lib.TI_DATA_TYPE_I32: np.int32,
    lib.TI_DATA_TYPE_I64: np.int64,
    lib.TI_DATA_TYPE_U8: np.uint8,
    lib.TI_DATA_TYPE_U16: np.uint16,
    lib.TI_DATA_TYPE_U32: np.uint32,
    lib.TI_DATA_TYPE_U64: np.uint64,
}
TI_DTYPES = {np.dtype(v): k for k, v in NUMPY_DTYPES.items()}


def dtype_name(code: int) -> str:
    if code == lib.TI_DATA_TYPE_U1:
        return "u1 (bool)"
    return np.dtype(NUMPY_DTYPES[code]).name if code in NUMPY_DTYPES else f"TiDataType({code})"


@dataclass(frozen=True)
class ArgSpec:
    """One kernel argument as the compiled module declares it."""

    index: int
    name: str
    kind: str  # "scalar", "vector", "ndarray", "texture"
    dtype: int
    ndim: int = 0  # ndarray dimensions
    element_shape: tuple = ()  # ndarray element shape, or (n,) for a vector argument
    image_format: str = ""  # a storage texture's format as its tasks declare it (IMAGE_FORMATS' name), or ""

    def describe(self) -> str:
        if self.kind == "ndarray":
            return f"ndarray(dtype={dtype_name(self.dtype)}, ndim={self.ndim}, element_shape={self.element_shape})"
        if self.kind == "vector":
            return f"vector of {self.element_shape[0]} {dtype_name(self.dtype)}"
        return f"{self.kind} {dtype_name(self.dtype)}"


def _vector_spec(args_type: dict, index: int) -> tuple[int, int]:
    """(element dtype, length) of a vector argument, from the module's argument struct type."""
    element = args_type["content"]["elements_"][index]["type"]
    members = element["content"]["elements_"]
    return members[0]["type"]["content"]["type"], len(members)


class IncompatibleModuleError(RendererError):
    """A compiled module needs capabilities the runtime was not given (Taichi 1.7.4 does not check this)."""


SPIRV_MAGIC = 0x07230203


def read_metadata(tcm: bytes) -> dict:
    """The module's metadata.json, after checking that every task is SPIR-V at all: Taichi 1.7.4 ignores a
    pipeline it fails to create and would launch it anyway."""
    try:
        with zipfile.ZipFile(io.BytesIO(tcm)) as archive:
            for name in archive.namelist():
                if name.endswith(".spv"):
                    code = archive.read(name)
                    if len(code) < 20 or len(code) % 4 or int.from_bytes(code[:4], "little") != SPIRV_MAGIC:
                        raise RendererError(
                            f"the compiled module's task {name} is not SPIR-V; delete the cache "
                            "entry so it is rebuilt"
                        )
            return json.loads(archive.read("metadata.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RendererError(f"the compiled module is damaged or not a Taichi module: {exc!r}") from exc


_valid_spirv: set[tuple[str, bytes]] = set()  # (target, digest) of SPIR-V spirv-val accepted in this process


def validate_spirv(tcm: bytes, api_version: int, name: str) -> None:
    """Run spirv-val (SPIRV-Tools, installed by the set-up) over every task of the module, for the device's
    Vulkan version: Taichi hands a task to vkCreateComputePipelines as it is, and an invalid one can crash the
    driver. Without spirv-val installed only the magic-number check of read_metadata() applies (a warning
    says so once)."""
    tool = shutil.which("spirv-val")
    if tool is None:
        warnings.warn(
            "spirv-val not found (Debian package spirv-tools): compiled modules are not validated",
            stacklevel=3,
        )
        return
    target = f"vulkan1.{min((api_version >> 12) & 0x3FF, 3)}"
    with zipfile.ZipFile(io.BytesIO(tcm)) as archive:
        for task in archive.namelist():
            if not task.endswith(".spv"):
                continue
            code = archive.read(task)
            digest = (target, hashlib.sha256(code).digest())
            if digest in _valid_spirv:
                continue
            check = subprocess.run([tool, "--target-env", target, "-"], input=code, capture_output=True)
            if check.returncode != 0:
                why = (check.stderr or check.stdout).decode(errors="replace").strip()
                raise RendererError(
                    f"{name}: task {task} is not valid SPIR-V for {target} (spirv-val): {why}"
                )
            _valid_spirv.add(digest)


# llvmpipe (lavapipe) ends an invocation's loops silently once it has run this many loop iterations: gallivm's loop
# limiter (LP_MAX_TGSI_LOOP_ITERATIONS), one counter per invocation (per SIMD batch) for all of its loops together
CPU_LOOP_LIMIT = 65535
# invocations of a runtime-range loop on a CPU driver: enough workgroups of 128 for every core's SIMD lanes
CPU_GRID_STRIDE_THREADS = 2048
# the longest range a capped loop covers: each invocation runs ceil(range / threads) iterations, and one more
# pass that leaves the loop
CPU_CAPPED_RANGE = CPU_GRID_STRIDE_THREADS * (CPU_LOOP_LIMIT - 1)
OP_LOOP_MERGE = 246  # SPIR-V: every structured loop has exactly one


def count_loops(spirv: bytes) -> int:
    """The structured loops (OpLoopMerge instructions) in a SPIR-V module."""
    words = np.frombuffer(spirv, dtype="<u4")
    count, i = 0, 5  # after the header
    while i < len(words):
        word = int(words[i])
        count += (word & 0xFFFF) == OP_LOOP_MERGE
        i += max(word >> 16, 1)
    return count


def extra_loops(archive: zipfile.ZipFile, task: dict) -> int:
    """The loops a task runs besides its own parallel loop: Taichi compiles a range-for task as one grid-stride
    loop, a serial task as straight code, so any further loop is the kernel's own (an inner loop, a while)."""
    try:
        code = archive.read(task["name"] + ".spv")
    except KeyError:
        return 1  # not known: assume it loops
    return count_loops(code) - (1 if task.get("range_for_attribs") else 0)


@dataclass(frozen=True)
class CpuDispatch:
    """A module as dispatched on a CPU driver (see plan_cpu_dispatch)."""

    tcm: bytes  # the module with its capped tasks
    capped: frozenset  # kernels with a task whose dispatch was capped
    looping: frozenset  # kernels with a task that runs loops besides its parallel loop


def plan_cpu_dispatch(tcm: bytes, max_threads: int) -> CpuDispatch:
    """The module with every loop over a runtime range that runs no other loop dispatched as at most
    `max_threads` invocations.

    Taichi 1.7.4 compiles such a loop (`for i in ndarray`) as a grid-stride loop dispatched as 131,072
    invocations whatever the range. A GPU retires the idle ones almost for free, but a CPU driver (lavapipe)
    runs SIMD lanes under a mask, so each of them costs nearly a whole iteration: measured, the cloth's step
    kernel took 9.3 ms for 256 particles. The loop strides by the dispatched size (it reads NumWorkgroups), so
    any count covers every element, until llvmpipe's loop limiter: an invocation stops after CPU_LOOP_LIMIT
    loop iterations in total, without an error. A capped loop with no loop inside it reaches that only beyond
    CPU_CAPPED_RANGE elements (a launch that may is sent to the uncapped module: Kernel.for_range); a task that
    runs more loops keeps Taichi's own dispatch, so it does exactly what plain Taichi does on the device,
    where it too can meet the limiter (AotModule.kernel warns)."""
    with zipfile.ZipFile(io.BytesIO(tcm)) as archive:
        meta = json.loads(archive.read("metadata.json"))
        capped, looping = set(), set()
        for kernel in meta.get("kernels", []):
            for task in kernel.get("tasks_attribs", []):
                extra = extra_loops(archive, task)
                if extra > 0:
                    looping.add(kernel["name"])
                    continue
                loop = task.get("range_for_attribs")
                if loop and not (loop["const_begin"] and loop["const_end"]):
                    if task["advisory_total_num_threads"] > max_threads:
                        task["advisory_total_num_threads"] = max_threads
                        capped.add(kernel["name"])
    if capped:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(tcm)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                data = json.dumps(meta).encode() if info.filename == "metadata.json" else src.read(info)
                dst.writestr(info, data)
        tcm = out.getvalue()
    return CpuDispatch(tcm, frozenset(capped), frozenset(looping))


class LoopLimitWarning(UserWarning):
    """Kernels (`kernels`, their names) run loops inside their parallel loop, on a CPU driver whose loop limiter
    can end them silently."""

    def __init__(self, message: str, kernels: tuple = ()):
        super().__init__(message)
        self.kernels = kernels


def required_capabilities(meta: dict) -> dict[str, int]:
    return {c["key"]: c["value"] for c in meta.get("required_caps", [])}


def check_capabilities(required: dict[str, int], available: dict[str, int], name: str) -> None:
    """Every capability the module was compiled for must be declared to the runtime at that level or above."""
    lacking = {cap: level for cap, level in required.items() if available.get(cap, 0) < level}
    if lacking:
        raise IncompatibleModuleError(
            f"{name} was compiled for capabilities this runtime lacks: "
            + ", ".join(
                f"{cap}={level} (runtime has {available.get(cap, 0)})" for cap, level in lacking.items()
            )
            + ". Recompile it for this device's capabilities (the renderer does this when the cache is cleared)"
        )


def with_image_formats(tcm: bytes, meta: dict, kernels: dict[str, list[ArgSpec]]) -> dict[str, list[ArgSpec]]:
    """The kernels' arguments with the format each storage texture's tasks declare (`rw_texture(fmt=...)`), read
    from their SPIR-V: the metadata leaves it out, and a launch on an image of another format writes it
    wrongly with no error from Taichi or the driver."""
    formats: dict[tuple[str, int], str] = {}
    with zipfile.ZipFile(io.BytesIO(tcm)) as archive:
        for kernel in meta.get("kernels", []):
            for task in kernel.get("tasks_attribs", []):
                binds = {
                    b["binding"]: b["arg_id"][0] for b in task.get("texture_binds", []) if b["is_storage"]
                }
                if not binds:
                    continue
                module = spirv.reflect(archive.read(task["name"] + ".spv"))
                for variable in module.variables.values():
                    if variable.type.kind == "image" and variable.decorations.get("Binding") in binds:
                        index = binds[variable.decorations["Binding"]]
                        formats[(kernel["name"], index)] = variable.type.format
    return {
        name: [dataclasses.replace(a, image_format=formats.get((name, a.index), "")) for a in args]
        for name, args in kernels.items()
    }


def parse_kernels(meta: dict) -> dict[str, list[ArgSpec]]:
    """Each kernel's arguments, in launch order, from the module's metadata."""
    try:
        kernels = {}
        for kernel in meta["kernels"]:
            attribs = kernel["ctx_attribs"]
            specs = []
            for entry in attribs["arg_attribs_vec_"]:
                a, index = entry["value"], entry["key"][0]
                name = a["name"].lstrip("_") if a["is_array"] else a["name"]
                if a["ptype"] == PTYPE_NDARRAY:
                    specs.append(
                        ArgSpec(index, name, "ndarray", a["dtype"], a["field_dim"], tuple(a["element_shape"]))
                    )
                elif a["ptype"] in (PTYPE_TEXTURE, PTYPE_RW_TEXTURE):
                    specs.append(ArgSpec(index, name, "texture", a["dtype"], a["field_dim"]))
                elif a["dtype"] == DTYPE_UNKNOWN:
                    dtype, length = _vector_spec(attribs["args_type_"], index)
                    specs.append(ArgSpec(index, name, "vector", dtype, 0, (length,)))
                else:
                    specs.append(ArgSpec(index, name, "scalar", a["dtype"]))
            kernels[kernel["name"]] = sorted(specs, key=lambda s: s.index)
        return kernels
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RendererError(f"the compiled module is damaged or not a Taichi module: {exc!r}") from exc


class NdArray:
    """Taichi memory seen as an ndarray: `shape` of elements, each of `element_shape` values of `dtype`."""

    def __init__(self, memory, shape, dtype=np.float32, element_shape=(), name: str = "ndarray"):
        self.memory, self.name = memory, name
        self.shape, self.element_shape = tuple(int(s) for s in shape), tuple(int(s) for s in element_shape)
        self.dtype = np.dtype(dtype)
        if self.dtype not in TI_DTYPES:
            raise ArgumentError(f"{name}: dtype {self.dtype} has no Taichi equivalent")
        if not self.shape or any(s <= 0 for s in self.shape) or len(self.shape) > 16:
            raise ArgumentError(f"{name}: shape must have 1-16 positive dimensions, not {self.shape}")
        self.nbytes = math.prod(self.shape + self.element_shape) * self.dtype.itemsize
        if self.nbytes > memory.size:
            raise ArgumentError(
                f"{name}: shape {self.shape} x element {self.element_shape} of {self.dtype} needs "
                f"{self.nbytes} bytes but its memory has only {memory.size}"
            )


class AotModule:
    """A loaded TiAotModule and its kernels' argument lists."""

    def __init__(self, runtime, tcm: bytes, name: str = "module", *, cap_dispatch: bool = True):
        self.runtime, self.name = runtime, name
        meta = read_metadata(tcm)
        self.arguments = with_image_formats(tcm, meta, parse_kernels(meta))
        self.returning = {k["name"] for k in meta["kernels"] if k["ctx_attribs"].get("ret_attribs_vec_")}
        check_capabilities(required_capabilities(meta), runtime.capabilities(), name)
        context = runtime.context
        if context is not None:
            validate_spirv(tcm, context.api_version, name)
        self.capped, self.looping = frozenset(), frozenset()
        self._full_tcm, self._full = None, None  # the module as Taichi dispatches it, loaded when needed
        if context is not None and context.device_type == "CPU" and cap_dispatch:
            plan = plan_cpu_dispatch(tcm, CPU_GRID_STRIDE_THREADS)
            self.capped, self.looping = plan.capped, plan.looping
            if plan.capped:
                self._full_tcm, tcm = tcm, plan.tcm
        self._bytes = ffi.from_buffer(tcm)  # keeps `tcm` alive as long as the module
        self.handle = api.call("ti_create_aot_module", runtime.handle, self._bytes, len(tcm), context=name)
        handles.opened("TiAotModule")
        self._kernels: dict[str, Kernel] = {}
        self._warned = False  # the LoopLimitWarning, once

    def kernel(self, name: str) -> Kernel:
        if not isinstance(name, str) or name not in self._kernels:
            if not isinstance(name, str) or name not in self.arguments:
                raise ArgumentError(f"{self.name} has no kernel {name!r}; it has {sorted(self.arguments)}")
            if name in self.returning:
                raise ArgumentError(
                    f"kernel {name!r} returns a value, which its launches cannot hand back (they run with the "
                    "frame's work, later): write the result into an array and read() that"
                )
            handle = api.call(
                "ti_get_aot_module_kernel", self.handle, name.encode(), context=f"kernel {name!r}"
            )
            self._kernels[name] = Kernel(self, name, handle, self.arguments[name], capped=name in self.capped)
            if name in self.looping and not self._warned:  # once a module, naming all of them
                self._warned = True
                looping = tuple(sorted(self.looping))
                warnings.warn(
                    LoopLimitWarning(
                        f"{self.name}: kernel(s) {', '.join(map(repr, looping))} run a loop inside the parallel "
                        f"loop; on this CPU Vulkan driver (llvmpipe) one invocation stops its loops silently "
                        f"after {CPU_LOOP_LIMIT:,} iterations in total (plain Taichi too): keep each element's "
                        "loops well below that",
                        looping,
                    ),
                    stacklevel=2,
                )
        return self._kernels[name]

    def full_dispatch(self, name: str) -> Kernel:
        """The kernel dispatched as Taichi dispatches it, from the uncapped module (loaded on first use)."""
        if self._full_tcm is None:
            return self.kernel(name)
        if self._full is None:
            self._full = AotModule(
                self.runtime, self._full_tcm, f"{self.name} (full dispatch)", cap_dispatch=False
            )
        return self._full.kernel(name)

    def destroy(self) -> None:
        full, self._full = self._full, None
        if full is not None:
            full.destroy()
        handle, self.handle = self.handle, None
        if handle is None:
            return
        if self.runtime.handle is not None:  # else the runtime's destruction released it
            api.call("ti_destroy_aot_module", handle)
        handles.closed("TiAotModule")


class Kernel:
    """A kernel of a loaded module with its argument list (`args`, from the module's metadata); `bind()` checks
    arguments once and returns a launch to call every frame."""

    def __init__(self, module: AotModule, name: str, handle, args: list[ArgSpec], *, capped: bool = False):
        self.module, self.name, self.handle, self.args = module, name, handle, args
        self.capped = capped  # a task's dispatch was capped (plan_cpu_dispatch)

    def for_range(self, extent: int) -> Kernel:
        """The kernel to launch for loops over up to `extent` elements: this one, or where its capped dispatch
        would meet the CPU driver's loop limiter, the same kernel with Taichi's own dispatch."""
        if self.capped and extent > CPU_CAPPED_RANGE:
            return self.module.full_dispatch(self.name)
        return self

    def signature(self) -> str:
        """The kernel's name and arguments as the module declares them, e.g. `step(pos: ndarray(...), dt: ...)`."""
        return f"{self.name}(" + ", ".join(f"{a.name}: {a.describe()}" for a in self.args) + ")"

    def bind(self, *args, **kwargs) -> BoundLaunch:
        """Check the arguments against the module's metadata and build the C argument array once."""
        values = self._match(args, kwargs)
        launch = BoundLaunch(self)
        for spec, value in zip(self.args, values, strict=True):
            launch.set(spec.name, value)
        return launch

    def launch(self, *args, **kwargs) -> None:
        """Bind and launch once (a launch made every frame is cheaper bound once: `bind()`)."""
        self.bind(*args, **kwargs)()

    def _match(self, args, kwargs) -> list:
        where = f"kernel {self.signature()}"
        if len(args) > len(self.args):
            raise ArgumentError(f"{where} takes {len(self.args)} arguments, {len(args)} given")
        values = dict(zip((a.name for a in self.args), args, strict=False))
        for key, value in kwargs.items():
            if key not in {a.name for a in self.args}:
                raise ArgumentError(f"{where} has no argument {key!r}")
            if key in values:
                raise ArgumentError(f"{where}: argument {key!r} given twice")
            values[key] = value
        missing = [a.name for a in self.args if a.name not in values]
        if missing:
            raise ArgumentError(f"{where}: missing argument(s) {missing}")
        return [values[a.name] for a in self.args]


class BoundLaunch:
    """A kernel with its argument array built; `set()` changes one argument, calling it launches."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.array = ffi.new("TiArgument[]", max(1, len(kernel.args)))
        # with the argument's name for error messages, made once: set() runs every frame
        self._slots = {
            spec.name: (i, spec, f"kernel {kernel.name!r}, argument {spec.name!r} ({spec.describe()})")
            for i, spec in enumerate(kernel.args)
        }
        self._keep: dict[str, object] = {}
        # the launch's range as far as its arguments tell: ndarrays' element counts and integer scalars, which
        # is what a loop's range comes from (`for i in array`, `range(n)`); only a capped kernel needs it
        self._sizing = {spec.name for spec in kernel.args if kernel.capped and _gives_extent(spec)}
        self._extents: dict[str, int] = {}
        self._target = kernel

    def set(self, name: str, value) -> None:
        """Change argument `name` to `value`, checked as bind() checks it (a scalar per frame costs ~1 us)."""
        if not isinstance(name, str) or name not in self._slots:
            raise ArgumentError(f"kernel {self.kernel.signature()} has no argument {name!r}")
        i, spec, where = self._slots[name]
        arg = self.array[i]
        if spec.kind == "scalar":
            _set_scalar(arg, spec, value, where)
        elif spec.kind == "vector":
            _set_vector(arg, spec, value, where)
        elif spec.kind == "ndarray":
            _set_ndarray(arg, spec, value, where)
            self._keep[name] = value
        else:
            _set_texture(arg, spec, value, where)
            self._keep[name] = value
        if name in self._sizing:
            self._extents[name] = launch_extent(spec, value)
            self._target = self.kernel.for_range(max(self._extents.values()))

    def __call__(self) -> None:
        """Launch the kernel with the arguments as set (queued: it runs before the frame's draws)."""
        for name, value in self._keep.items():  # Taichi would launch on memory that is no longer there
            if value.handle is None if isinstance(value, TaichiImage) else value.memory.handle is None:
                raise ArgumentError(
                    f"kernel {self.kernel.name!r}: argument {name!r} ({getattr(value, 'name', 'an image')}) was released (its scene "
                    "was closed or switched away); launch a scene's kernels only while it is loaded"
                )
        if self.kernel.module.handle is None:
            raise ArgumentError(f"kernel {self.kernel.name!r}: its module was released with its runtime")
        self.kernel.module.runtime.launch(self._target, self.array)


def _gives_extent(spec: ArgSpec) -> bool:
    return spec.kind == "ndarray" or (
        spec.kind == "scalar" and np.dtype(NUMPY_DTYPES.get(spec.dtype, np.float32)).kind in "iu"
    )


def launch_extent(spec: ArgSpec, value) -> int:
    """How long a loop this argument can give a kernel: an ndarray's element count, an integer's value."""
    if spec.kind == "ndarray":
        return math.prod(value.shape)
    return abs(int(value))


# How each scalar type reaches ti_launch_kernel in Taichi 1.7.4's C API (measured on lavapipe: what else the
# launch refuses, TI_ERROR_ARGUMENT_OUT_OF_RANGE, or silently passes wrong): f32 and i32 have their own argument
# types; i16, u16 and f16 go as TI_ARGUMENT_TYPE_SCALAR (f16 as a float32 in its 32 bits, as the C API reads
# it); i8, u8, u32 and u1 go as an i32 that the launch converts to the declared type; the 64-bit types cannot
# be passed at all (an i32 or f32 fills only half of their slot).
_AS_I32 = {lib.TI_DATA_TYPE_I8, lib.TI_DATA_TYPE_U8, lib.TI_DATA_TYPE_U32, lib.TI_DATA_TYPE_U1}
_AS_SCALAR = {lib.TI_DATA_TYPE_I16, lib.TI_DATA_TYPE_U16}
_UNPASSABLE = {lib.TI_DATA_TYPE_I64: "ti.i32", lib.TI_DATA_TYPE_U64: "ti.u32", lib.TI_DATA_TYPE_F64: "ti.f32"}
_F32_MAX = float(np.finfo(np.float32).max)
_FLOAT_MAX = {lib.TI_DATA_TYPE_F16: 65504.0, lib.TI_DATA_TYPE_F32: _F32_MAX}


def _check_number(spec_dtype: int, value, where: str):
    """`value` as the Python number a kernel argument of type `spec_dtype` receives, or ArgumentError: a bool
    only for u1, an integer (never a truncated fraction) in the type's range, a finite float it can hold."""
    if type(value) is float and spec_dtype == lib.TI_DATA_TYPE_F32 and -_F32_MAX <= value <= _F32_MAX:
        return value  # the per-frame case (a time), without the checks below (NaN fails the comparison)
    if spec_dtype == lib.TI_DATA_TYPE_U1:
        if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
            return int(value)
        raise ArgumentError(f"{where}: expected a bool (or 0 or 1), got {type(value).__name__} {value!r}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    dtype = np.dtype(NUMPY_DTYPES[spec_dtype])
    if dtype.kind in "iu":
        if not isinstance(value, numbers.Integral):
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()):
                raise ArgumentError(f"{where}: expected an integer, got {value!r} (never rounded here)")
        info = np.iinfo(dtype)
        if not info.min <= int(value) <= info.max:
            raise ArgumentError(f"{where}: {value} is out of range for {dtype.name} ({info.min}..{info.max})")
        return int(value)
    try:
        value = float(value)
    except OverflowError:  # an int beyond float's range
        value = math.inf
    if not math.isfinite(value):
        raise ArgumentError(f"{where}: expected a finite number, got {value}")
    limit = _FLOAT_MAX.get(spec_dtype)
    if limit is not None and abs(value) > limit:
        raise ArgumentError(f"{where}: {value} is too large for {dtype.name} (at most {limit:g})")
    return value


def _set_scalar(arg, spec: ArgSpec, value, where: str) -> None:
    if spec.dtype in _UNPASSABLE:
        raise ArgumentError(
            f"{where}: Taichi's C API cannot pass a scalar of type {dtype_name(spec.dtype)} to a kernel; declare it "
            f"{_UNPASSABLE[spec.dtype]} (or pass the value in an ndarray)"
        )
    if spec.dtype not in NUMPY_DTYPES and spec.dtype != lib.TI_DATA_TYPE_U1:
        raise ArgumentError(f"{where}: this argument's type cannot be passed from here")
    value = _check_number(spec.dtype, value, where)
    if spec.dtype == lib.TI_DATA_TYPE_F32:
        arg.type, arg.value.f32 = lib.TI_ARGUMENT_TYPE_F32, value
    elif spec.dtype == lib.TI_DATA_TYPE_I32:
        arg.type, arg.value.i32 = lib.TI_ARGUMENT_TYPE_I32, value
    elif spec.dtype in _AS_I32:  # the launch converts the i32 to the declared type; u32's upper half wraps
        arg.type, arg.value.i32 = lib.TI_ARGUMENT_TYPE_I32, value - (1 << 32) if value >= 1 << 31 else value
    else:
        stored = np.float32 if spec.dtype == lib.TI_DATA_TYPE_F16 else NUMPY_DTYPES[spec.dtype]
        raw = np.array([value], dtype=stored).view(np.uint8)
        arg.type = lib.TI_ARGUMENT_TYPE_SCALAR
        arg.value.scalar.type = spec.dtype
        arg.value.scalar.value.x64 = 0
        ffi.memmove(ffi.addressof(arg.value.scalar.value), raw.tobytes(), raw.size)


def _set_vector(arg, spec: ArgSpec, value, where: str) -> None:
    dtype = np.dtype(NUMPY_DTYPES.get(spec.dtype, np.uint8))
    if spec.dtype not in NUMPY_DTYPES or dtype.itemsize not in (
        2,
        4,
    ):  # the C API passes 16 or 32-bit elements
        raise ArgumentError(
            f"{where}: Taichi's C API passes vector arguments of 16 or 32-bit elements only; declare it with "
            "ti.f32, ti.i32 or ti.u32 elements"
        )
    n = spec.element_shape[0]
    try:
        items = list(np.asarray(value, dtype=object).reshape(-1)) if not isinstance(value, str) else None
    except (TypeError, ValueError):
        items = None
    if items is None:
        raise ArgumentError(f"{where}: expected {n} numbers, got {type(value).__name__} {value!r}")
    if len(items) != n:
        raise ArgumentError(f"{where}: expected {n} numbers, got {len(items)}: {value!r}")
    array = np.array([_check_number(spec.dtype, v, where) for v in items], dtype=dtype)
    arg.type = lib.TI_ARGUMENT_TYPE_TENSOR
    arg.value.tensor.type = spec.dtype
    arg.value.tensor.contents.length = array.size
    ffi.memmove(ffi.addressof(arg.value.tensor.contents.data), array.tobytes(), array.nbytes)


def _set_ndarray(arg, spec: ArgSpec, value, where: str) -> None:
    if not isinstance(value, NdArray):
        raise ArgumentError(f"{where}: expected an ndarray bound to a buffer, got {type(value).__name__}")
    if value.memory.handle is None:
        raise ArgumentError(f"{where}: {value.name}'s memory was released")
    if TI_DTYPES[value.dtype] != spec.dtype:
        raise ArgumentError(
            f"{where}: {value.name} has dtype {value.dtype}, the kernel wants {dtype_name(spec.dtype)}"
        )
    if len(value.shape) != spec.ndim:
        raise ArgumentError(
            f"{where}: {value.name} has {len(value.shape)} dimensions {value.shape}, "
            f"the kernel wants {spec.ndim}"
        )
    if value.element_shape != spec.element_shape:
        raise ArgumentError(
            f"{where}: {value.name} has element shape {value.element_shape}, "
            f"the kernel wants {spec.element_shape}"
        )
    arg.type = lib.TI_ARGUMENT_TYPE_NDARRAY
    nd = arg.value.ndarray
    nd.memory = value.memory.handle
    nd.shape.dim_count = len(value.shape)
    for i, s in enumerate(value.shape):
        nd.shape.dims[i] = s
    nd.elem_shape.dim_count = len(value.element_shape)
    for i, s in enumerate(value.element_shape):
        nd.elem_shape.dims[i] = s
    nd.elem_type = spec.dtype


def _set_texture(arg, spec: ArgSpec, value, where: str) -> None:
    if not isinstance(value, TaichiImage):
        raise ArgumentError(
            f"{where}: expected an image shared with Taichi (gpu.image(...)), got {type(value).__name__}"
        )
    if value.handle is None:
        raise ArgumentError(f"{where}: the image was released")
    if spec.ndim != 2:
        raise ArgumentError(f"{where}: the kernel wants a {spec.ndim}-D texture; images here are 2-D")
    if spec.image_format and spec.image_format != value.format_name:
        raise ArgumentError(
            f"{where}: the kernel writes {spec.image_format} texels, image {value.image.name!r} holds "
            f"{value.format_name}: make the image with format={spec.image_format!r} (or the kernel's rw_texture "
            f"with fmt=ti.Format.{value.format_name})"
        )
    arg.type = lib.TI_ARGUMENT_TYPE_TEXTURE
    tex = arg.value.texture
    tex.image = value.handle
    tex.sampler = ffi.NULL
    tex.dimension = lib.TI_IMAGE_DIMENSION_2D
    tex.extent.width, tex.extent.height = value.image.width, value.image.height
    tex.extent.depth = tex.extent.array_layer_count = 1
    tex.format = value.ti_format
