#version 450
// The image kernels wrote, sampled as it is (kept in GENERAL layout, shared with Taichi).
layout(set = 0, binding = 1) uniform sampler2D image;
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;

void main() {
    out_color = vec4(texture(image, v_uv).rgb, 1.0);
}
