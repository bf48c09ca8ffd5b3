"""On a device without the validation layer (the GPU machine): after 40 frames every slot's splat buffer is
empty (all ones) again, and how far the splatted image is from the sprites' at 10k / 1M / 10M particles.
Run from the project root: python3 bench/h100/splat_check.py [FOLDER] (with FOLDER: only 10k, and a PNG of
splat | sprites | difference x4 saved there). Output on the H100: splat_check.txt."""

import sys

sys.path.insert(0, ".")
import numpy as np  # noqa: E402
import vulkan as vk  # noqa: E402

from renderer import particles as P  # noqa: E402
from renderer import point_splat  # noqa: E402
from renderer.app import HeadlessRenderer  # noqa: E402
from renderer.memory import Buffer, run_once  # noqa: E402
from scenes.particles import Particles  # noqa: E402


def read_back(context, buffer):
    host = Buffer(context, buffer.size, vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT, host=True, name="check")

    def record(cb):
        b = vk.VkMemoryBarrier(
            srcAccessMask=vk.VK_ACCESS_MEMORY_WRITE_BIT, dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT
        )
        vk.vkCmdPipelineBarrier(
            cb,
            vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
            vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            0,
            1,
            [b],
            0,
            None,
            0,
            None,
        )
        vk.vkCmdCopyBuffer(
            cb, buffer.handle, host.handle, 1, [vk.VkBufferCopy(srcOffset=0, dstOffset=0, size=buffer.size)]
        )
        a = vk.VkMemoryBarrier(
            srcAccessMask=vk.VK_ACCESS_TRANSFER_WRITE_BIT, dstAccessMask=vk.VK_ACCESS_HOST_READ_BIT
        )
        vk.vkCmdPipelineBarrier(
            cb, vk.VK_PIPELINE_STAGE_TRANSFER_BIT, vk.VK_PIPELINE_STAGE_HOST_BIT, 0, 1, [a], 0, None, 0, None
        )

    run_once(context, record)
    data = host.read(np.uint32).copy()
    host.destroy()
    return data


orig = P.ParticleDraw.__init__
for n in (10_000,) if len(sys.argv) > 1 else (10_000, 1_000_000, 10_000_000):
    images = {}
    for splat in (True, False):
        P.ParticleDraw.__init__ = lambda self, *a, _s=splat, **k: orig(self, *a, **{**k, "splat": _s})
        with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720) as r:
            images[splat] = r.render(40)
            if splat:
                left = [
                    int((read_back(r.context, s.shared[point_splat.SPLAT_BUFFER]) != 0xFFFFFFFF).sum())
                    for s in r.frames.slots
                ]
    d = np.abs(images[True][..., :3].astype(int) - images[False][..., :3].astype(int)).max(-1)
    print(
        f"N={n}: non-empty splat entries after 40 frames per slot {left}; pixels differing from sprites by >3: {(d > 3).sum()} of {d.size}"
    )

if len(sys.argv) > 1:  # save the 10k images: splat, sprites, and where they differ
    import os

    from PIL import Image

    for splat in (True, False):
        P.ParticleDraw.__init__ = lambda self, *a, _s=splat, **k: orig(self, *a, **{**k, "splat": _s})
        with HeadlessRenderer(Particles(count=10_000, radius=0.002), 1280, 720) as r:
            images[splat] = r.render(40)
    a, b = images[True][..., :3], images[False][..., :3]
    d = np.abs(a.astype(int) - b.astype(int)).max(-1)
    crop = (slice(200, 400), slice(440, 740))
    strip = np.concatenate(
        [a[crop], b[crop], np.repeat((np.minimum(d[crop] * 4, 255)).astype(np.uint8)[..., None], 3, -1)], 1
    )
    Image.fromarray(strip).resize((strip.shape[1] * 2, strip.shape[0] * 2), Image.NEAREST).save(
        os.path.join(sys.argv[1], "splat_vs_sprites_10k.png")
    )
    print(
        "sample differing pixels:",
        [
            (int(y), int(x), a[y, x].tolist(), b[y, x].tolist())
            for y, x in zip(*np.nonzero(d > 3), strict=True)
        ][:6],
    )
