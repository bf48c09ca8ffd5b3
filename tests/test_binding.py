"""The Taichi C API binding (renderer/compute/taichi_api.py): struct layouts against a C compiler, and errors.

A wrong struct layout in the binding silently passes garbage to the library, so every struct the project
passes or reads is compared with what gcc computes from the wheel's real headers (sizeof, alignof, every
field's offset and size, nested structs/unions/enums included). Other tests prove the comparison catches a
wrong layout.
"""

from __future__ import annotations

import shutil
import subprocess

import cffi
import pytest

from renderer.compute import taichi_api
from renderer.compute.taichi_api import TaichiError, ffi, lib
from renderer.errors import ArgumentError

# ------------------------------------------------------------------------------------------------------------
# Layouts: what cffi computed vs what the C compiler computes from the same headers


def layout_types(ffi_, names) -> list[str]:
    """`names` and every struct, union or enum type their fields use (recursively), in a stable order."""
    seen: list[str] = []

    def visit(ctype) -> None:
        while ctype.kind == "array":
            ctype = ctype.item
        if ctype.kind not in ("struct", "union", "enum") or ctype.cname in seen:
            return
        seen.append(ctype.cname)
        if ctype.kind != "enum":
            for _, field in ctype.fields:
                visit(field.type)

    for name in names:
        visit(ffi_.typeof(name))
    return seen


def python_layout(ffi_, names) -> dict:
    """{type: {"sizeof", "alignof", "fields": {field: (offset, size)}}} as a cffi FFI lays them out."""
    layout = {}
    for name in names:
        try:
            ctype = ffi_.typeof(name)
        except (cffi.CDefError, cffi.FFIError):
            continue  # reported as "not declared" by compare_layouts
        entry = {"sizeof": ffi_.sizeof(ctype), "alignof": ffi_.alignof(ctype), "fields": {}}
        if ctype.kind in ("struct", "union"):
            for field_name, field in ctype.fields:
                entry["fields"][field_name] = (field.offset, ffi_.sizeof(field.type))
        layout[name] = entry
    return layout


def c_program(ffi_, names) -> str:
    """A C program printing the layout of `names` (field names from `ffi_`) as the real headers define it."""
    lines = [
        "#include <vulkan/vulkan.h>",
        "#define TI_WITH_VULKAN 1",
        "#include <taichi/taichi.h>",
        "#include <stddef.h>",
        "#include <stdio.h>",
        "int main(void) {",
    ]
    for name in names:
        lines.append(f'  printf("type %s %zu %zu\\n", "{name}", sizeof({name}), _Alignof({name}));')
        ctype = ffi_.typeof(name)
        if ctype.kind in ("struct", "union"):
            for field_name, _ in ctype.fields:
                lines.append(
                    f'  printf("field %s %s %zu %zu\\n", "{name}", "{field_name}", '
                    f"offsetof({name}, {field_name}), sizeof((({name} *)0)->{field_name}));"
                )
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


def parse_c_output(text: str) -> dict:
    layout: dict = {}
    for line in text.splitlines():
        kind, name, *rest = line.split()
        if kind == "type":
            layout[name] = {"sizeof": int(rest[0]), "alignof": int(rest[1]), "fields": {}}
        else:
            field, offset, size = rest
            layout[name]["fields"][field] = (int(offset), int(size))
    return layout


def compare_layouts(expected: dict, actual: dict) -> list[str]:
    """Every difference between the C compiler's layout (`expected`) and a binding's (`actual`)."""
    problems = []
    for name, want in expected.items():
        have = actual.get(name)
        if have is None:
            problems.append(f"{name}: not declared in the binding")
            continue
        for key in ("sizeof", "alignof"):
            if have[key] != want[key]:
                problems.append(f"{name}: {key} is {have[key]} in the binding, {want[key]} in C")
        for field, (offset, size) in want["fields"].items():
            if field not in have["fields"]:
                problems.append(f"{name}.{field}: missing in the binding (C: offset {offset}, size {size})")
            elif have["fields"][field] != (offset, size):
                got = have["fields"][field]
                problems.append(
                    f"{name}.{field}: (offset, size) is {got} in the binding, {(offset, size)} in C"
                )
        for field in sorted(set(have["fields"]) - set(want["fields"])):
            problems.append(f"{name}.{field}: in the binding but not in the C header")
    return problems


def compile_and_run(source: str, tmp_path) -> str:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (the set-up installs gcc, libc6-dev and libvulkan-dev)")
    include = taichi_api.c_api_dir() / "include"
    (tmp_path / "layout.c").write_text(source)
    build = subprocess.run(
        [gcc, "-std=c11", "-I", str(include), "-o", str(tmp_path / "layout"), str(tmp_path / "layout.c")],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        if "vulkan/vulkan.h" in build.stderr and "No such file" in build.stderr:
            pytest.skip("vulkan/vulkan.h is not installed (Debian package libvulkan-dev)")
        pytest.fail(f"gcc could not compile the layout program:\n{build.stderr}\n--- program ---\n{source}")
    run = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True, check=True)
    return run.stdout


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    """The layout gcc computes from the wheel's headers for every used struct and the types inside them."""
    names = layout_types(ffi, taichi_api.USED_STRUCTS)
    output = compile_and_run(c_program(ffi, names), tmp_path_factory.mktemp("layout"))
    return parse_c_output(output)


def test_layouts_cover_every_used_struct_and_what_it_contains(c_layout):
    assert set(taichi_api.USED_STRUCTS) <= set(c_layout)
    # the nested types are checked too, not only the top-level structs
    assert {"TiArgumentValue", "TiTensorValueWithLength", "TiScalarValue", "VkExtent3D"} <= set(c_layout)
    # every field of every struct was measured by the compiler
    for name in taichi_api.USED_STRUCTS:
        assert len(c_layout[name]["fields"]) == len(ffi.typeof(name).fields), name


def test_binding_layouts_match_the_c_compiler(c_layout):
    problems = compare_layouts(c_layout, python_layout(ffi, list(c_layout)))
    assert problems == [], "the binding's layouts differ from the headers':\n" + "\n".join(problems)


def test_argument_is_160_bytes(c_layout):
    assert ffi.sizeof("TiArgument") == 160
    assert c_layout["TiArgument"]["sizeof"] == 160


WRONG_LAYOUTS = {
    # the seed's TiVulkanMemoryInteropInfo, before 1.7.4 added memory and offset
    "TiVulkanMemoryInteropInfo": """
        typedef struct TiVulkanMemoryInteropInfo {
          VkBuffer buffer; uint64_t size; VkBufferUsageFlags usage;
        } TiVulkanMemoryInteropInfo;""",
    # the seed's TiVulkanRuntimeInteropInfo, before 1.7.4 put get_instance_proc_addr first
    "TiVulkanRuntimeInteropInfo": """
        typedef struct TiVulkanRuntimeInteropInfo {
          uint32_t api_version; VkInstance instance; VkPhysicalDevice physical_device; VkDevice device;
          VkQueue compute_queue; uint32_t compute_queue_family_index;
          VkQueue graphics_queue; uint32_t graphics_queue_family_index;
        } TiVulkanRuntimeInteropInfo;""",
}


@pytest.mark.parametrize("name", sorted(WRONG_LAYOUTS))
def test_a_wrong_layout_is_caught(c_layout, name):
    wrong = cffi.FFI()
    wrong.cdef(taichi_api.VULKAN_PRELUDE + WRONG_LAYOUTS[name])
    problems = compare_layouts({name: c_layout[name]}, python_layout(wrong, [name]))
    assert problems, f"a hand-written wrong {name} was not reported"
    text = "\n".join(problems)
    if name == "TiVulkanMemoryInteropInfo":
        assert f"{name}: sizeof is 24 in the binding, 40 in C" in text
        assert f"{name}.memory: missing in the binding" in text
        assert f"{name}.offset: missing in the binding" in text
    else:
        assert f"{name}: sizeof is 64 in the binding, 72 in C" in text
        assert f"{name}.api_version: (offset, size) is (0, 4) in the binding, (8, 4) in C" in text
        assert f"{name}.get_instance_proc_addr: missing in the binding" in text


def test_an_undeclared_struct_is_caught(c_layout):
    empty = python_layout(cffi.FFI(), ["TiArgument"])
    problems = compare_layouts({"TiArgument": c_layout["TiArgument"]}, empty)
    assert problems == ["TiArgument: not declared in the binding"]


# ------------------------------------------------------------------------------------------------------------
# Errors


def raw_last_error() -> int:
    """Taichi's last error code, read without clearing it (unlike taichi_api.last_error)."""
    size = ffi.new("uint64_t *", 0)
    return lib.ti_get_last_error(size, ffi.NULL)


def test_failing_call_raises_taichi_error_naming_call_code_and_message(test_module):
    with pytest.raises(TaichiError) as info:
        taichi_api.call("ti_get_aot_module_kernel", test_module.handle, b"no_such_kernel")
    err = info.value
    assert err.call == "ti_get_aot_module_kernel"
    assert err.code == lib.TI_ERROR_NAME_NOT_FOUND
    assert err.code_name == "TI_ERROR_NAME_NOT_FOUND"
    assert "no_such_kernel" in err.message  # Taichi's own message names what it did not find
    text = str(err)
    for needle in ("ti_get_aot_module_kernel", "TI_ERROR_NAME_NOT_FOUND", "no_such_kernel"):
        assert needle in text
    # the error was cleared: the next check sees success
    assert raw_last_error() == lib.TI_ERROR_SUCCESS
    assert taichi_api.last_error() == (lib.TI_ERROR_SUCCESS, "")
    taichi_api.check("after the failure")  # does not raise


def test_null_argument_is_reported_with_context(runtime):
    with pytest.raises(TaichiError) as info:
        taichi_api.call("ti_get_aot_module_kernel", ffi.NULL, b"fill", context="looking up fill")
    assert info.value.code_name == "TI_ERROR_ARGUMENT_NULL"
    assert "ti_get_aot_module_kernel (looking up fill) failed with TI_ERROR_ARGUMENT_NULL" in str(info.value)
    assert raw_last_error() == lib.TI_ERROR_SUCCESS


def test_corrupted_module_bytes_are_reported(runtime):
    data = ffi.from_buffer(b"this is not a tcm archive")
    with pytest.raises(TaichiError) as info:
        taichi_api.call("ti_create_aot_module", runtime.handle, data, len(data))
    assert info.value.call == "ti_create_aot_module"
    assert info.value.code_name == "TI_ERROR_CORRUPTED_DATA"
    assert "What to do" in str(info.value)
    assert raw_last_error() == lib.TI_ERROR_SUCCESS


def test_stale_error_is_what_check_reports_then_cleared():
    """Taichi keeps an error until cleared (success does not clear it): check() reports it, then clears."""
    lib.ti_set_last_error(lib.TI_ERROR_INVALID_STATE, b"left over from an earlier call")
    assert lib.ti_get_version() == 1007000  # a successful call...
    assert raw_last_error() == lib.TI_ERROR_INVALID_STATE  # ...leaves the old error in place
    with pytest.raises(TaichiError) as info:
        taichi_api.check("ti_something")
    assert info.value.code_name == "TI_ERROR_INVALID_STATE"
    assert "left over from an earlier call" in str(info.value)
    assert raw_last_error() == lib.TI_ERROR_SUCCESS
    taichi_api.check("ti_something")  # nothing left to report


def test_missing_kernel_is_an_argument_error_listing_the_kernels(test_module):
    with pytest.raises(ArgumentError) as info:
        test_module.kernel("nope")
    text = str(info.value)
    assert "'nope'" in text and "accumulate" in text and "fill" in text
    assert taichi_api.last_error() == (lib.TI_ERROR_SUCCESS, "")
    assert test_module.kernel("fill").name == "fill"  # the module still works
