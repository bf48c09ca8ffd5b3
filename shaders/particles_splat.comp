#version 450
// Point splatting (Schütz et al. 2021), one invocation per particle, compiled twice (point_splat.py):
// - as it is, before the render pass: a particle whose sprite is at most SPLAT_MAX_SIZE px writes (depth,
//   id) with atomicMin into each pixel its sprite's disc covers, exactly where particles.vert + the
//   fixed-function point + particles.frag would shade (the lowest (depth, id) wins, like the depth test LESS
//   in primitive order; ids are unique across the frame's splatted draws, which share the buffer). Larger
//   particles are appended to the indexed indirect draw of the sprite pipeline.
// - with SHADE, after the render pass: where a particle won, it takes its pixel back to empty (so the next
//   frame finds the buffer empty without a fill) and, if it is nearer than what the render pass drew there
//   (the depth attachment), writes its shaded colour into the frame. Nothing costs per pixel of the frame.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
layout(local_size_x = 128) in;

const float SPLAT_MAX_SIZE = 2.0;  // px: at most 2x2 pixels per particle
const uint64_t EMPTY = 0xFFFFFFFFFFFFFFFFUL;  // no particle: all ones, above any (depth in [0, 1], index)

layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;     // rgb: tint
    vec4 light;     // xyz: direction towards the light, in view space
    vec4 params;    // x: radius, y: projection scale * viewport height (px), z: max point size
} frame;
layout(std430, set = 0, binding = 1) readonly buffer Positions { float positions[]; };  // packed vec3s
layout(std430, set = 0, binding = 2) readonly buffer Colors { float colors[]; };  // packed vec3s, or none
// set 1: the frame's, shared by the frame's splatted draws
layout(std430, set = 1, binding = 0) buffer Splat { uint64_t splat[]; };  // per pixel, in tiles
#ifdef SHADE
layout(set = 1, binding = 1) uniform writeonly image2D target;  // the frame's colour (RGBA8 or BGRA8)
layout(set = 1, binding = 2) uniform sampler2D scene_depth;     // what the render pass drew
#else
layout(std430, set = 0, binding = 3) buffer Draw {  // VkDrawIndexedIndirectCommand
    uint index_count;
    uint instance_count;
    uint first_index;
    int vertex_offset;
    uint first_instance;
} draw;
layout(std430, set = 0, binding = 4) writeonly buffer Indices { uint indices[]; };
#endif
layout(push_constant) uniform Push {
    vec4 base_color;  // rgb: colour of all particles; a: 1 when per-particle colours are bound instead
    uvec4 extent;     // x, y: frame size (px); z: particle count; w: the frame-wide id of particle 0
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.extent.z) {
        return;
    }
    // `precise`: both compilations of this file must find the same particles, pixels and depths, or a pixel
    // that pass 0 wrote would never be taken back to empty
    vec4 position = vec4(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1.0);
    precise vec4 clip = frame.view_proj * position;
    precise float size = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
    if (size > SPLAT_MAX_SIZE) {
#ifndef SHADE
        indices[atomicAdd(draw.index_count, 1u)] = i;
#endif
        return;
    }
    // a point outside the clip volume is discarded whole (no depth clamp)
    if (!(clip.w > 0.0) || any(greaterThan(abs(clip.xy), vec2(clip.w)))) {
        return;
    }
    precise vec3 ndc = clip.xyz / clip.w;
    if (!(ndc.z >= 0.0 && ndc.z <= 1.0)) {
        return;
    }
    precise vec2 win = (ndc.xy * 0.5 + 0.5) * vec2(push.extent.xy);
    // the sprite is the square of side `size` around `win`; it covers the pixels whose centre it contains
    ivec2 lo = max(ivec2(ceil(win - 0.5 * size - 0.5)), ivec2(0));
    ivec2 hi = min(ivec2(ceil(win + 0.5 * size - 0.5)), ivec2(push.extent.xy)) - 1;
    float depth = abs(ndc.z);  // abs: no -0.0, so the float's bits order like the depths
    uint64_t mine = (uint64_t(floatBitsToUint(depth)) << 32) | uint64_t(push.extent.w + i);
    uint won = 0u;  // SHADE: bit k: this particle won pixel (lo.x + (k & 1), lo.y + (k >> 1))
    for (int y = lo.y; y <= hi.y; ++y) {
        for (int x = lo.x; x <= hi.x; ++x) {
            // 32x16-pixel tiles of 4 KiB, row by row: nearby particles share memory pages and cache lines
            // (10k particles at 1280x720 on lavapipe: ~10% less time than rows of pixels)
            uint pixel = ((uint(y) >> 4) * ((push.extent.x + 31u) >> 5) + (uint(x) >> 5)) * 512u
                       + (uint(y) & 15u) * 32u + (uint(x) & 31u);
#ifdef SHADE
            // the whole square, not only the disc: what pass 0 wrote goes back to empty however this
            // compilation rounds the disc's edge; a plain read first, as most particles lost, and atomics
            // on a contended pixel serialize
            if (splat[pixel] == mine && atomicCompSwap(splat[pixel], mine, EMPTY) == mine) {
                won |= 1u << ((y - lo.y) * 2 + (x - lo.x));
            }
#else
            precise vec2 c = 2.0 * (vec2(x, y) + 0.5 - win) / size;  // gl_PointCoord * 2 - 1 there
            if (dot(c, c) > 1.0) {  // particles.frag discards outside the disc
                continue;
            }
            atomicMin(splat[pixel], mine);
#endif
        }
    }
#ifdef SHADE
    if (won == 0u) {
        return;
    }
    // particles.frag's shading, where this particle is in front of what the render pass drew. Only after the
    // coverage loop: inside it, a CPU driver (SIMD lanes under a mask) ran the shading for every particle
    // (1M particles on lavapipe: 89 -> 68 ms a frame).
    vec3 base = push.base_color.a > 0.5 ? vec3(colors[3 * i], colors[3 * i + 1], colors[3 * i + 2])
                                        : push.base_color.rgb;
    base *= frame.color.rgb;
    vec3 light = normalize(frame.light.xyz);
    for (uint k = 0u; k < 4u; ++k) {
        ivec2 xy = lo + ivec2(k & 1u, k >> 1u);
        if ((won & (1u << k)) == 0u || !(depth < texelFetch(scene_depth, xy, 0).r)) {
            continue;
        }
        vec2 c = 2.0 * (vec2(xy) + 0.5 - win) / size;
        // won: in the disc by pass 0's rounding, whatever this one's
        vec3 normal = vec3(c.x, -c.y, sqrt(max(1.0 - dot(c, c), 0.0)));
        float diffuse = max(dot(normal, light), 0.0);
        float specular = pow(max(normal.z * diffuse, 0.0), 24.0) * 0.25;
        imageStore(target, xy, vec4(base * (0.25 + 0.75 * diffuse) + specular, 1.0));
    }
#endif
}
