"""Proof that the validation settings bite: a deliberate hazard and a deliberate invalid usage are reported.

A misspelt layer setting is ignored silently, so without these canaries a clean test run would prove nothing.
"""

from __future__ import annotations

import pytest
import vulkan as vk

from renderer.app.headless import HeadlessRenderer
from renderer.compute import events
from renderer.draw import particles
from renderer.errors import ValidationError
from scenes.particles import Particles

pytestmark = pytest.mark.timeout(120)

RAW_HAZARD = "SYNC-HAZARD-READ-AFTER-WRITE"
SIZE, FRAMES, COUNT = 64, 3, 2000
BACKGROUND = Particles.background


def render(renderer: HeadlessRenderer):
    """Render FRAMES frames; return (last pixels or None, the ValidationError or None, the log's problems)."""
    pixels = error = None
    try:
        pixels = renderer.render(FRAMES)
    except ValidationError as exc:
        error = exc
    return pixels, error, list(renderer.context.validation_log.problems())


def test_draw_without_event_wait_is_reported_as_read_after_write(monkeypatch):
    # The draw no longer waits for the kernel that writes its vertex buffer. Patch before the renderer exists:
    # the frames' command buffers are recorded once, at set-up.
    monkeypatch.setattr(events.Event, "record_wait", lambda self, cb, *args, **kwargs: None)
    # sprites only: the point splat's compute pass, ordered after the kernel by Taichi's own barrier, would
    # order the draw too
    monkeypatch.setattr(particles, "supported", lambda *args: False)
    renderer = HeadlessRenderer(Particles(count=COUNT), SIZE, SIZE, validate=True)
    try:
        _, error, problems = render(renderer)
    finally:
        renderer.close()
    hazards = [m for m in problems if m.id_name == RAW_HAZARD]
    assert hazards, f"no {RAW_HAZARD} reported; the layer said: {[m.id_name for m in problems]}"
    # the draw's vertex fetch against the kernel's write, not some other hazard
    assert any("VERTEX_ATTRIBUTE_READ" in m.text and "vkCmdDraw" in m.text for m in hazards), hazards[0].text
    assert error is not None and RAW_HAZARD in str(error)


def test_same_scene_with_the_event_wait_reports_nothing():
    renderer = HeadlessRenderer(Particles(count=COUNT), SIZE, SIZE, validate=True)
    try:
        pixels, error, problems = render(renderer)
    finally:
        renderer.close()
    assert problems == [] and error is None, f"validation reported: {error}"
    # and it really drew particles over the background, so there was a draw to check
    background = [round(c * 255) for c in BACKGROUND]
    drawn = (abs(pixels[..., :3].astype(int) - background).max(axis=-1) > 8).sum()
    assert drawn > 20, f"only {drawn} pixels differ from the background"


def test_invalid_usage_is_caught_with_a_vuid(context):
    info = vk.VkBufferCreateInfo(
        size=0, usage=vk.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, sharingMode=vk.VK_SHARING_MODE_EXCLUSIVE
    )
    buffer = None
    try:
        buffer = vk.vkCreateBuffer(context.device, info, None)
    except Exception:  # the layer may fail the call (VK_ERROR_VALIDATION_FAILED_EXT) or let the driver go on
        pass
    finally:
        if buffer is not None:
            vk.vkDestroyBuffer(context.device, buffer, None)
    messages = list(context.validation_log.problems())
    context.validation_log.clear()  # expected messages: the fixture's teardown must not fail on them
    errors = [m for m in messages if m.severity == "error" and m.id_name.startswith("VUID-")]
    assert errors, f"vkCreateBuffer(size=0) was not reported; messages: {[str(m) for m in messages]}"
    assert any("VkBufferCreateInfo-size" in m.id_name for m in errors), [m.id_name for m in errors]
