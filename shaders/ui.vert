#version 450
// Dear ImGui's vertices: positions in the panel's pixels, mapped to clip space by a scale and an offset.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_color;  // R8G8B8A8_UNORM

layout(push_constant) uniform Transform {
    vec2 scale;
    vec2 offset;
} transform;

layout(location = 0) out vec4 v_color;
layout(location = 1) out vec2 v_uv;

void main() {
    v_color = a_color;
    v_uv = a_uv;
    gl_Position = vec4(a_pos * transform.scale + transform.offset, 0.0, 1.0);
}
