#version 450
// Point splatting (Schütz et al. 2021): one invocation per particle. A particle whose sprite is at most
// SPLAT_MAX_SIZE px writes (depth, index) with atomicMin into each pixel its sprite would shade, exactly as
// particles.vert + the fixed-function point + particles.frag's disc would (depth test LESS and primitive
// order: the lowest (depth, index) wins). Larger particles are appended to an indexed indirect draw of the
// sprite pipeline.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
layout(local_size_x = 128) in;

const float SPLAT_MAX_SIZE = 2.0;  // px: at most 2x2 pixels per particle

layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;
    vec4 light;
    vec4 params;    // x: radius, y: projection scale * viewport height (px), z: max point size
} frame;
layout(std430, set = 0, binding = 1) readonly buffer Positions { float positions[]; };  // vec3s, packed
layout(std430, set = 0, binding = 3) buffer Splat { uint64_t splat[]; };  // per pixel; empty: all ones
layout(std430, set = 0, binding = 4) buffer Draw {  // VkDrawIndexedIndirectCommand
    uint index_count;
    uint instance_count;
    uint first_index;
    int vertex_offset;
    uint first_instance;
} draw;
layout(std430, set = 0, binding = 5) writeonly buffer Indices { uint indices[]; };
layout(push_constant) uniform Push {
    vec4 base_color;  // rgb: colour of all particles, a: 1 when per-particle colours are bound instead
    uvec4 extent;     // x, y: frame size (px); z: particle count
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.extent.z) {
        return;
    }
    vec4 clip = frame.view_proj * vec4(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1.0);
    float size = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
    if (size > SPLAT_MAX_SIZE) {
        indices[atomicAdd(draw.index_count, 1u)] = i;
        return;
    }
    // a point outside the clip volume is discarded whole (no depth clamp)
    if (!(clip.w > 0.0) || any(greaterThan(abs(clip.xy), vec2(clip.w)))) {
        return;
    }
    vec3 ndc = clip.xyz / clip.w;
    if (!(ndc.z >= 0.0 && ndc.z <= 1.0)) {
        return;
    }
    vec2 extent = vec2(push.extent.xy);
    vec2 win = (ndc.xy * 0.5 + 0.5) * extent;
    // the sprite is the square of side `size` around `win`; it covers the pixels whose centre it contains
    ivec2 lo = ivec2(ceil(win - 0.5 * size - 0.5));
    ivec2 hi = min(ivec2(ceil(win + 0.5 * size - 0.5)), ivec2(push.extent.xy)) - 1;
    lo = max(lo, ivec2(0));
    uint64_t value = (uint64_t(floatBitsToUint(abs(ndc.z))) << 32) | uint64_t(i);  // abs: no -0.0
    for (int y = lo.y; y <= hi.y; ++y) {
        for (int x = lo.x; x <= hi.x; ++x) {
            vec2 c = 2.0 * (vec2(x, y) + 0.5 - win) / size;  // gl_PointCoord * 2 - 1 there
            if (dot(c, c) <= 1.0) {  // particles.frag discards outside the disc
                atomicMin(splat[y * push.extent.x + x], value);
            }
        }
    }
}
