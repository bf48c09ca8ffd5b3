"""Uniform blocks declared once per drawable (draw/uniforms.py: std140 offsets and packing), and the shaders'
shared code through #include (device/shaders.py: the cache key covers what a shader includes)."""

import re

import numpy as np
import pytest

from renderer.device import shaders
from renderer.draw.custom_draw import CustomDraw
from renderer.draw.image_quad import ImageQuad
from renderer.draw.mesh import MeshDraw
from renderer.draw.particles import ParticleDraw
from renderer.draw.uniforms import Std140
from renderer.errors import RendererError


def test_std140_offsets():
    block = Std140(
        ("a", "float"),
        ("b", "vec3"),
        ("c", "vec2"),
        ("d", "float"),
        ("m", "mat3"),
        ("e", "uint"),
        ("f", "vec4"),
    )
    assert block.offsets == {"a": 0, "b": 16, "c": 32, "d": 40, "m": 48, "e": 96, "f": 112}
    assert block.size == 128
    assert Std140(("x", "float")).size == 16


def test_std140_packing():
    block = Std140(("view_proj", "mat4"), ("params", "vec4"), ("n", "uint"))
    matrix = np.arange(16, dtype=np.float64).reshape(4, 4)
    data = block.pack({"view_proj": matrix}, params=(1.0, 2.0), n=7)
    floats = np.frombuffer(data, np.float32)
    assert list(floats[:16]) == list(matrix.T.reshape(-1))  # column by column
    assert list(floats[16:20]) == [1.0, 2.0, 0.0, 0.0]
    assert np.frombuffer(data, np.uint32)[20] == 7
    with pytest.raises(RendererError):
        block.pack(nope=1.0)
    with pytest.raises(RendererError):
        block.pack(params=(1, 2, 3, 4, 5))


BUILTIN_BLOCKS = {
    ParticleDraw: "particle_frame.glsl",
    MeshDraw: "mesh.vert",
    ImageQuad: "quad.vert",
}


def _block_fields(text: str) -> list[tuple[str, str]]:
    body = re.search(r"uniform Frame \{(.*?)\} frame;", text, re.S).group(1)
    return [
        tuple(reversed(member.split())) for member in re.sub(r"//.*", "", body).split(";") if member.strip()
    ]


@pytest.mark.parametrize("drawable", list(BUILTIN_BLOCKS), ids=lambda d: d.__name__)
def test_uniform_layouts_match_the_shaders(drawable):
    text = (shaders.SHADER_DIR / BUILTIN_BLOCKS[drawable]).read_text()
    assert _block_fields(text) == list(drawable.UNIFORMS.fields)


def test_custom_draws_layout_is_the_documented_block():
    from renderer.draw import custom_draw

    assert _block_fields(custom_draw.LINES_VERTEX) == list(CustomDraw.UNIFORMS.fields)


def test_a_changed_include_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setattr(shaders, "SHADER_DIR", tmp_path)
    monkeypatch.setenv("RENDERER_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "colour.glsl").write_text("vec4 colour() { return vec4(1.0); }\n")
    source = (
        "#version 450\n#extension GL_GOOGLE_include_directive : require\n"
        '#include "colour.glsl"\nlayout(location = 0) out vec4 c;\nvoid main() { c = colour(); }\n'
    )
    key = shaders.cache_key(source, "frag", (tmp_path,))
    first = shaders.compile_glsl(source, "frag", "test.frag")
    (tmp_path / "colour.glsl").write_text("vec4 colour() { return vec4(0.5); }\n")
    assert shaders.cache_key(source, "frag", (tmp_path,)) != key
    assert shaders.compile_glsl(source, "frag", "test.frag") != first
