"""A quad showing an image that kernels write: full screen, or a rectangle in the world's XY plane.

A full-screen quad keeps the image's aspect ratio (letterbox: the background shows in bars beside or above
and below it) unless it stretches; a rectangle in the scene sits wherever its `transform` puts it.

The image stays in GENERAL layout, the one Taichi leaves it in after a kernel writes it; the frame's event wait
orders the fragment shader's reads after the kernel's writes (an image barrier, see frame/offscreen.py).
"""

from __future__ import annotations

from ..checks import checked_flag, checked_number
from ..device import shaders, vk
from ..device.handles import create_sampler, vk_destroy
from ..device.memory import Image
from ..errors import ArgumentError
from .base import Drawable, FrameView
from .transform import Transformable
from .uniforms import Std140


def quad_size(value) -> tuple[float, float] | None:
    """`value` as a quad's (width, height): two positive finite numbers; None if it is not that."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return None
    try:
        size = tuple(checked_number("size", v) for v in value)
    except ArgumentError:
        return None
    return size if min(size) > 0 else None


class ImageQuad(Transformable, Drawable):
    """An image kernels write, shown over the frame or as a rectangle in the scene."""

    # quad.vert
    UNIFORMS = Std140(
        ("view_proj", "mat4"),
        ("params", "vec4"),  # xy: half width and height (world units), z: 1 for full screen
        ("model", "mat4"),  # the draw's transform (in the scene)
        ("fit", "vec4"),  # xy: the full-screen quad's half extent in clip space (1, 1: the whole frame)
    )
    sampler = None
    what = "quad"

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
        stretch: bool = False,
    ):
        self.context, self.image, self.fullscreen = context, image, fullscreen
        self._size, self._stretch = quad_size(size), stretch
        with self.destroyed_on_failure():
            self.sampler = create_sampler(
                context.device, vk.VK_FILTER_LINEAR if smooth else vk.VK_FILTER_NEAREST
            )
            self.create_uniforms(frames_in_flight, "quad uniforms", sampled=(image.view, self.sampler))
            self.create_pipeline(
                render_pass,
                shaders.load_builtin("quad.vert"),
                shaders.load_builtin("quad.frag"),
                bindings=[],
                attributes=[],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_STRIP,
                depth_write=not fullscreen,
            )

    @property
    def size(self) -> tuple[float, float]:
        """The rectangle's (width, height) in world units (not full screen); set it from update()."""
        return self._size

    @size.setter
    def size(self, value) -> None:
        size = quad_size(value)
        if size is None:
            raise ArgumentError(f"quad size must be two positive numbers (width, height), not {value!r}")
        self._size = size

    @property
    def stretch(self) -> bool:
        """Whether the full-screen quad fills the frame (else it keeps the image's aspect ratio); set it from
        update()."""
        return self._stretch

    @stretch.setter
    def stretch(self, value) -> None:
        self._stretch = checked_flag("stretch", value)

    def uniform_values(self, view: FrameView) -> dict:
        params = (self._size[0] / 2, self._size[1] / 2, 1.0 if self.fullscreen else 0.0)
        return {
            "view_proj": view.view_projection,
            "params": params,
            "model": self._transform,
            "fit": self.fit(view.width, view.height),
        }

    def fit(self, width: int, height: int) -> tuple[float, float]:
        """The full-screen quad's half extent in clip space in a `width` x `height` frame: (1, 1) when it
        stretches, else the largest the image's aspect ratio allows (letterbox)."""
        self._live("its fit() cannot be asked")
        if self._stretch or width <= 0 or height <= 0:
            return (1.0, 1.0)
        ratio = (self.image.width / self.image.height) / (width / height)
        return (1.0, 1.0 / ratio) if ratio > 1.0 else (ratio, 1.0)

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
