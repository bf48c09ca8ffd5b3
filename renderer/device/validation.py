"""The Khronos validation layer: turning it on (synchronization validation too) and collecting its messages.

Synchronization validation inside one command buffer is enabled in code (`VkValidationFeaturesEXT`); the check
*between* queue submissions (Taichi's submission against ours) can only be enabled by environment or settings
file in layer 1.3.239, so `enable_environment()` sets `VK_LAYER_ENABLES` before the instance is created.
A misspelt setting is ignored silently: the canary test proves these really bite.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .. import interrupts
from ..errors import ValidationError
from . import vk

LAYER = "VK_LAYER_KHRONOS_validation"
BETWEEN_SUBMISSIONS = "VALIDATION_CHECK_ENABLE_SYNCHRONIZATION_VALIDATION_QUEUE_SUBMIT"
LAYER_ENABLES = ("VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT", BETWEEN_SUBMISSIONS)

# Messages that are not defects of this program, each with the reason. Matched against the message id name.
# Keep it short: an entry that could also hide a real missing dependency is not acceptable.
ALLOWLIST: dict[str, str] = {
    # The loader, not the layer, says this when a layer manifest points at an absent library (other drivers'
    # layers installed beside lavapipe); it names no object of ours.
    "Loader Message": "loader diagnostics about other installed drivers/layers, not about this program",
}

SEVERITY_NAMES = {
    vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_VERBOSE_BIT_EXT: "verbose",
    vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT: "info",
    vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT: "warning",
    vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT: "error",
}


@dataclass(frozen=True)
class Message:
    severity: str
    id_name: str
    text: str

    @property
    def allowed(self) -> bool:
        return self.id_name in ALLOWLIST

    def __str__(self) -> str:
        return f"[{self.severity}] {self.id_name}: {self.text}"


class ValidationLog:
    """Collects the layer's warning and error messages for one Vulkan instance."""

    def __init__(self, echo: bool = False):
        self.echo = echo
        self.messages: list[Message] = []

    def record(self, message: Message) -> None:
        self.messages.append(message)
        if self.echo:
            print(f"validation: {message}", file=sys.stderr, flush=True)

    def problems(self) -> list[Message]:
        """Warnings and errors that are not on the allowlist."""
        return [m for m in self.messages if not m.allowed]

    def raise_if_any(self, where: str) -> None:
        problems = self.problems()
        if problems:
            shown = "\n  ".join(str(m) for m in problems[:10])
            more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise ValidationError(
                f"validation layer reported {len(problems)} problem(s) {where}:\n  {shown}{more}"
            )

    def clear(self) -> None:
        self.messages.clear()


# The `vulkan` package keeps one Python function per callback type, so one dispatcher serves every live log.
_live_logs: list[ValidationLog] = []
interrupts.register_callbacks(__file__)  # _callback is called from the layer


def _callback(severity, types, data, user_data):
    try:
        id_name = vk.ffi.string(data.pMessageIdName).decode() if data.pMessageIdName else "unnamed"
        text = vk.ffi.string(data.pMessage).decode(errors="replace") if data.pMessage else ""
        message = Message(SEVERITY_NAMES.get(severity, str(severity)), id_name, text)
        for log in _live_logs:
            log.record(message)
    except Exception as exc:  # an exception here would only be printed by cffi, never seen
        print(f"validation callback failed: {exc!r}", file=sys.stderr)
    return 0


def layer_available() -> bool:
    return any(p.layerName == LAYER for p in vk.vkEnumerateInstanceLayerProperties())


def enable_environment(between_submissions: bool = True) -> None:
    """Turn on synchronization validation, between submissions too unless told not to (read by the layer at
    instance creation). Layer 1.3.239 keeps a history for the check between submissions that it never prunes
    in a long run: measured, 1,000 frames took 0.8 s at first and 4.9 s after 6,000, and the process grew
    ~1.7 MiB per 1,000 frames; without that check, flat. Long runs (the soak) leave it out."""
    wanted = set(LAYER_ENABLES) - (set() if between_submissions else {BETWEEN_SUBMISSIONS})
    present = [e for e in os.environ.get("VK_LAYER_ENABLES", "").split(":") if e]
    if not between_submissions:
        present = [e for e in present if e != BETWEEN_SUBMISSIONS]
    os.environ["VK_LAYER_ENABLES"] = ":".join(present + sorted(wanted - set(present)))


def messenger_create_info(log: ValidationLog, pnext=None):
    """A messenger description; chain it into the instance's pNext too, to cover creation and destruction."""
    if log not in _live_logs:
        _live_logs.append(log)
    return vk.VkDebugUtilsMessengerCreateInfoEXT(
        pNext=pnext,
        messageSeverity=vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
        | vk.VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        messageType=vk.VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT
        | vk.VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
        | vk.VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        pfnUserCallback=_callback,
    )


def release(log: ValidationLog) -> None:
    if log in _live_logs:
        _live_logs.remove(log)
