"""Out of memory: a frame or an array larger than the device or this process can give fails at set-up with one
OutOfMemoryError that says how many bytes were asked, the limit met and what to lower; nothing is left made."""

import re
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from renderer import HeadlessRenderer
from renderer.compute.shared import TAICHI_MAX_BYTES
from renderer.device import handles, memory, vk
from renderer.errors import OutOfMemoryError, VulkanError
from renderer.scene import Scene
from tests.scenes_for_tests import FrameMarker

ROOT = Path(__file__).resolve().parent.parent


class BigArray(Scene):
    name = "big-array"
    elements = 1

    def setup(self, gpu):
        gpu.array("positions", (self.elements,), element_shape=(3,))


def _live() -> int:
    return sum(handles.live_counts().values())


def test_array_beyond_the_storage_buffer_range():
    before = _live()
    with HeadlessRenderer(FrameMarker(), 16, 16) as probe:
        limit = probe.context.max_storage_buffer_range
    scene = BigArray()
    scene.elements = limit // 12 + 1
    with pytest.raises(OutOfMemoryError) as caught:
        HeadlessRenderer(scene, 16, 16, validate=True)
    message = str(caught.value)
    assert f"big-array.positions needs {12 * scene.elements:,} bytes" in message
    if limit < TAICHI_MAX_BYTES:  # lavapipe; a GPU's range (NVIDIA: 4 GiB) is wider than a Taichi ndarray
        assert f"maxStorageBufferRange {limit:,} bytes" in message
    else:
        assert "a Taichi kernel can address in one ndarray (2^31 bytes" in message
    assert f"give array 'positions' fewer elements than ({scene.elements},)" in message
    assert _live() == before


def test_frame_larger_than_the_largest_image():
    before = _live()
    with pytest.raises(OutOfMemoryError) as caught:
        HeadlessRenderer(FrameMarker(), 40000, 16)
    assert re.fullmatch(
        r"a 40000x16 frame is larger than this device's largest image \(\d+ on a side\): lower the frame size",
        str(caught.value),
    )
    assert _live() == before


def test_driver_out_of_memory_names_the_allocation(monkeypatch):
    real = vk.vkAllocateMemory

    def allocate(device, info, allocator):
        if info.allocationSize >= 64 * 64 * 4:  # the frame's images, not the scene's small buffers
            raise VulkanError("vkAllocateMemory", "VK_ERROR_OUT_OF_DEVICE_MEMORY")
        return real(device, info, allocator)

    before = _live()
    monkeypatch.setattr(vk, "vkAllocateMemory", allocate)
    with pytest.raises(
        OutOfMemoryError,
        match=r"colour 0 of 64x64 needs [\d,]+ bytes .*more than the device could "
        r"allocate \(VK_ERROR_OUT_OF_DEVICE_MEMORY\): lower the frame size 64x64",
    ):
        HeadlessRenderer(FrameMarker(), 64, 64, validate=True)
    assert _live() == before


def test_allocation_beyond_the_memory_heap(monkeypatch):
    """A heap smaller than the allocation is refused before the driver is asked."""
    with HeadlessRenderer(FrameMarker(), 16, 16) as renderer:
        context = renderer.context
        props = context.memory_properties
        heap = props.memoryHeaps[props.memoryTypes[0].heapIndex].size  # type 0's heap: not heap 0 everywhere
        with pytest.raises(
            OutOfMemoryError, match=r"x needs .* more than the device's memory heap .*: make x smaller"
        ):
            memory.check_fits(context, heap + 1, 0, "x", "make x smaller")


def test_process_memory_limit_in_the_demo(tmp_path):
    """Under an address-space limit (ulimit -v) a CPU driver's frames would fail inside the driver: refused."""
    limit = 3 * 2**30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "renderer",
            "--headless",
            "--frames",
            "2",
            "--size",
            "16384x16384",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "needs 1,073,741,824 bytes (1.0 GiB), more than this process can" in proc.stderr
    assert "lower the frame size 16384x16384" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_byte_text():
    assert memory.byte_text(12) == "12 bytes"
    assert memory.byte_text(3 * 2**30) == "3,221,225,472 bytes (3.0 GiB)"
    assert np.isclose(float(memory.byte_text(1536).split("(")[1].split()[0]), 1.5)


def test_png_encoding_out_of_memory_fails_the_write(tmp_path, monkeypatch):
    from PIL import Image

    from renderer import files
    from renderer.errors import OutputError

    def no_memory(array):
        raise MemoryError

    monkeypatch.setattr(Image, "fromarray", no_memory)
    path = tmp_path / "frame.png"
    with pytest.raises(
        OutputError,
        match=r"encoding a 64x32 image needs more memory than this process can get; "
        r"lower the frame size",
    ):
        files.save_png(path, np.zeros((32, 64, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []
