"""Faults survived: swapchain results injected (out of date, suboptimal), a device lost at submit, garbage
collection on every allocation. (Leaks: test_leaks.py.)"""

import gc
from pathlib import Path

import pytest
import vulkan as vk

from renderer import testing
from renderer.app import demo
from renderer.app.headless import HeadlessRenderer
from renderer.app.interactive import InteractiveApp
from renderer.device import handles
from renderer.device import vk as checked_vk
from renderer.errors import DeviceLostError, VulkanError, VulkanStatus
from renderer.frame.target import FrameCalls
from scenes.particles import Particles

REFERENCES = Path(__file__).parent / "references"


def golden_scene_window(out_dir) -> InteractiveApp:
    """The window on the golden image's scene and size (tests/references/particles_frame30.png)."""
    params = {"count": 30_000, "radius": 0.008}
    return InteractiveApp(
        [Particles], 0, params=params, size=(480, 270), vsync=False, validate=True, out_dir=out_dir
    )


def test_out_of_date_and_suboptimal_results_are_survived(display, tmp_path, monkeypatch):
    with golden_scene_window(tmp_path) as app:
        swapchain = app.frames.swapchain
        real_acquire, real_present = swapchain._acquire, swapchain._present
        calls = {"acquire": 0, "present": 0}

        def acquire(*args):
            calls["acquire"] += 1
            if calls["acquire"] % 7 == 0:
                raise vk.VkErrorOutOfDateKhr()  # before acquiring: nothing was acquired
            result = real_acquire(*args)
            if calls["acquire"] % 5 == 0:
                raise vk.VkSuboptimalKhr()  # acquired, but the swapchain should be rebuilt
            return result

        def present(*args):
            calls["present"] += 1
            real_present(*args)
            if calls["present"] % 6 == 0:
                raise vk.VkErrorOutOfDateKhr()

        # the injected results are the driver's, checked like the real calls' (device/vk.py)
        monkeypatch.setattr(swapchain, "_acquire", checked_vk.checked(acquire, "vkAcquireNextImageKHR"))
        monkeypatch.setattr(swapchain, "_present", checked_vk.checked(present, "vkQueuePresentKHR"))
        generation = swapchain.generation
        app.run(max_frames=30)
        app.handle([__import__("glfw").KEY_S])  # the 31st frame (frame 30) is captured
        app.run(max_frames=31)
        assert swapchain.generation - generation >= 8  # rebuilt for each injected result
        assert app.sim_frame == 31
        if testing.compare_on_this_device(app.context):
            testing.assert_matches_reference(app.last_capture, REFERENCES / "particles_frame30.png")
    app.context.validation_log.raise_if_any("with injected swapchain results")


class LosingLib:
    """The frame loop's compiled functions (FrameCalls.lib), the `count`th call of `name` finding the device
    lost (once)."""

    def __init__(self, name: str, count: int):
        self.name, self.count, self.calls = name, count, 0

    def __getattr__(self, name):
        real = getattr(vk.lib, name)
        if name != self.name:
            return real

        def call(*args):
            self.calls += 1
            return vk.VK_ERROR_DEVICE_LOST if self.calls == self.count else real(*args)

        return call


def test_device_lost_at_submit_is_one_clear_error(tmp_path, monkeypatch, capsys):
    # the 20th submission finds the device lost
    monkeypatch.setattr(FrameCalls, "lib", LosingLib("vkQueueSubmit", 20))
    code = demo.main(
        ["--headless", "--frames", "50", "--size", "64x36", "--param", "count=1000", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "vkQueueSubmit failed with VK_ERROR_DEVICE_LOST" in err and "Traceback" not in err


def test_device_lost_at_the_headless_fence_wait_is_one_clear_error(tmp_path, monkeypatch, capsys):
    lib = LosingLib("vkWaitForFences", 10)
    with HeadlessRenderer(Particles(count=1000), 64, 36, validate=True, calls=FrameCalls(lib)) as renderer:
        with pytest.raises(DeviceLostError, match="vkWaitForFences failed with VK_ERROR_DEVICE_LOST"):
            renderer.render(30)
    assert lib.calls >= 10
    monkeypatch.setattr(FrameCalls, "lib", LosingLib("vkWaitForFences", 10))  # the command line
    code = demo.main(
        ["--headless", "--frames", "50", "--size", "64x36", "--param", "count=1000", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "vkWaitForFences failed with VK_ERROR_DEVICE_LOST" in err and "Traceback" not in err
    assert "error in scene" not in err


def test_device_lost_at_the_window_fence_wait_is_one_clear_error(display, tmp_path, monkeypatch, capsys):
    lib = LosingLib("vkWaitForFences", 10)
    with InteractiveApp([Particles], 0, size=(64, 48), out_dir=tmp_path, calls=FrameCalls(lib)) as app:
        with pytest.raises(DeviceLostError, match="vkWaitForFences failed with VK_ERROR_DEVICE_LOST"):
            app.run(max_frames=30)
    capsys.readouterr()
    monkeypatch.setattr(FrameCalls, "lib", LosingLib("vkWaitForFences", 10))  # the command line
    code = demo.main(["--frames", "30", "--size", "64x48", "--param", "count=1000", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "vkWaitForFences failed with VK_ERROR_DEVICE_LOST" in err and "Traceback" not in err
    assert "error in scene" not in err


def test_device_lost_error_type():
    with pytest.raises(VulkanError) as exc:
        from renderer.device.vk import checked

        def lost():
            raise vk.VkErrorDeviceLost()

        checked(lost)()
    assert exc.value.result == "VK_ERROR_DEVICE_LOST"


def test_garbage_collection_stress_renders_the_same_image():
    """Every cffi struct handed to Vulkan must outlive its use: collect after every allocation."""
    old = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        with HeadlessRenderer(Particles(count=30_000, radius=0.008), 480, 270, validate=True) as renderer:
            pixels = renderer.render(31)
    finally:
        gc.set_threshold(*old)
    renderer.context.check_validation("under GC stress")
    if testing.compare_on_this_device(renderer.context):
        testing.assert_matches_reference(pixels, REFERENCES / "particles_frame30.png")


@pytest.mark.parametrize(
    "step, call", [("_present", "vkQueuePresentKHR"), ("_acquire", "vkAcquireNextImageKHR")]
)
def test_device_lost_at_present_or_acquire_is_one_clear_error(
    display, tmp_path, monkeypatch, capsys, step, call
):
    from renderer.frame.swapchain import Swapchain

    real_init = Swapchain.__init__
    state = {"calls": 0}

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        real = getattr(self, step)

        def failing(*a):
            state["calls"] += 1
            if state["calls"] == 10:
                raise vk.VkErrorDeviceLost()
            return real(*a)

        setattr(self, step, checked_vk.checked(failing, call))  # checked like the real call

    monkeypatch.setattr(Swapchain, "__init__", init)
    code = demo.main(["--frames", "30", "--size", "64x48", "--param", "count=1000", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{call} failed with VK_ERROR_DEVICE_LOST" in err and "Traceback" not in err


def test_300_step_resize_storm_without_double_acquire(display, tmp_path):
    import random

    before = handles.live_counts()
    with golden_scene_window(tmp_path) as app:
        swapchain = app.frames.swapchain
        real_acquire, real_present = swapchain._acquire, swapchain._present
        held = {"now": 0, "most": 0}

        def took_one():
            held["now"] += 1
            held["most"] = max(held["most"], held["now"])

        def acquire(*args):
            try:
                result = real_acquire(*args)  # out of date: raises before acquiring anything
            except VulkanStatus as exc:
                if exc.result == "VK_SUBOPTIMAL_KHR":
                    took_one()  # suboptimal: the image is acquired all the same
                raise
            took_one()
            return result

        def present(*args):
            held["now"] -= 1
            return real_present(*args)

        swapchain._acquire, swapchain._present = acquire, present
        rng = random.Random(300)
        for step in range(300):
            width, height = (1, 1) if step % 50 == 0 else (rng.randint(1, 800), rng.randint(1, 600))
            app.window.set_size(width, height)
            app.run(max_frames=app.rendered + 1)
        app.window.set_size(480, 270)
        app.run(max_frames=app.rendered + 2)
        frame = app.sim_frame
        app.handle([__import__("glfw").KEY_S])
        app.run(max_frames=app.rendered + 1)
        assert held["most"] == 1 and held["now"] == 0  # never two images held, none left unpresented
    app.context.validation_log.raise_if_any("in the resize storm")
    assert (
        handles.live_counts() == before
    )  # 300 swapchains, their views, framebuffers and semaphores: all gone
    with HeadlessRenderer(Particles(count=30_000, radius=0.008), 480, 270, validate=True) as renderer:
        expected = renderer.render(frame + 1)
    result = testing.compare(app.last_capture[..., :3], expected[..., :3])
    assert result.bad_fraction <= 0.0005, str(result)


def test_a_module_whose_task_is_not_spirv_is_refused(context, runtime):
    import io
    import zipfile

    from renderer.compute import aot
    from renderer.compute.kernels import AotModule
    from renderer.errors import RendererError
    from tests import kernels_src

    tcm = aot.compile_kernels([aot.KernelRef.of(kernels_src.fill)], context.taichi_capabilities)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(tcm)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, bytes(len(data)) if item.filename.endswith(".spv") else data)
    with pytest.raises(RendererError, match=r"task .*\.spv is not SPIR-V"):
        AotModule(runtime, broken.getvalue(), "broken module")


def test_a_module_whose_task_is_invalid_spirv_is_refused(context, runtime):
    """Valid header, damaged body: spirv-val rejects it before Taichi hands it to the driver."""
    import io
    import zipfile

    from renderer.compute import aot
    from renderer.compute.kernels import AotModule
    from renderer.errors import RendererError
    from tests import kernels_src

    tcm = aot.compile_kernels([aot.KernelRef.of(kernels_src.fill)], context.taichi_capabilities)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(tcm)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = bytearray(src.read(item))
            if item.filename.endswith(".spv"):
                data[200:240] = bytes(40)  # past the header: the instruction stream
            dst.writestr(item, bytes(data))
    with pytest.raises(RendererError, match=r"broken module: task .*\.spv is not valid SPIR-V .*spirv-val"):
        AotModule(runtime, broken.getvalue(), "broken module")
    assert runtime.capabilities()  # the runtime survives and still answers
