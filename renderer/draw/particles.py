"""Particles drawn as shaded spheres: point sprites whose size is the sphere's projected diameter.

Where the device and the frame allow it (and unless `splat=False`), particles whose sprite is at most 2 px
wide are splatted by compute passes instead (point_splat.py) and only the larger ones go through the sprite
pipeline; the image is the same.

Positions are a vec3 float32 buffer that kernels write; colours are either one colour for all (a one-element
buffer read at instance rate, so the pipeline is the same) or a per-particle vec3 (or RGBA vec4) buffer kernels
write too.

A transparent draw (an `opacity`, or RGBA colours; draw/transparency.py) is drawn with the sprite pipeline for
all its particles, never splatted; so are the opaque particles of a frame that has transparent draws (the splat
writes no depth for those to be tested against).
Radii are one for all (a uniform), or a per-particle float32 buffer (the shaders' RADII variants: a third
vertex input, and a storage buffer of the splat).
"""

from __future__ import annotations

from ..checks import checked_number
from ..device import shaders, vk
from ..device.memory import Buffer
from ..errors import ArgumentError, RendererError
from .base import Drawable, FrameView, check_count, check_usage, light_color
from .point_splat import NEXT_ID, PointSplat, pass_count, supported
from .uniforms import Std140

VEC3, VEC4 = vk.VK_FORMAT_R32G32B32_SFLOAT, vk.VK_FORMAT_R32G32B32A32_SFLOAT
VERTEX_INPUT = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT
COMPUTE = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT


def _check_vertex_buffer(buffer: Buffer, count: int, what: str, width: int = 3) -> None:
    if buffer.size < count * 4 * width:
        raise RendererError(
            f"{buffer.name} holds {buffer.size // (4 * width)} vec{width} {what}, not {count}"
        )
    check_usage(buffer, "vertex", f"particles {what}")


class ParticleDraw(Drawable):
    """Particles as lit spheres: point sprites, or splatted by compute passes where they are small."""

    # particles.vert, particles.frag and particles_splat.comp (particle_frame.glsl)
    UNIFORMS = Std140(
        ("view_proj", "mat4"),
        ("color", "vec4"),  # rgb: tint of the particles' colour
        ("light", "vec4"),  # xyz: direction towards the light, in view space
        ("params", "vec4"),  # x: radius, y: projection scale * viewport height (px), z: max point size
        ("light_color", "vec4"),  # rgb: the light's colour, a: the ambient share
    )
    AMBIENT = 0.25  # without a scene light
    owned = ("constant_color", "splat")
    constant_color = splat = None
    pick_kind = "particle"
    what = "particles draw"
    pick_ids: tuple[int, int] | None = None  # the splat's (first id, count) in the id pass being recorded

    def __init__(
        self,
        context,
        render_pass,
        positions: Buffer,
        count: int,
        frames_in_flight: int,
        *,
        radius: float = 0.01,
        color=(0.35, 0.65, 1.0),
        colors: Buffer | None = None,
        light=(0.4, 0.6, 1.0),
        splat: bool = True,
        radii: Buffer | None = None,
        opacity: float | None = None,
        color_width: int = 3,
    ):
        # radii: per-particle radii (float32, world units) in place of `radius`, or None; opacity: a transparent
        # draw's (None: opaque); color_width: 4 for RGBA `colors` (then transparent)
        _check_vertex_buffer(positions, count, "positions")
        if colors is not None:
            _check_vertex_buffer(colors, count, "colors", color_width)
        if radii is not None and radii.size < 4 * count:
            raise RendererError(f"{radii.name} holds {radii.size // 4} radii, not {count}")
        if radii is not None:
            check_usage(radii, "vertex", "particles radii")
        self.context, self.positions, self.colors, self.capacity = context, positions, colors, count
        self._count = count
        self.radii = radii
        self.make_transparent(1.0 if opacity is None and color_width == 4 else opacity)
        self._radius, self.light = (1.0 if radii is not None else radius), light
        self.splatting = False  # in the frame being recorded
        with self.destroyed_on_failure():
            color_rate = self.color_input_rate(colors, color, "particle colour")
            self.create_uniforms(frames_in_flight, "particle uniforms")
            rgba = colors is not None and color_width == 4
            bindings = [(12, vk.VK_VERTEX_INPUT_RATE_VERTEX), (16 if rgba else 12, color_rate)]
            attributes = [(0, 0, VEC3, 0), (1, 1, VEC4 if rgba else VEC3, 0)]
            if radii is not None:
                bindings.append((4, vk.VK_VERTEX_INPUT_RATE_VERTEX))
                attributes.append((2, 2, vk.VK_FORMAT_R32_SFLOAT, 0))
            self.create_pipeline(
                render_pass,
                shaders.load_builtin("particles.vert", defines=("RADII",) if radii is not None else ()),
                shaders.load_builtin("particles.frag", defines=self.defines),
                bindings=bindings,
                attributes=attributes,
                topology=vk.VK_PRIMITIVE_TOPOLOGY_POINT_LIST,
            )
            if splat and not self.transparent and supported(context, count, positions, colors, radii):
                self.splat = PointSplat(
                    context, render_pass, positions, colors, color, count, self.uniforms, radii=radii
                )

    @property
    def radius(self) -> float:
        """The particles' radius in world units; set it from update() (drawn that frame). A draw of per-particle
        `radii` reads them instead (its radius is 1): write that array."""
        return self._radius

    @radius.setter
    def radius(self, value) -> None:
        if self.radii is not None:
            raise ArgumentError(
                "this particles draw takes its radii from its `radii` array: write that array"
            )
        value = checked_number("radius", value)
        if value <= 0:
            raise ArgumentError(f"radius must be a positive number, not {value!r}")
        self._radius = value

    @property
    def count(self) -> int:
        """How many particles are drawn: the first `count` of the arrays; set it from update(), from 0 to the
        number the draw was made with (the frames record again, once each)."""
        return self._count

    @count.setter
    def count(self, value) -> None:
        self._count = check_count(value, self.capacity, "particle")
        if self.splat is not None:  # the splat reads its count when a frame is recorded
            self.splat.count = self._count
            self.splat.push[6] = self._count

    def recorded(self) -> tuple:
        return (self._count,)

    def uniform_values(self, view: FrameView) -> dict:
        max_size = self.context.max_point_size if self.context.enabled_features.get("largePoints") else 1.0
        return {
            "view_proj": view.view_projection,
            "color": (1.0, 1.0, 1.0, self.opacity),
            "light": self.light if view.light is None else view.view[:3, :3] @ view.light.direction,
            "params": (self._radius, view.projection_scale * view.height, max_size),
            "light_color": light_color(view.light, self.AMBIENT),
        }

    def reads(self) -> list[tuple[Buffer, int, int]]:
        buffers = [b for b in (self.positions, self.colors, self.radii) if b is not None]
        reads = [(b, VERTEX_INPUT, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT) for b in buffers]
        if self.splat is not None:  # the splat's compute pass reads them too
            reads += [(b, COMPUTE, vk.VK_ACCESS_SHADER_READ_BIT) for b in buffers]
        return reads

    def _splats(self, target) -> bool:
        return self.splat is not None and not target.transparent and self.splat.usable(target)

    def pass_predicate(self, slot: int, target):
        # splatted, the pass draws only the large particles, as many as SPLAT lists (an indirect draw)
        return pass_count(self.context, target) if self.splatting else None

    def record_before_pass(self, cb, slot: int, target) -> None:
        self.splatting = self._splats(target)
        if self.splatting:
            self.splat.record_before_pass(cb, slot, target)

    def _bind_vertex_buffers(self, cb) -> None:
        colors = self.colors if self.colors is not None else self.constant_color
        if self.radii is not None:
            handles = [self.positions.handle, colors.handle, self.radii.handle]
            vk.vkCmdBindVertexBuffers(cb, 0, 3, handles, [0, 0, 0])
        else:
            vk.vkCmdBindVertexBuffers(cb, 0, 2, [self.positions.handle, colors.handle], [0, 0])

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        self._bind_vertex_buffers(cb)
        if self.splatting:
            self.splat.record_large(cb, slot)
        else:
            vk.vkCmdDraw(cb, self._count, 1, 0, 0)

    def record_after_pass(self, cb, slot: int, target) -> None:
        if self.splatting:
            self.splat.record_after_pass(cb, slot, target)

    # -- picking: splatted where the frame splats (the splat buffer holds each pixel's nearest particle id), the
    # large ones and the rest as sprites with the shaders' PICK variants

    def record_pick_before_pass(self, cb, slot: int, target) -> None:
        self.pick_ids = None
        if self._splats(target):
            self.pick_ids = (target.this_frame.get(NEXT_ID, 0), self._count)
            self.splat.record_before_pass(cb, slot, target)

    def record_pick(self, cb, slot: int, render_pass, draw_id: int) -> None:
        radii = ("RADII",) if self.radii is not None else ()
        self.bind_pick(
            cb,
            slot,
            render_pass,
            draw_id,
            shaders.load_builtin("particles.vert", defines=(*radii, "PICK")),
            shaders.load_builtin("particles.frag", defines=("PICK",)),
            (0, 2),  # position, radius
        )
        self._bind_vertex_buffers(cb)
        if self.pick_ids is not None:
            self.splat.record_large(cb, slot)
        else:
            vk.vkCmdDraw(cb, self._count, 1, 0, 0)
