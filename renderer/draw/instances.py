"""One mesh drawn many times: per instance a position, an orientation, a scale and a colour, each from an
array that kernels write (read at instance rate) or one value for all.

- position: vec3, where the mesh's origin goes.
- orientation: a direction (vec3: the mesh's +Z axis turns onto it; its length is ignored, a zero vector hides
  the instance; the turn about it keeps the mesh's +X axis horizontal where it can), or a rotation (vec4
  quaternion x, y, z, w; normalised in the shader), or none (the mesh as it is).
- scale: a float (uniform) or a vec3 (along the mesh's own axes) per instance, or one number for all.
- colour: vec3 (or RGBA vec4: then the draw is transparent) per instance, or one colour for all.

With an `opacity` the draw is transparent (draw/transparency.py). `count` may be lowered and raised again from
update(), up to the number it was made with.

A vertex goes to transform * (position + R * (scale * vertex)); its normal to the inverse transpose of that,
normal_matrix * (R * (normal / scale)), so per-axis scales keep the normals right. Shading is the mesh draw's.
"""

from __future__ import annotations

import numpy as np

from ..device import shaders, vk
from ..device.memory import Buffer
from ..errors import RendererError
from .base import Drawable, FrameView, check_count, check_usage
from .mesh import check_mesh, lit_mesh_uniforms
from .transform import Transformable
from .uniforms import Std140

FLOAT, VEC3, VEC4 = vk.VK_FORMAT_R32_SFLOAT, vk.VK_FORMAT_R32G32B32_SFLOAT, vk.VK_FORMAT_R32G32B32A32_SFLOAT
VERTEX, INSTANCE = vk.VK_VERTEX_INPUT_RATE_VERTEX, vk.VK_VERTEX_INPUT_RATE_INSTANCE


class InstancedMeshDraw(Transformable, Drawable):
    """A lit mesh drawn at `count` instances whose positions, orientations, scales and colours kernels write."""

    # instances.vert and instances.frag
    UNIFORMS = Std140(
        ("view_proj", "mat4"),
        ("light", "vec4"),  # xyz: direction towards the light, world space
        ("tint", "vec4"),  # rgb: multiplies the colours
        ("light_color", "vec4"),  # rgb: the light's colour, a: the ambient share
        ("model", "mat4"),  # the draw's transform
        ("normal_matrix", "mat4"),  # its upper 3x3's inverse transpose
    )
    AMBIENT = 0.3  # without a scene light, as meshes
    owned = ("shape_buffers", "constants")
    shape_buffers = constants = None
    pick_kind = "instance"
    what = "instances draw"

    def __init__(
        self,
        context,
        render_pass,
        frames_in_flight: int,
        *,
        mesh,
        count: int,
        positions: Buffer,
        orientation: tuple | None = None,
        scales: tuple | None = None,
        scale: float = 1.0,
        colors: Buffer | None = None,
        color=(0.8, 0.8, 0.8),
        light=(0.3, 1.0, 0.6),
        opacity: float | None = None,
        color_width: int = 3,
    ):
        """`mesh`: (positions, normals, indices) as numpy arrays (copied into buffers the draw owns) or as
        Buffers with their vertex and index counts (positions, normals, indices, vertices, indices count);
        `orientation`: (buffer, "directions" or "rotations") or None; `scales`: (buffer, 1 or 3 floats each)
        or None for `scale`; the per-instance buffers hold at least `count` elements; `opacity`: a transparent
        draw's (None: opaque); `color_width`: 4 for RGBA `colors` (then transparent)."""
        self.context, self._count, self.light = context, int(count), light
        self.capacity = self._count
        rgba = colors is not None and color_width == 4
        self.make_transparent(1.0 if opacity is None and rgba else opacity)
        self.shape_buffers, self.constants = _Owned(), _Owned()
        with self.destroyed_on_failure():
            if isinstance(mesh[0], np.ndarray):
                mesh = self._upload_mesh(*mesh)
            else:
                check_mesh(*mesh, what="instances mesh")
            self.mesh_positions, self.mesh_normals, self.mesh_indices, _, self.index_count = mesh
            self.kernel_written = [] if self.shape_buffers else list(mesh[:3])
            given = {
                "positions": positions,
                "scales": None if scales is None else scales[0],
                "colors": colors,
            }
            if orientation is not None:
                given[orientation[1]] = orientation[0]
            for what, buffer in given.items():  # the scene's arrays, bound as per-instance vertex buffers
                if buffer is not None:
                    check_usage(buffer, "vertex", f"instances {what}")
            defines, inputs = [], [(positions, 12, VEC3)]
            if orientation is None:
                inputs.append((self._constant([0.0, 0.0, 0.0, 1.0], "identity rotation"), 0, VEC4))
                defines.append("QUATERNION")
            else:
                buffer, kind = orientation
                quaternion = kind == "rotations"
                inputs.append((buffer, 16 if quaternion else 12, VEC4 if quaternion else VEC3))
                defines += ["QUATERNION"] if quaternion else []
            if scales is None:
                inputs.append((self._constant([scale], "instance scale"), 0, FLOAT))
            else:
                buffer, width = scales
                inputs.append((buffer, 4 * width, VEC3 if width == 3 else FLOAT))
                defines += ["SCALE3"] if width == 3 else []
            if colors is None:
                inputs.append((self._constant(color, "instance colour"), 0, VEC3))
            else:
                inputs.append((colors, 16, VEC4) if rgba else (colors, 12, VEC3))
            for buffer, stride, _ in inputs:  # a draw of more instances would read past a buffer's end
                if buffer.size < stride * count:
                    raise RendererError(f"{buffer.name} holds {buffer.size // stride} instances, not {count}")
            self.instance_buffers = [b for b, _, _ in inputs]
            self.kernel_written += [b for b, stride, _ in inputs if stride]
            self.create_uniforms(frames_in_flight, "instance uniforms")
            self.vertex_defines = tuple(defines)
            self.create_pipeline(
                render_pass,
                shaders.load_builtin("instances.vert", tuple(defines)),
                shaders.load_builtin("instances.frag", defines=self.defines),
                bindings=[(12, VERTEX), (12, VERTEX)] + [(stride, INSTANCE) for _, stride, _ in inputs],
                attributes=[(0, 0, VEC3, 0), (1, 1, VEC3, 0)]
                + [(2 + i, 2 + i, fmt, 0) for i, (_, _, fmt) in enumerate(inputs)],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
            )

    def _upload_mesh(self, positions: np.ndarray, normals: np.ndarray, indices: np.ndarray) -> tuple:
        """Buffers of the draw's own holding a built-in mesh (written once, host-visible)."""
        made = []
        for data, usage, what in (
            (positions, vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, "positions"),
            (normals, vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, "normals"),
            (indices, vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT, "indices"),
        ):
            buffer = Buffer(self.context, data.nbytes, usage, host=True, name=f"instanced mesh {what}")
            self.shape_buffers.append(buffer)
            buffer.write(data)
            made.append(buffer)
        return (*made, len(positions), len(indices))

    def _constant(self, values, name: str) -> Buffer:
        """One value for every instance: a host-visible buffer bound with stride 0."""
        data = np.asarray(values, dtype=np.float32)
        buffer = Buffer(
            self.context, max(data.nbytes, 16), vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, host=True, name=name
        )
        self.constants.append(buffer)
        buffer.write(data)
        return buffer

    @property
    def count(self) -> int:
        """How many instances are drawn: the first `count`; set it from update(), from 0 to the number the draw
        was made with (the frames record again, once each)."""
        return self._count

    @count.setter
    def count(self, value) -> None:
        self._count = check_count(value, self.capacity, "instance")

    def recorded(self) -> tuple:
        return (self._count,)

    def uniform_values(self, view: FrameView) -> dict:
        return lit_mesh_uniforms(self, view)

    def reads(self) -> list[tuple[Buffer, int, int]]:
        stage, attribute = vk.VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, vk.VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT
        reads = [(b, stage, attribute) for b in self.kernel_written if b is not self.mesh_indices]
        if self.mesh_indices in self.kernel_written:
            reads.append((self.mesh_indices, stage, vk.VK_ACCESS_INDEX_READ_BIT))
        return reads

    def record(self, cb, slot: int) -> None:
        self.bind(cb, slot)
        self._draw(cb)

    def record_pick(self, cb, slot: int, render_pass, draw_id: int) -> None:
        vertex = shaders.load_builtin("instances.vert", (*self.vertex_defines, "PICK"))
        fragment = shaders.load_builtin("instances.frag", ("PICK",))
        # the mesh's positions, the instance's position, orientation and scale (no normal, no colour)
        self.bind_pick(cb, slot, render_pass, draw_id, vertex, fragment, (0, 2, 3, 4))
        self._draw(cb)

    def _draw(self, cb) -> None:
        handles = [self.mesh_positions.handle, self.mesh_normals.handle]
        handles += [b.handle for b in self.instance_buffers]
        vk.vkCmdBindVertexBuffers(cb, 0, len(handles), handles, [0] * len(handles))
        vk.vkCmdBindIndexBuffer(cb, self.mesh_indices.handle, 0, vk.VK_INDEX_TYPE_UINT32)
        if self._count:
            vk.vkCmdDrawIndexed(cb, self.index_count, self._count, 0, 0, 0)


class _Owned(list):
    """Buffers a draw made, destroyed with it."""

    def destroy(self) -> None:
        while self:
            self.pop().destroy()
