"""What a render pass costs on a GPU: GPU time per span of an empty frame, 10k particles drawn as sprites and
10k splatted, at 1280x720 and 320x180 (timeline on). Run from the project root:
python3 bench/h100/render_pass_probe.py; its output on an H100: render_pass_probe.txt."""

import sys

sys.path.insert(0, ".")
from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.scene import Scene  # noqa: E402
from scenes.particles import Particles  # noqa: E402


class Empty(Scene):
    name = "empty"

    def setup(self, gpu):
        pass

    def update(self, frame, dt, input):
        pass


class Sprites(Particles):
    def setup(self, gpu):
        self.positions = gpu.array("positions", (self.count,), element_shape=(3,))
        gpu.particles(self.positions, radius=0.002, color=self.color, splat=False)
        self.step = gpu.kernel("spiral").bind(self.positions, 0.0)


for label, scene in (
    ("empty", Empty()),
    ("sprites 10k", Sprites(count=10000)),
    ("splat 10k", Particles(count=10000, radius=0.002)),
):
    for size in ((1280, 720), (320, 180)):
        with HeadlessRenderer(scene, *size, timeline=True) as r:
            r.render(60)
            print(label, size, {k: round(v[0], 4) for k, v in r.gpu_times().items()})
