"""On a device without the validation layer (the GPU machine): after 40 frames every slot's splat buffer is
empty (all ones) again, and how far the splatted image is from the sprites' at 10k / 1M / 10M particles.
Run from the project root: python3 bench/h100/splat_check.py [FOLDER] (with FOLDER: only 10k, and a PNG of
splat | sprites | difference x4 saved there). Output on the H100: splat_check.txt."""

import sys

sys.path.insert(0, ".")
import numpy as np  # noqa: E402

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.device.memory import read_device_buffer  # noqa: E402
from renderer.draw import particles as P  # noqa: E402
from renderer.draw import point_splat  # noqa: E402
from scenes.particles import Particles  # noqa: E402

orig = P.ParticleDraw.__init__
for n in (10_000,) if len(sys.argv) > 1 else (10_000, 1_000_000, 10_000_000):
    images = {}
    for splat in (True, False):
        P.ParticleDraw.__init__ = lambda self, *a, _s=splat, **k: orig(self, *a, **{**k, "splat": _s})
        with HeadlessRenderer(Particles(count=n, radius=0.002), 1280, 720) as r:
            images[splat] = r.render(40)
            if splat:
                left = [
                    int(
                        (
                            read_device_buffer(r.context, s.shared[point_splat.SPLAT_BUFFER], np.uint32)
                            != 0xFFFFFFFF
                        ).sum()
                    )
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
