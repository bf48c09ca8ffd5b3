"""Kernels, modules, the compiled-module cache, capabilities and device selection.

(renderer/compute/kernels.py, renderer/compute/aot.py, renderer/compute/runtime.py, renderer/device/context.py)
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import vulkan as vk

from renderer.cache import CACHE_ENV, CacheWarning
from renderer.compute import aot, kernels, taichi_api
from renderer.compute import runtime as runtime_module
from renderer.compute.kernels import AotModule, NdArray
from renderer.compute.runtime import TaichiRuntime
from renderer.device.context import VulkanContext, pick_physical_device
from renderer.device.memory import TAICHI_USAGE, Buffer
from renderer.errors import ArgumentError, NoVulkanDeviceError, RendererError
from tests import kernels_src

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
SUCCESS = (taichi_api.lib.TI_ERROR_SUCCESS, "")


def kernel_refs():
    return [aot.KernelRef.of(k) for k in (kernels_src.fill, kernels_src.accumulate)]


class Resources:
    """Host-visible buffers imported into a runtime; released after the GPU is idle."""

    def __init__(self, context, runtime):
        self.context, self.runtime = context, runtime
        self.buffers, self.memories = [], []

    def buffer(self, nbytes: int, usage: int = TAICHI_USAGE, name: str = "buffer") -> Buffer:
        buffer = Buffer(self.context, nbytes, usage, host=True, name=name)
        self.buffers.append(buffer)
        return buffer

    def array(
        self, shape, dtype=np.float32, element_shape=(), nbytes: int | None = None, name: str = "array"
    ) -> NdArray:
        need = int(np.prod(tuple(shape) + tuple(element_shape))) * np.dtype(dtype).itemsize
        buffer = self.buffer(nbytes or need, name=name)
        memory = self.runtime.import_memory(buffer)
        self.memories.append(memory)
        array = NdArray(memory, shape, dtype, element_shape, name=name)
        array.buffer = buffer
        return array

    def release(self) -> None:
        if self.runtime.handle is not None:
            self.runtime.wait()
        for memory in self.memories:
            memory.destroy()
        for buffer in self.buffers:
            buffer.destroy()


@pytest.fixture
def res(context, runtime):
    resources = Resources(context, runtime)
    yield resources
    resources.release()


# ------------------------------------------------------------------------------------------------------------
# Correct launches


def test_fill_writes_every_argument_into_the_buffer(res, test_module):
    n, capacity = 100, 128
    positions = res.array((n,), element_shape=(3,), nbytes=capacity * 12, name="positions")
    positions.buffer.write(np.full(capacity * 3, -7.0, np.float32))  # a sentinel beyond the array's shape
    offset = (1.5, -2.0, 4.0)
    test_module.kernel("fill").launch(positions, 0.75, offset, 12345)
    res.runtime.wait()
    data = positions.buffer.read(np.float32).reshape(capacity, 3)
    expected = np.stack(
        [np.arange(n, dtype=np.float32), np.full(n, 0.75, np.float32), np.full(n, 12345, np.float32)], axis=1
    ) + np.array(offset, np.float32)
    np.testing.assert_array_equal(data[:n], expected)
    np.testing.assert_array_equal(data[n:], -7.0)  # the kernel wrote exactly shape[0] elements


def test_a_loop_longer_than_the_dispatch_covers_every_element(res, test_module):
    """On a CPU driver the runtime-range loops are dispatched as CPU_GRID_STRIDE_THREADS invocations; each
    strides over the rest (kernels.cap_grid_stride_dispatch)."""
    n = kernels.CPU_GRID_STRIDE_THREADS * 5 + 17
    positions = res.array((n,), element_shape=(3,), name="positions")
    test_module.kernel("fill").launch(positions, 0.0, (0.0, 0.0, 0.0), 0)
    res.runtime.wait()
    np.testing.assert_array_equal(positions.buffer.read(np.float32).reshape(n, 3)[:, 0], np.arange(n))


def spirv_with_loops(count: int) -> bytes:
    """A SPIR-V word stream with `count` OpLoopMerge instructions (all kernels.count_loops reads)."""
    header = [kernels.SPIRV_MAGIC, 0x10300, 0, 100, 0]
    loop_merge = [(4 << 16) | kernels.OP_LOOP_MERGE, 1, 2, 0]
    return np.array(header + loop_merge * count + [(1 << 16) | 1], dtype="<u4").tobytes()


def test_the_dispatch_is_capped_only_for_runtime_ranges_without_inner_loops():
    import io
    import json
    import zipfile

    runtime_range = {"begin": 0, "const_begin": True, "const_end": False, "end": 0}
    tasks = {  # kernel: (range_for_attribs, loops in its SPIR-V)
        "runtime": (runtime_range, 1),
        "runtime_inner_loop": (runtime_range, 2),
        "constant": ({"begin": 0, "const_begin": True, "const_end": True, "end": 200_000}, 1),
        "serial": (None, 0),
        "serial_loop": (None, 1),
    }
    meta = {
        "kernels": [
            {
                "name": name,
                "tasks_attribs": [
                    {"name": f"{name}_t00", "advisory_total_num_threads": 131072, "range_for_attribs": loop}
                ],
            }
            for name, (loop, _) in tasks.items()
        ]
    }
    tcm = io.BytesIO()
    with zipfile.ZipFile(tcm, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta))
        for name, (_, loops) in tasks.items():
            archive.writestr(f"{name}_t00.spv", spirv_with_loops(loops))
    plan = kernels.plan_cpu_dispatch(tcm.getvalue(), 2048)
    capped = zipfile.ZipFile(io.BytesIO(plan.tcm))
    threads = {
        k["name"]: k["tasks_attribs"][0]["advisory_total_num_threads"]
        for k in json.loads(capped.read("metadata.json"))["kernels"]
    }
    assert threads == {
        "runtime": 2048,
        "runtime_inner_loop": 131072,
        "constant": 131072,
        "serial": 131072,
        "serial_loop": 131072,
    }
    assert plan.capped == {"runtime"}
    assert plan.looping == {"runtime_inner_loop", "serial_loop"}
    assert capped.read("runtime_t00.spv") == spirv_with_loops(1)


def test_a_launch_longer_than_the_capped_dispatch_covers_takes_the_full_dispatch(
    res, test_module, cpu_driver
):
    fill = test_module.kernel("fill")
    assert fill.capped and fill.for_range(kernels.CPU_CAPPED_RANGE) is fill
    full = fill.for_range(kernels.CPU_CAPPED_RANGE + 1)
    assert full is not fill and full.name == "fill" and not full.capped
    assert full.module is not test_module and full is fill.for_range(10**9)  # loaded once
    positions = res.array((4,), element_shape=(3,))
    launch = fill.bind(positions, 0.0, (0.0, 0.0, 0.0), kernels.CPU_CAPPED_RANGE + 1)  # an integer argument
    assert launch._target is full
    launch.set("n", 7)
    assert launch._target is fill
    launch()
    res.runtime.wait()


def test_bound_launch_with_keywords_updates_its_scalar(res, test_module):
    n = 16
    positions = res.array((n,), element_shape=(3,))
    launch = test_module.kernel("fill").bind(n=3, offset=np.zeros(3), t=1.0, pos=positions)
    for t in (2.0, -3.5):
        launch.set("t", t)
        launch()
        res.runtime.wait()
        data = positions.buffer.read(np.float32).reshape(n, 3)
        np.testing.assert_array_equal(data[:, 1], t)
        np.testing.assert_array_equal(data[:, 0], np.arange(n))
        np.testing.assert_array_equal(data[:, 2], 3.0)


def test_accumulate_sums_with_atomics(res, test_module):
    values = np.arange(1, 2049, dtype=np.float32)  # sum 2098176: exact in f32, whatever the order of the adds
    total = res.array((1,), name="total")
    total.buffer.write(np.zeros(1, np.float32))
    array = res.array(values.shape, name="values")
    array.buffer.write(values)
    accumulate = test_module.kernel("accumulate")
    accumulate.launch(total, array)
    res.runtime.wait()
    assert total.buffer.read(np.float32)[0] == values.sum()
    accumulate.launch(total=total, values=array)  # it adds to what is there
    res.runtime.wait()
    assert total.buffer.read(np.float32)[0] == 2 * values.sum()


# ------------------------------------------------------------------------------------------------------------
# Bad input: rejected before it reaches the driver, naming the kernel and the argument


class NoLaunchLib:
    """Stands in for the C library of renderer.compute.runtime: any ti_launch_kernel call fails the test."""

    def __init__(self, real):
        self._real = real

    def ti_launch_kernel(self, *args):
        raise AssertionError("a rejected launch reached ti_launch_kernel")

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture(scope="class")
def shared():
    """One device, runtime, module and set of arrays for the many rejection cases (they launch nothing)."""
    context = VulkanContext(validate=True)
    runtime = module = resources = None
    try:
        runtime = TaichiRuntime.import_vulkan(context)
        tcm = aot.compile_kernels(kernel_refs(), context.taichi_capabilities)
        module = AotModule(runtime, tcm, "test kernels")
        resources = Resources(context, runtime)
        arrays = {
            "pos": resources.array((8,), element_shape=(3,), name="pos"),
            "ints": resources.array((8,), np.int32, (3,), name="ints"),
            "grid": resources.array((4, 2), element_shape=(3,), name="grid"),
            "vec4": resources.array((6,), element_shape=(4,), name="vec4"),
            "flat": resources.array((24,), name="flat"),
        }
        yield context, runtime, module, arrays, resources
    finally:
        if resources is not None:
            resources.release()
        if module is not None:
            module.destroy()
        if runtime is not None:
            runtime.destroy()
        context.destroy()
    context.validation_log.raise_if_any("during the rejection tests")


def fill_call(arrays, **changes):
    """Arguments of a valid fill launch, with `changes` applied (a value of DROP removes the argument)."""
    kwargs = {"pos": arrays["pos"], "t": 1.0, "offset": (0.0, 0.0, 0.0), "n": 3}
    for key, value in changes.items():
        if value is DROP:
            kwargs.pop(key)
        else:
            kwargs[key] = value
    return kwargs


DROP = object()

# case id -> (kernel, args builder(arrays) -> (positional, keyword), substrings the message must contain)
BAD_LAUNCHES = {
    "too many": (
        "fill",
        lambda a: ((a["pos"], 1.0, (0, 0, 0), 3, 99), {}),
        ["fill(", "4 arguments, 5 given"],
    ),
    "missing": ("fill", lambda a: ((a["pos"], 1.0), {}), ["fill(", "missing", "'offset'", "'n'"]),
    "missing keyword": ("fill", lambda a: ((), fill_call(a, t=DROP)), ["fill(", "missing", "'t'"]),
    "unknown keyword": ("fill", lambda a: ((), fill_call(a, speed=2.0)), ["fill(", "no argument 'speed'"]),
    "given twice": ("fill", lambda a: ((a["pos"],), fill_call(a)), ["fill(", "'pos'", "twice"]),
    "str for f32": ("fill", lambda a: ((), fill_call(a, t="1.0")), ["'fill'", "'t'", "str"]),
    "None for f32": ("fill", lambda a: ((), fill_call(a, t=None)), ["'fill'", "'t'"]),
    "bool for f32": ("fill", lambda a: ((), fill_call(a, t=True)), ["'fill'", "'t'", "bool"]),
    "float for i32": ("fill", lambda a: ((), fill_call(a, n=3.5)), ["'fill'", "'n'", "integer"]),
    "bool for i32": ("fill", lambda a: ((), fill_call(a, n=False)), ["'fill'", "'n'", "bool"]),
    "i32 out of range": ("fill", lambda a: ((), fill_call(a, n=2**31)), ["'fill'", "'n'", "out of range"]),
    "short vector": ("fill", lambda a: ((), fill_call(a, offset=(1.0, 2.0))), ["'fill'", "'offset'", "3"]),
    "long vector": ("fill", lambda a: ((), fill_call(a, offset=[1.0] * 4)), ["'fill'", "'offset'", "got 4"]),
    "scalar for vector": ("fill", lambda a: ((), fill_call(a, offset=1.0)), ["'fill'", "'offset'"]),
    "text for vector": ("fill", lambda a: ((), fill_call(a, offset="abc")), ["'fill'", "'offset'"]),
    "ndarray dtype": (
        "fill",
        lambda a: ((), fill_call(a, pos=a["ints"])),
        ["'fill'", "'pos'", "int32", "float32"],
    ),
    "ndarray ndim": (
        "fill",
        lambda a: ((), fill_call(a, pos=a["grid"])),
        ["'fill'", "'pos'", "2 dimensions"],
    ),
    "element shape": (
        "fill",
        lambda a: ((), fill_call(a, pos=a["vec4"])),
        ["'fill'", "'pos'", "(4,)", "(3,)"],
    ),
    "no element shape": (
        "fill",
        lambda a: ((), fill_call(a, pos=a["flat"])),
        ["'fill'", "'pos'", "()", "(3,)"],
    ),
    "numpy for ndarray": (
        "fill",
        lambda a: ((), fill_call(a, pos=np.zeros((8, 3), np.float32))),
        ["'fill'", "'pos'", "ndarray"],
    ),
    "scalar ndarray gets vec3": (
        "accumulate",
        lambda a: ((a["pos"], a["flat"]), {}),
        ["'accumulate'", "'total'", "(3,)"],
    ),
    "accumulate missing": ("accumulate", lambda a: ((a["flat"],), {}), ["accumulate(", "'values'"]),
}


class TestRejections:
    @pytest.fixture(autouse=True)
    def no_launch(self, monkeypatch):
        monkeypatch.setattr(runtime_module, "lib", NoLaunchLib(taichi_api.lib))

    @pytest.mark.parametrize("case", sorted(BAD_LAUNCHES))
    def test_bad_launch_is_rejected(self, shared, case):
        _, _, module, arrays, _ = shared
        name, build, needles = BAD_LAUNCHES[case]
        args, kwargs = build(arrays)
        kernel = module.kernel(name)
        for attempt in (kernel.launch, kernel.bind):
            with pytest.raises(ArgumentError) as info:
                attempt(*args, **kwargs)
            text = str(info.value)
            for needle in needles:
                assert needle in text, f"{needle!r} missing from: {text}"
        assert taichi_api.last_error() == SUCCESS

    def test_bound_launch_rejects_bad_set(self, shared):
        _, _, module, arrays, _ = shared
        launch = module.kernel("fill").bind(**fill_call(arrays))
        with pytest.raises(ArgumentError, match=r"'fill'.*'t'"):
            launch.set("t", "fast")
        with pytest.raises(ArgumentError, match=r"fill\(.*no argument 'speed'"):
            launch.set("speed", 1.0)
        with pytest.raises(ArgumentError, match=r"'fill'.*'pos'.*element shape"):
            launch.set("pos", arrays["vec4"])
        assert taichi_api.last_error() == SUCCESS

    def test_ndarray_larger_than_its_memory_is_rejected(self, shared):
        _, _, _, arrays, _ = shared
        memory = arrays["pos"].memory  # 8 vec3 of f32: 96 bytes
        NdArray(memory, (8,), np.float32, (3,), name="fits")  # exactly the size: fine
        with pytest.raises(ArgumentError) as info:
            NdArray(memory, (9,), np.float32, (3,), name="too big")
        text = str(info.value)
        assert "too big" in text and "108 bytes" in text and "96" in text
        with pytest.raises(ArgumentError, match="doubles.*float64 needs 192 bytes"):
            NdArray(memory, (8,), np.float64, (3,), name="doubles")
        with pytest.raises(ArgumentError, match="positive"):
            NdArray(memory, (0,), np.float32, (3,), name="empty")
        assert taichi_api.last_error() == SUCCESS

    def test_importing_a_buffer_without_storage_usage_is_rejected(self, shared):
        context, runtime, _, _, resources = shared
        usage = vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT
        vertices = resources.buffer(64, usage, name="plain vertices")
        with pytest.raises(ArgumentError) as info:
            runtime.import_memory(vertices)
        text = str(info.value)
        assert "plain vertices" in text and "STORAGE" in text
        assert taichi_api.last_error() == SUCCESS

    def test_missing_kernel_is_rejected(self, shared):
        _, _, module, _, _ = shared
        with pytest.raises(ArgumentError) as info:
            module.kernel("no_such_kernel")
        text = str(info.value)
        assert "'no_such_kernel'" in text and "fill" in text and "accumulate" in text
        assert taichi_api.last_error() == SUCCESS

    def test_a_valid_launch_still_passes_the_checks(self, shared):
        """The stand-in library is really what the rejected launches would have called."""
        _, _, module, arrays, _ = shared
        with pytest.raises(AssertionError, match="reached ti_launch_kernel"):
            module.kernel("fill").launch(**fill_call(arrays))


# ------------------------------------------------------------------------------------------------------------
# The compiled-module cache


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


class FakeCompiler:
    """Counts compilations and writes a distinct, recognisable module each time (a zip whose metadata names
    the kernels, as a real module's does)."""

    def __init__(self):
        self.calls = []

    def __call__(self, kernels_, capabilities, out):
        self.calls.append(dict(capabilities))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("metadata.json", json.dumps({"kernels": [{"name": k.name} for k in kernels_]}))
            archive.writestr("marker", f"module #{len(self.calls)} for {sorted(capabilities.items())}")
        Path(out).write_bytes(buffer.getvalue())
        return buffer.getvalue()


def marker(module: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(module)) as archive:
        return archive.read("marker").decode()


CAPS = {"spirv_version": 0x10500, "spirv_has_atomic_float_add": 1, "spirv_has_int8": 1}


def test_same_kernels_compile_once(fresh_cache, monkeypatch, context):
    real = aot.run_compiler
    calls = []

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(aot, "run_compiler", counting)
    first = aot.compile_kernels(kernel_refs(), context.taichi_capabilities)
    second = aot.compile_kernels(kernel_refs(), context.taichi_capabilities)
    assert len(calls) == 1
    assert first == second
    assert set(kernels.parse_kernels(kernels.read_metadata(first))) == {"fill", "accumulate"}
    assert [p.suffix for p in sorted(aot.cache_dir().iterdir())] == [".tcm"]  # no partial left


def test_corrupted_entry_is_rebuilt_never_loaded(fresh_cache, monkeypatch):
    compiler = FakeCompiler()
    monkeypatch.setattr(aot, "run_compiler", compiler)
    good = aot.compile_kernels(kernel_refs(), CAPS)
    key = aot.cache_key(kernel_refs(), CAPS)
    tcm = aot.cache_dir() / f"{key}.tcm"
    assert tcm.read_bytes().endswith(good) and len(compiler.calls) == 1

    tcm.write_bytes(b"PK\x03\x04 damaged on disk")
    with pytest.warns(CacheWarning, match="was damaged"):
        rebuilt = aot.compile_kernels(kernel_refs(), CAPS)
    assert len(compiler.calls) == 2, "the damaged entry was not rebuilt"
    assert marker(rebuilt) == f"module #2 for {sorted(CAPS.items())}"
    assert tcm.read_bytes().endswith(rebuilt)

    # same length, one byte changed: still caught by the checksum, and rebuilt
    entry = tcm.read_bytes()
    tcm.write_bytes(entry[:-1] + bytes([entry[-1] ^ 1]))
    with pytest.warns(CacheWarning, match="checksum"):
        assert aot.load_cached(key, kernel_refs()) is None
    with pytest.warns(CacheWarning, match="checksum"):
        assert marker(aot.compile_kernels(kernel_refs(), CAPS)).startswith("module #3")

    # an entry without its header (the module alone) cannot be trusted either
    tcm.write_bytes(good)
    with pytest.warns(CacheWarning, match="no valid header"):
        assert marker(aot.compile_kernels(kernel_refs(), CAPS)).startswith("module #4")
    assert marker(aot.compile_kernels(kernel_refs(), CAPS)).startswith("module #4")  # and then it is cached
    assert len(compiler.calls) == 4


def test_capabilities_are_part_of_the_key(fresh_cache, monkeypatch):
    compiler = FakeCompiler()
    monkeypatch.setattr(aot, "run_compiler", compiler)
    refs = kernel_refs()
    fewer = {k: v for k, v in CAPS.items() if k != "spirv_has_int8"}
    lower = dict(CAPS, spirv_has_atomic_float_add=0)
    keys = {aot.cache_key(refs, caps) for caps in (CAPS, fewer, lower)}
    assert len(keys) == 3
    assert aot.cache_key(refs, dict(reversed(list(CAPS.items())))) == aot.cache_key(refs, CAPS)  # order-free
    assert aot.cache_key(refs[:1], CAPS) != aot.cache_key(refs, CAPS)  # so are the kernels

    aot.compile_kernels(refs, CAPS)
    aot.compile_kernels(refs, fewer)
    aot.compile_kernels(refs, CAPS)
    assert compiler.calls == [CAPS, fewer]


def test_cache_directory_is_private(fresh_cache):
    fresh_cache.mkdir(mode=0o755)
    (fresh_cache / "aot").mkdir(mode=0o755)  # even a directory that already exists with wider permissions
    path = aot.cache_dir()
    assert path == fresh_cache / "aot"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


# ------------------------------------------------------------------------------------------------------------
# Capabilities


def test_module_for_capabilities_the_runtime_lacks_is_refused(context):
    """Taichi 1.7.4 itself loads such a module (its capability check is dead): the renderer must refuse it."""
    tcm = aot.compile_kernels(kernel_refs(), context.taichi_capabilities)
    assert "spirv_has_atomic_float_add" in context.taichi_capabilities  # accumulate needs it
    runtime = TaichiRuntime.import_vulkan(context)
    try:
        runtime.set_capabilities({"spirv_version": 0x10500})
        assert runtime.capabilities() == {"spirv_version": 0x10500}
        with pytest.raises(RendererError) as info:
            AotModule(runtime, tcm, "reduced module")
        text = str(info.value)
        assert "reduced module" in text and "spirv_has_atomic_float_add" in text
        assert taichi_api.last_error() == SUCCESS
        # with the capabilities declared, the same module loads
        runtime.set_capabilities(context.taichi_capabilities)
        AotModule(runtime, tcm, "full module").destroy()
    finally:
        runtime.destroy()


def test_unknown_capability_is_rejected(runtime):
    with pytest.raises(ArgumentError, match="spirv_has_teleport"):
        runtime.set_capabilities({"spirv_has_teleport": 1})
    assert taichi_api.last_error() == SUCCESS


# ------------------------------------------------------------------------------------------------------------
# No device


def test_no_device_with_that_name_lists_the_devices(context):
    with pytest.raises(NoVulkanDeviceError) as info:
        pick_physical_device(context.instance, "no-such-gpu")
    text = str(info.value)
    assert "no-such-gpu" in text and context.device_name in text


NO_DRIVER_SCRIPT = """
from renderer.device.context import VulkanContext
from renderer.errors import NoVulkanDeviceError
try:
    VulkanContext(validate={validate})
except NoVulkanDeviceError as exc:
    print("NoVulkanDeviceError:", exc)
else:
    print("a context was created")
"""


@pytest.mark.parametrize("validate", [False, True])
def test_no_driver_names_the_package_to_install(validate):
    env = dict(
        os.environ,
        VK_ICD_FILENAMES="/nonexistent.json",
        VK_DRIVER_FILES="/nonexistent.json",
        PYTHONPATH=str(ROOT),
    )
    script = NO_DRIVER_SCRIPT.format(validate=validate)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("NoVulkanDeviceError:"), proc.stdout + proc.stderr
    assert "mesa-vulkan-drivers" in proc.stdout


def test_no_vulkan_loader_is_one_clear_error(tmp_path):
    """Without libvulkan the `vulkan` package fails at import with OSError: whichever public name is used
    first, the renderer says which packages to install."""
    fake = tmp_path / "vulkan"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise OSError(\"cannot load library 'libvulkan.so.1'\")\n")
    script = (
        "from renderer.errors import NoVulkanDeviceError\n"
        "try:\n"
        "    from renderer import HeadlessRenderer\n"
        "except NoVulkanDeviceError as exc:\n"
        "    print('NoVulkanDeviceError:', exc)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "NoVulkanDeviceError: no Vulkan loader" in proc.stdout and "libvulkan1" in proc.stdout


SCRIPT = """
import sys
import taichi as ti
from renderer import HeadlessRenderer, Scene

@ti.kernel
def fill(pos: ti.types.ndarray(dtype=ti.math.vec3, ndim=1)):
    for i in pos:
        pos[i] = ti.Vector([0.0, 0.0, 0.0])

class Dot(Scene):
    name = "dot"
    kernels = (fill,)
    def setup(self, gpu):
        self.launch = gpu.kernel("fill").bind(gpu.array("p", (4,), element_shape=(3,)))
    def update(self, frame, dt, input):
        self.launch()

def main():
    print("MAIN", flush=True)
    with HeadlessRenderer(Dot(), 8, 8) as renderer:
        print("RENDERED", renderer.render(1).shape, flush=True)
"""


@pytest.mark.parametrize("guarded, ti_init", [(True, False), (False, False), (True, True)])
def test_kernels_of_the_script_that_is_run(tmp_path, guarded, ti_init):
    """The compiler imports the script under another name than __main__: its `if __name__ == "__main__":` block
    does not run again in the compiler (which rendered, compiled in a child of its own, and so on until memory
    ran out); a script that renders at its top level gets an error saying so, at once. A script that calls
    ti.init itself (the Taichi habit) compiles too: the compiler died of SIGSEGV, reset under the module."""
    script = tmp_path / "scene_script.py"
    text = (
        SCRIPT.replace("import taichi as ti\n", "import taichi as ti\nti.init(arch=ti.cpu)\n")
        if ti_init
        else SCRIPT
    )
    script.write_text(text + ('if __name__ == "__main__":\n    main()\n' if guarded else "main()\n"))
    env = dict(
        os.environ,
        RENDERER_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    env.pop("VK_INSTANCE_LAYERS", None)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=240)
    if guarded:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.count("MAIN") == 1 and "RENDERED (8, 8, 4)" in proc.stdout
    else:
        assert proc.returncode != 0 and proc.stdout.count("MAIN") == 1
        assert "started a renderer when the compiler imported it" in proc.stderr
        assert 'put that code under `if __name__ == "__main__":`' in proc.stderr
