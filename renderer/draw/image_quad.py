"""A quad showing an image that kernels write: full screen, or a rectangle in the world's XY plane.

The image stays in GENERAL layout, the one Taichi leaves it in after a kernel writes it; the frame's event wait
orders the fragment shader's reads after the kernel's writes (an image barrier, see frames.py).
"""

from __future__ import annotations

import numpy as np
import vulkan as vk

from ..device import shaders
from ..device.handles import create_sampler, vk_destroy
from ..device.memory import Image
from ..device.pipelines import FrameUniforms, create_pipeline
from .base import Drawable

UNIFORM_FLOATS = 16 + 4  # mat4 view_proj, vec4 params


class ImageQuad(Drawable):
    def __init__(
        self,
        context,
        render_pass,
        image: Image,
        frames_in_flight: int,
        *,
        fullscreen: bool = True,
        size=(1.0, 1.0),
        smooth: bool = True,
    ):
        self.context, self.image, self.fullscreen, self.size = context, image, fullscreen, size
        self.pipeline = self.layout = self.uniforms = self.sampler = None
        device = context.device
        try:
            self.sampler = create_sampler(device, vk.VK_FILTER_LINEAR if smooth else vk.VK_FILTER_NEAREST)
            self.uniforms = FrameUniforms(
                context,
                UNIFORM_FLOATS * 4,
                frames_in_flight,
                "quad uniforms",
                sampled=(image.view, self.sampler),
            )
            self.pipeline, self.layout = create_pipeline(
                device,
                render_pass,
                self.uniforms.set_layout,
                self.uniforms.layout_key,
                shaders.load_builtin("quad.vert"),
                shaders.load_builtin("quad.frag"),
                bindings=[],
                attributes=[],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
                depth_write=not fullscreen,
            )
        except BaseException:
            self.destroy()
            raise

    def write_uniforms(
        self, slot: int, view_projection: np.ndarray, height: int, projection_scale: float
    ) -> None:
        data = np.zeros(UNIFORM_FLOATS, dtype=np.float32)
        data[:16] = view_projection.T.reshape(-1)
        data[16:19] = (self.size[0] / 2, self.size[1] / 2, 1.0 if self.fullscreen else 0.0)
        self.uniforms.write(slot, data)

    def reads(self) -> list:
        return [(self.image, vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, vk.VK_ACCESS_SHADER_READ_BIT)]

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        vk.vkCmdDraw(cb, 4, 1, 0, 0)

    def destroy(self) -> None:
        super().destroy()
        sampler, self.sampler = self.sampler, None
        if sampler is not None:
            vk_destroy("Sampler", vk.vkDestroySampler, self.context.device, sampler, None)
