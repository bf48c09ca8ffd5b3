"""A lit triangle mesh: indexed triangles with per-vertex positions, normals and colours that kernels write.

Colours are per vertex (vec3, or RGBA vec4: then the mesh is transparent), or one colour for all (a one-element
buffer read at instance rate, as for particles). With an `opacity` the mesh is transparent (draw/transparency.py).

Where the device and the frame allow it (and unless `splat=False`), an opaque mesh of many triangles per pixel
of the frame has its small triangles splatted by compute passes and only the larger ones rasterized
(triangle_splat.py); the image is the same but for rounding on a few edge pixels.
"""

from __future__ import annotations

from ..device import shaders, vk
from ..device.memory import Buffer
from ..errors import ArgumentError, RendererError
from .base import Drawable, FrameView, check_count, check_usage, light_color
from .point_splat import pass_count
from .transform import Transformable
from .triangle_splat import TriangleSplat
from .triangle_splat import supported as splat_supported
from .uniforms import Std140

VEC3, VEC4 = vk.VK_FORMAT_R32G32B32_SFLOAT, vk.VK_FORMAT_R32G32B32A32_SFLOAT


def check_mesh(
    positions: Buffer,
    normals: Buffer,
    indices: Buffer,
    vertex_count: int,
    index_count: int,
    what: str = "mesh",
) -> None:
    """Refuse a mesh of buffers that do not hold what it says, or that it cannot bind, meshes and instanced
    meshes alike (`what`: "mesh" or "instances mesh", for messages)."""
    for buffer, need in (
        (positions, vertex_count * 12),
        (normals, vertex_count * 12),
        (indices, index_count * 4),
    ):
        if buffer.size < need:
            raise RendererError(f"{buffer.name} holds {buffer.size} bytes; the mesh needs {need}")
    if index_count % 3:
        raise RendererError(f"a triangle mesh needs a multiple of 3 indices, not {index_count}")
    check_usage(positions, "vertex", f"{what} positions")
    check_usage(normals, "vertex", f"{what} normals")
    check_usage(indices, "index", f"{what} indices")


def lit_mesh_uniforms(draw, view: FrameView) -> dict:
    """The uniforms of mesh.frag's lighting (meshes and instanced meshes): camera, light, transform."""
    return {
        "view_proj": view.view_projection,
        "light": draw.light if view.light is None else view.light.direction,
        "tint": (1.0, 1.0, 1.0, draw.opacity),
        "light_color": light_color(view.light, draw.AMBIENT),
        "model": draw._transform,
        "normal_matrix": draw.normal_matrix(),
    }


class MeshDraw(Transformable, Drawable):
    """A lit triangle mesh whose positions, normals (and colours) kernels write."""

    # mesh.vert and mesh.frag
    UNIFORMS = Std140(
        ("view_proj", "mat4"),
        ("light", "vec4"),  # xyz: direction towards the light, world space
        ("tint", "vec4"),  # rgb: multiplies the vertex colours
        ("light_color", "vec4"),  # rgb: the light's colour, a: the ambient share
        ("model", "mat4"),  # the draw's transform
        ("normal_matrix", "mat4"),  # its upper 3x3's inverse transpose
    )
    AMBIENT = 0.3  # without a scene light
    owned = ("constant_color", "splat")
    constant_color = splat = None
    pick_kind = "triangle"  # where the device has geometry shaders (gl_PrimitiveID in the id pass)
    what = "mesh draw"

    def __init__(
        self,
        context,
        render_pass,
        positions: Buffer,
        normals: Buffer,
        indices: Buffer,
        vertex_count: int,
        index_count: int,
        frames_in_flight: int,
        *,
        colors: Buffer | None = None,
        color=(0.8, 0.8, 0.8),
        light=(0.3, 1.0, 0.6),
        opacity: float | None = None,
        color_width: int = 3,
        splat: bool = True,
    ):
        # opacity: a transparent draw's (None: opaque); color_width: 4 for RGBA `colors` (then transparent);
        # splat: small triangles by compute passes where the device and the frame allow it (triangle_splat.py)
        check_mesh(positions, normals, indices, vertex_count, index_count)
        if colors is not None:
            check_usage(colors, "vertex", "mesh colors")
        self.context, self.positions, self.normals, self.indices = context, positions, normals, indices
        self.colors, self.index_count, self.light = colors, index_count, light
        self.capacity = index_count
        self.splatting = False  # in the frame being recorded
        if not context.enabled_features.get("geometryShader"):
            self.pick_kind = None
        rgba = colors is not None and color_width == 4
        self.make_transparent(1.0 if opacity is None and rgba else opacity)
        with self.destroyed_on_failure():
            color_rate = self.color_input_rate(colors, color, "mesh colour")
            self.create_uniforms(frames_in_flight, "mesh uniforms")
            self.create_pipeline(
                render_pass,
                shaders.load_builtin("mesh.vert"),
                shaders.load_builtin("mesh.frag", defines=self.defines),
                bindings=[
                    (12, vk.VK_VERTEX_INPUT_RATE_VERTEX),
                    (12, vk.VK_VERTEX_INPUT_RATE_VERTEX),
                    (16 if rgba else 12, color_rate),
                ],
                attributes=[(0, 0, VEC3, 0), (1, 1, VEC3, 0), (2, 2, VEC4 if rgba else VEC3, 0)],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
            )
            buffers = (positions, normals, indices, colors)
            if (
                splat
                and not self.transparent
                and splat_supported(context, vertex_count, index_count // 3, *buffers)
            ):
                self.splat = TriangleSplat(
                    context,
                    render_pass,
                    *buffers,
                    color,
                    vertex_count,
                    index_count // 3,
                    self.uniforms,
                )

    @property
    def count(self) -> int:
        """How many indices are drawn (three per triangle): the first `count`; set it from update(), a multiple
        of 3 up to the number the draw was made with (the frames record again, once each)."""
        return self.index_count

    @count.setter
    def count(self, value) -> None:
        value = check_count(value, self.capacity, "mesh index")
        if value % 3:
            raise ArgumentError(f"mesh index count must be a multiple of 3 (whole triangles), not {value}")
        self.index_count = value

    def recorded(self) -> tuple:
        return (self.index_count,)

    def uniform_values(self, view: FrameView) -> dict:
        return lit_mesh_uniforms(self, view)

    def reads(self) -> list[tuple[Buffer, int, int]]:
        stage, attribute = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT
        buffers = [b for b in (self.positions, self.normals, self.colors) if b is not None]
        reads = [(b, stage, attribute) for b in buffers] + [
            (self.indices, stage, vk.VK_ACCESS_INDEX_READ_BIT)
        ]
        if self.splat is not None:  # the splat's compute passes read them too
            compute = vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
            reads += [(b, compute, vk.VK_ACCESS_SHADER_READ_BIT) for b in (*buffers, self.indices)]
        return reads

    def _splats(self, target) -> bool:
        return (
            self.splat is not None
            and not target.transparent
            and self.splat.usable(target, self.index_count // 3)
        )

    def pass_predicate(self, slot: int, target):
        # splatted, the pass draws only the large triangles, as many as SPLAT lists (an indirect draw)
        return pass_count(self.context, target) if self.splatting else None

    def record_before_pass(self, cb, slot: int, target) -> None:
        self.splatting = self._splats(target)
        if self.splatting:
            self.splat.record_before_pass(cb, slot, target, self.index_count // 3)

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        if self.splatting:  # the triangles SPLAT left to the rasterizer
            self._bind_vertex_buffers(cb)
            self.splat.record_large(cb, slot)
        else:
            self._draw(cb)

    def record_after_pass(self, cb, slot: int, target) -> None:
        if self.splatting:
            self.splat.record_after_pass(cb, slot, target)

    def record_pick(self, cb, slot: int, render_pass, draw_id: int) -> None:
        vertex, fragment = (
            shaders.load_builtin("mesh.vert", ("PICK",)),
            shaders.load_builtin("mesh.frag", ("PICK",)),
        )
        self.bind_pick(cb, slot, render_pass, draw_id, vertex, fragment, (0,))  # the position alone
        self._draw(cb)

    def _bind_vertex_buffers(self, cb) -> None:
        colors = self.colors if self.colors is not None else self.constant_color
        vk.vkCmdBindVertexBuffers(
            cb, 0, 3, [self.positions.handle, self.normals.handle, colors.handle], [0, 0, 0]
        )

    def _draw(self, cb) -> None:
        self._bind_vertex_buffers(cb)
        vk.vkCmdBindIndexBuffer(cb, self.indices.handle, 0, vk.VK_INDEX_TYPE_UINT32)
        vk.vkCmdDrawIndexed(cb, self.index_count, 1, 0, 0, 0)
