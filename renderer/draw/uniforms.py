"""Per-frame uniforms: a uniform block's layout declared once by its fields (`Std140`), and one uniform buffer
per frame in flight holding it (`FrameUniforms`).

A drawable declares its block as the shaders do, field by field, and writes it by name:

    UNIFORMS = Std140(("view_proj", "mat4"), ("light", "vec4"), ("tint", "vec4"))
    ...
    self.uniforms.write(slot, view_proj=view_projection, light=self.light, tint=(1, 1, 1))

Offsets follow std140 (the default layout of a Vulkan uniform block); a field left out is zero, a vector given
fewer components than it has is zero in the rest, and a matrix is given as written in maths (rows of rows) and
stored column by column, as GLSL reads it. Changing them never re-records anything.
"""

from __future__ import annotations

import numpy as np

from ..device import vk
from ..device.handles import vk_create, vk_destroy
from ..device.memory import Buffer
from ..device.pipelines import create_descriptor_sets
from ..errors import RendererError

# GLSL type -> (components per column, columns, scalar dtype); std140 is applied to these below
_SCALARS = {"": np.float32, "i": np.int32, "u": np.uint32}
TYPES: dict[str, tuple[int, int, type]] = {}
for _prefix, _dtype in _SCALARS.items():
    TYPES[{"": "float", "i": "int", "u": "uint"}[_prefix]] = (1, 1, _dtype)
    for _n in (2, 3, 4):
        TYPES[f"{_prefix}vec{_n}"] = (_n, 1, _dtype)
for _n in (2, 3, 4):
    TYPES[f"mat{_n}"] = (_n, _n, np.float32)
_VIEWS = (np.uint32, np.float32, np.int32)  # the typed views of a block's words (Std140.fill)


def _std140(glsl_type: str) -> tuple[int, int]:
    """(base alignment, size) in bytes of a block member of `glsl_type` under std140."""
    rows, columns, _ = TYPES[glsl_type]
    if columns > 1:  # a matrix: an array of column vectors, each aligned (and strided) like a vec4
        return 16, 16 * columns
    return (4 if rows == 1 else 8 if rows == 2 else 16), 4 * rows


class Std140:
    """A uniform block's fields, (name, GLSL type) in the shaders' order, laid out by std140: `offsets`
    (name -> byte offset), `size` (bytes, rounded up to 16 like the block's) and `pack()`."""

    def __init__(self, *fields: tuple[str, str]):
        self.fields = tuple(fields)
        self.offsets: dict[str, int] = {}
        self._types: dict[str, str] = {}
        self._plan: dict[str, tuple[int, int, int, int]] = {}  # name -> (first word, rows, columns, view)
        offset = 0
        for name, glsl_type in self.fields:
            if glsl_type not in TYPES:
                raise RendererError(f"uniform {name}: type {glsl_type!r} is not one of {sorted(TYPES)}")
            if name in self.offsets:
                raise RendererError(f"uniform {name} is declared twice")
            align, size = _std140(glsl_type)
            offset = -(-offset // align) * align
            self.offsets[name], self._types[name] = offset, glsl_type
            rows, columns, dtype = TYPES[glsl_type]
            self._plan[name] = (offset // 4, rows, columns, _VIEWS.index(dtype))
            offset += size
        self.size = -(-offset // 16) * 16

    def pack(self, values: dict | None = None, **kwargs) -> bytes:
        """The block's bytes with the fields given (by a dict, keywords or both); the others are zero."""
        return self.words(values, **kwargs).tobytes()

    def words(self, values: dict | None = None, **kwargs) -> np.ndarray:
        """The block as 4-byte words (every std140 scalar is one)."""
        words = np.zeros(self.size // 4, dtype=np.uint32)
        self.fill(words, {**values, **kwargs} if values and kwargs else values or kwargs, zero=False)
        return words

    def fill(self, words: np.ndarray, values: dict, zero: bool = True) -> None:
        """Write the block with `values` into `words` (uint32, the block's size; a mapped uniform buffer), the
        fields not given zero: this runs for every drawable on every frame, so each field's place and type
        were worked out once (`_plan`)."""
        if zero:
            words.fill(0)
        views = (words, words.view(np.float32), words.view(np.int32))
        for name, value in values.items():
            plan = self._plan.get(name)
            if plan is None:
                raise RendererError(
                    f"no uniform {name!r} in this block (fields: {[n for n, _ in self.fields]})"
                )
            start, rows, columns, view = plan
            target = views[view]
            try:
                if columns > 1:  # column by column, each in a vec4's place
                    matrix = np.asarray(value, dtype=target.dtype).reshape(rows, columns)
                    target[start : start + 4 * columns].reshape(columns, 4)[:, :rows] = matrix.T
                elif rows == 1 and not hasattr(value, "__len__"):
                    target[start] = value
                else:
                    count = len(value)
                    if count > rows:
                        raise ValueError(f"{count} components")
                    target[start : start + count] = value
            except (TypeError, ValueError, OverflowError) as exc:
                glsl_type = self._types[name]
                raise RendererError(f"uniform {name} is a {glsl_type}: {value!r} does not fit") from exc


def _uniform_buffer(context, size: int, name: str) -> Buffer:
    return Buffer(context, size, vk.VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, host=True, name=name)


def _words(buffer: Buffer) -> np.ndarray:
    """A uniform buffer's mapped memory as uint32 words (it stays mapped)."""
    return np.frombuffer(buffer.map(), np.uint32, count=buffer.size // 4)


def _buffer_write(descriptor_set, binding: int, buffer: Buffer):
    info = vk.VkDescriptorBufferInfo(buffer=buffer.handle, offset=0, range=buffer.size)
    return vk.VkWriteDescriptorSet(
        dstSet=descriptor_set,
        dstBinding=binding,
        descriptorCount=1,
        descriptorType=vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
        pBufferInfo=[info],
    )


def _image_write(descriptor_set, binding: int, view, sampler):
    """A combined image sampler of an image in GENERAL layout (kernels and shaders share it so)."""
    info = vk.VkDescriptorImageInfo(sampler=sampler, imageView=view, imageLayout=vk.VK_IMAGE_LAYOUT_GENERAL)
    return vk.VkWriteDescriptorSet(
        dstSet=descriptor_set,
        dstBinding=binding,
        descriptorCount=1,
        descriptorType=vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
        pImageInfo=[info],
    )


class FrameUniforms:
    """One uniform buffer (binding 0 of set 0) per frame in flight, host-visible, laid out by `layout`
    (`Std140`), with its descriptor sets; and optionally an image sampled by the fragment shader (binding 1, in
    GENERAL layout, the same for all), a second uniform block laid out by `params` (binding 2, one buffer per
    frame in flight, written by `write_params`) and `textures`, (view, sampler) pairs sampled by both shaders
    (bindings 3, 4, ..., in GENERAL layout)."""

    def __init__(
        self, context, layout: Std140, slots: int, name: str, sampled=None, params=None, textures=()
    ):
        self.context, self.block, self.size = context, layout, layout.size
        self.params, textures = params, list(textures)
        # how the set layout is defined
        self.layout_key = ("frame uniforms", sampled is not None)
        if params is not None or textures:
            self.layout_key += (params is not None, len(textures))
        device = context.device
        self.set_layout = self.pool = None
        self.buffers: list[Buffer] = []
        self.param_buffers: list[Buffer] = []
        self.words: list[np.ndarray] = []  # each buffer's mapped words, written in place each frame
        self.param_words: list[np.ndarray] = []
        try:
            described = self.layout_bindings(sampled is not None, params is not None, len(textures))
            bindings = [
                vk.VkDescriptorSetLayoutBinding(
                    binding=binding, descriptorType=kind, descriptorCount=1, stageFlags=stages
                )
                for binding, kind, stages in described
            ]
            info = vk.VkDescriptorSetLayoutCreateInfo(pBindings=bindings)
            self.set_layout = vk_create(
                "DescriptorSetLayout", vk.vkCreateDescriptorSetLayout, device, info, None
            )
            kinds = {binding: kind for binding, kind, _ in described}
            self.pool, self.sets = create_descriptor_sets(device, self.set_layout, kinds, slots)
            images = ([(1, sampled)] if sampled is not None else []) + list(enumerate(textures, start=3))
            for i, descriptor_set in enumerate(self.sets):
                buffer = _uniform_buffer(context, self.size, f"{name} {i}")
                self.buffers.append(buffer)
                self.words.append(_words(buffer))
                writes = [_buffer_write(descriptor_set, 0, buffer)]
                if params is not None:
                    block = _uniform_buffer(context, params.size, f"{name} params {i}")
                    self.param_buffers.append(block)
                    self.param_words.append(_words(block))
                    writes.append(_buffer_write(descriptor_set, 2, block))
                writes += [_image_write(descriptor_set, binding, *image) for binding, image in images]
                vk.vkUpdateDescriptorSets(device, len(writes), writes, 0, None)
        except BaseException:
            self.destroy()
            raise

    @staticmethod
    def layout_bindings(sampled: bool, params: bool = False, textures: int = 0) -> list[tuple[int, int, int]]:
        """(binding, VkDescriptorType, stage flags) of the set layout, with or without the sampled image, the
        second uniform block and `textures` sampled images."""
        both = vk.VK_SHADER_STAGE_VERTEX_BIT | vk.VK_SHADER_STAGE_FRAGMENT_BIT
        bindings = [(0, vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, both)]
        if sampled:
            bindings.append(
                (1, vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, vk.VK_SHADER_STAGE_FRAGMENT_BIT)
            )
        if params:
            bindings.append((2, vk.VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, both))
        bindings += [(3 + t, vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, both) for t in range(textures)]
        return bindings

    def write(self, slot: int, values: dict | None = None, **kwargs) -> None:
        """The block's fields given by name (`Std140.pack`) into this slot's buffer; the others are zero."""
        values = {**values, **kwargs} if values and kwargs else values or kwargs
        self.block.fill(self.words[slot], values)

    def write_params(self, slot: int, values: dict) -> None:
        """The second block's fields by name (`Std140.pack` of `params`) into this slot's buffer."""
        self.params.fill(self.param_words[slot], values)

    def destroy(self) -> None:
        device = self.context.device
        self.words, self.param_words = [], []  # views of memory unmapped below
        for buffer in self.buffers + self.param_buffers:
            buffer.destroy()
        self.buffers, self.param_buffers = [], []
        if self.pool is not None:
            vk_destroy("DescriptorPool", vk.vkDestroyDescriptorPool, device, self.pool, None)
            self.pool = None
        if self.set_layout is not None:
            vk_destroy("DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout, device, self.set_layout, None)
            self.set_layout = None
