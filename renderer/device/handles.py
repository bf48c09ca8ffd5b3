"""Live objects per type: every Vulkan object the renderer creates and every Taichi handle it holds is counted
here when made and uncounted when released, so a test or the soak can check that making and releasing anything
returns the counts to where they were (a leak shows as a type whose count only grows)."""

from __future__ import annotations

import warnings
from collections import Counter

from ..errors import VulkanError
from . import vk

_live: Counter = Counter()


def vk_create(kind: str, fn, *args, hint: str = ""):
    """`fn(*args)` (a checked `vk` function), counted as one more live `kind` once it succeeded."""
    handle = hinted(hint, fn, *args)
    _live[kind] += 1
    return handle


def hinted(hint: str, fn, *args):
    """`fn(*args)` (a checked `vk` function); the VulkanError it may raise says `hint` (what the call was for)
    before the result's own hint."""
    if not hint:
        return fn(*args)
    try:
        return fn(*args)
    except VulkanError as exc:
        raise type(exc)(exc.call, exc.result, "; ".join(h for h in (hint, exc.hint) if h)) from exc


def create_command_pool(context):
    """A counted command pool on the context's queue family."""
    info = vk.VkCommandPoolCreateInfo(queueFamilyIndex=context.queue_family)
    return vk_create("CommandPool", vk.vkCreateCommandPool, context.device, info, None)


def create_fence(device, signalled: bool = False):
    """A counted fence; signalled ones let the first wait on a frame slot return at once."""
    flags = vk.VK_FENCE_CREATE_SIGNALED_BIT if signalled else 0
    return vk_create("Fence", vk.vkCreateFence, device, vk.VkFenceCreateInfo(flags=flags), None)


def create_sampler(device, filter: int = vk.VK_FILTER_NEAREST):
    """A counted sampler of one mip level, clamped to the edge."""
    clamp = vk.VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE
    info = vk.VkSamplerCreateInfo(
        magFilter=filter, minFilter=filter, addressModeU=clamp, addressModeV=clamp, addressModeW=clamp
    )
    return vk_create("Sampler", vk.vkCreateSampler, device, info, None)


def vk_destroy(kind: str, fn, *args) -> None:
    """`fn(*args)` (a vkDestroy*/vkFree*), counted as one live `kind` fewer."""
    fn(*args)
    closed(kind)


def opened(kind: str) -> None:
    """Count a handle made some other way (the instance, Taichi's handles)."""
    _live[kind] += 1


def closed(kind: str) -> None:
    if _live[kind] <= 0:  # a counting bug, not a reason to stop releasing the rest
        warnings.warn(f"released a {kind} that was never counted as live", RuntimeWarning, stacklevel=3)
        return
    _live[kind] -= 1


def live_counts() -> dict[str, int]:
    """{type: live count} of every type with live objects."""
    return {kind: n for kind, n in sorted(_live.items()) if n}
