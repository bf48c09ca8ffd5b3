#version 450
// The frame's colour image cleared to one colour before a render pass that loads it (renderer/frame/offscreen.py
// record_compute_clear): on a GPU whose render pass clears through its graphics units, a compute write of the
// image costs a fraction of the pass's clear. The unorm conversion of the store is the clear's.
layout(local_size_x = 16, local_size_y = 16) in;

layout(rgba8, set = 0, binding = 0) uniform writeonly image2D frame;  // pushed, in GENERAL
layout(push_constant) uniform Push { vec4 color; } push;

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(p, imageSize(frame)))) {
        return;
    }
    imageStore(frame, p, push.color);
}
