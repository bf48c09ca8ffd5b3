#version 450
// ImGui's colours are sRGB values blended as they are (its own backends do the same into UNORM targets).
layout(set = 0, binding = 0) uniform sampler2D u_texture;

layout(location = 0) in vec4 v_color;
layout(location = 1) in vec2 v_uv;

layout(location = 0) out vec4 out_color;

void main() {
    out_color = v_color * texture(u_texture, v_uv);
}
