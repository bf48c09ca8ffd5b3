"""Vulkan calls go through renderer/device/vk.py: a failing call raises one typed error naming the function and
the result (DeviceLostError for a lost device, VulkanStatus for a result that is no error), and no other module
imports the `vulkan` package itself."""

import re
from pathlib import Path

import pytest

from renderer.device import vk
from renderer.errors import DeviceLostError, VulkanError, VulkanStatus

RENDERER = Path(__file__).resolve().parents[1] / "renderer"
# The folders of renderer/ whose modules must call Vulkan only through renderer/device/vk.py: all of them.
CHECKED_FOLDERS = ("device", "compute", "draw", "frame", "scene", "app", "testing")
IMPORTS_VULKAN = re.compile(r"^\s*(import\s+vulkan\b|from\s+vulkan\b)", re.MULTILINE)


def test_a_failing_call_names_the_function_and_the_result(context):
    info = vk.VkBufferCreateInfo(
        size=1 << 62, usage=vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, sharingMode=vk.VK_SHARING_MODE_EXCLUSIVE
    )
    with pytest.raises(VulkanError) as exc:
        buffer = vk.vkCreateBuffer(context.device, info, None)
        vk.vkDestroyBuffer(context.device, buffer, None)
    assert type(exc.value) is VulkanError
    assert (exc.value.call, exc.value.result) == ("vkCreateBuffer", "VK_ERROR_OUT_OF_DEVICE_MEMORY")
    assert "vkCreateBuffer failed with VK_ERROR_OUT_OF_DEVICE_MEMORY" in str(exc.value)


def test_an_injected_error_result_names_the_function_and_the_result():
    with pytest.raises(VulkanError) as exc:
        vk.check(vk.VK_ERROR_OUT_OF_HOST_MEMORY, "vkQueueSubmit")
    assert type(exc.value) is VulkanError
    assert (exc.value.call, exc.value.result) == ("vkQueueSubmit", "VK_ERROR_OUT_OF_HOST_MEMORY")
    assert str(exc.value).startswith("vkQueueSubmit failed with VK_ERROR_OUT_OF_HOST_MEMORY")


def test_a_lost_device_is_a_device_lost_error():
    with pytest.raises(DeviceLostError) as exc:
        vk.check(-4, "vkQueueSubmit")
    assert (exc.value.call, exc.value.result) == ("vkQueueSubmit", "VK_ERROR_DEVICE_LOST")
    assert "vkQueueSubmit failed with VK_ERROR_DEVICE_LOST" in str(exc.value)


def test_a_timeout_is_a_status_not_an_error():
    with pytest.raises(VulkanStatus) as exc:
        vk.check(vk.VK_TIMEOUT, "vkWaitForFences")
    assert exc.value.result == "VK_TIMEOUT"
    vk.check(vk.VK_SUCCESS, "vkWaitForFences")  # success raises nothing


def test_a_wrapped_call_that_times_out_raises_a_status(context):
    fence = vk.vkCreateFence(context.device, vk.VkFenceCreateInfo(), None)
    try:
        with pytest.raises(VulkanStatus) as exc:
            vk.vkWaitForFences(context.device, 1, [fence], vk.VK_TRUE, 0)  # never signalled
    finally:
        vk.vkDestroyFence(context.device, fence, None)
    assert (exc.value.call, exc.value.result) == ("vkWaitForFences", "VK_TIMEOUT")
    assert not isinstance(exc.value, DeviceLostError)


def test_only_device_vk_imports_the_vulkan_package():
    modules = [path for folder in CHECKED_FOLDERS for path in sorted((RENDERER / folder).rglob("*.py"))]
    modules += sorted(RENDERER.glob("*.py"))
    assert modules
    importing = [
        str(path.relative_to(RENDERER.parent))
        for path in modules
        if path != RENDERER / "device" / "vk.py" and IMPORTS_VULKAN.search(path.read_text())
    ]
    assert importing == [], f"import renderer.device.vk instead of the vulkan package in {importing}"


def test_a_result_the_package_does_not_know_is_a_vulkan_error():
    """The `vulkan` package looks a result up in its table of exceptions; one it lacks (here
    VK_ERROR_NOT_PERMITTED_KHR) raises KeyError inside it, which becomes a VulkanError naming the call. A
    KeyError of the caller's own stays a KeyError."""
    namespace = {"__name__": "vulkan._vulkan", "exception_codes": {}}
    exec("def vkFake():\n    raise exception_codes[-1000174001]\n", namespace)
    with pytest.raises(VulkanError, match=r"vkFake failed with an unknown VkResult \(-1000174001\)"):
        vk.checked(namespace["vkFake"], "vkFake")()

    def mine():
        return {}["missing"]

    with pytest.raises(KeyError):
        vk.checked(mine)()
