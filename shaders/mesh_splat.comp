#version 450
// Triangle splatting (renderer/draw/triangle_splat.py): mesh.vert + the fixed-function rasterizer + mesh.frag
// for the opaque triangles of a mesh that cover few pixel centres, as compute passes that share the point splat's
// per-pixel buffer (particles_splat.comp: uint64 (depth bits << 32 | frame-wide id), all ones empty), compiled
// three times:
// - TRANSFORM, before the render pass, one invocation per vertex: its window position, depth and clip w into
//   `screen` (each vertex is shared by ~6 triangles: the other passes read it there);
// - SPLAT, one invocation per triangle: a triangle whose snapped bounding box holds at most MAX_SPAN x MAX_SPAN
//   pixel centres goes with atomicMin into each centre it covers, by the rasterizer's rules (vertices snapped to
//   8 subpixel bits, the top-left fill rule, both windings: MeshDraw culls none); any other (larger, or with a
//   vertex behind the eye or outside the depth range, which the rasterizer clips) has its indices appended to
//   an indexed indirect draw that the render pass draws with mesh.vert and mesh.frag;
// - RESOLVE, after the render pass, one invocation per pixel: a pixel this draw won goes back to empty (so the
//   next frame finds the buffer empty), and where its triangle is nearer than the render pass's depth (the
//   depth test LESS), mesh.frag's shading of it (normal and colour interpolated perspective-correct) goes into
//   the frame's colour image.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
#extension GL_GOOGLE_include_directive : require
#include "nan_as_zero.glsl"
layout(local_size_x = 128) in;

const int MAX_SPAN = 3;  // pixel centres per side of a splatted triangle's box (triangle_splat.py: MAX_SPAN)
const int SUBPIXEL = 256;  // llvmpipe snaps vertices to 1/256 px (subPixelPrecisionBits 8)
const uint64_t EMPTY = 0xFFFFFFFFFFFFFFFFUL;

layout(set = 0, binding = 0) uniform Frame {  // MeshDraw.UNIFORMS
    mat4 view_proj;
    vec4 light;
    vec4 tint;
    vec4 light_color;
    mat4 model;
    mat4 normal_matrix;
} frame;
layout(std430, set = 0, binding = 1) readonly buffer Positions { float positions[]; };
layout(std430, set = 0, binding = 2) readonly buffer Normals { float normals[]; };
layout(std430, set = 0, binding = 3) readonly buffer Indices { uint indices[]; };
layout(std430, set = 0, binding = 4) readonly buffer Colors { float colors[]; };  // vec3s, or none
layout(std430, set = 0, binding = 5) buffer Draw {  // VkDrawIndexedIndirectCommand of the large triangles
    uint index_count;
    uint instance_count;
    uint first_index;
    int vertex_offset;
    uint first_instance;
} draw;
layout(std430, set = 0, binding = 6) writeonly buffer Large { uint large[]; };
layout(std430, set = 0, binding = 7) buffer Screen { vec4 screen[]; };  // per vertex: TRANSFORM's
layout(std430, set = 1, binding = 0) buffer Splat { uint64_t splat[]; };
// the frame's count of its splatted draws that drew in the render pass (particles_splat.comp)
layout(std430, set = 1, binding = 4) buffer PassDraws { uint pass_draws; };
#ifdef RESOLVE
layout(set = 1, binding = 1) uniform writeonly image2D target;
layout(set = 1, binding = 2) uniform sampler2D scene_depth;
#endif
layout(push_constant) uniform Push {
    vec4 base_color;  // rgb: the colour of all vertices; a: 1 when per-vertex colours are bound instead
    uvec4 extent;     // x, y: frame size; z: triangles (TRANSFORM: vertices); w: the frame-wide id of triangle 0
    // 1: the render pass cleared and drew the depth only if one of the frame's splatted draws listed large
    // triangles or particles (its only draws, frame/offscreen.py): pass_draws; with none, the depth is stale,
    // and nothing was drawn in front
    uint depth_if_drawn;
} push;

// Where the rasterizer puts vertex v: window x, y (px), depth, clip w; w = 0 where the vertex is behind the
// eye or outside the depth range (the rasterizer clips such triangles; they are drawn by it).
vec4 transformed(uint v) {
    vec4 p = vec4(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2], 1.0);
    precise vec4 clip = frame.view_proj * (frame.model * p);
    if (!(clip.w > 0.0 && clip.z >= 0.0 && clip.z <= clip.w)) {
        return vec4(0.0);
    }
    precise vec3 ndc = clip.xyz / clip.w;
    vec2 half_size = 0.5 * vec2(push.extent.xy);
    precise vec2 win = ndc.xy * half_size + half_size;  // the viewport transform
    return vec4(win, ndc.z, clip.w);
}

uint tiled(uint x, uint y) {  // as particles_splat.comp
    return ((y >> 4) * ((push.extent.x + 31u) >> 5) + (x >> 5)) * 512u + (y & 15u) * 32u + (x & 31u);
}

// The passes cover more elements than one row of workgroups can (maxComputeWorkGroupCount[0]): the
// dispatch is a grid of rows, element i in workgroup i / 128 counted row by row
uint element_index() {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}

int cross2(ivec2 a, ivec2 b) {
    return a.x * b.y - a.y * b.x;
}

// the top-left rule, for an edge (dx, dy) of a triangle whose inside is on its positive side (y down): a left
// edge goes up, a top edge is horizontal and goes right; a pixel centre on such an edge is covered
int on_edge_covered(ivec2 d) {
    return (d.y < 0 || (d.y == 0 && d.x > 0)) ? 1 : 0;
}

void main() {
#if defined(TRANSFORM)
    uint v = element_index();
    if (v < push.extent.z) {
        screen[v] = transformed(v);
    }
#elif defined(SPLAT)
    uint t = element_index();
    if (t >= push.extent.z) {
        return;
    }
    uvec3 tri = uvec3(indices[3 * t], indices[3 * t + 1], indices[3 * t + 2]);
    vec4 a = screen[tri.x], b = screen[tri.y], c = screen[tri.z];
    vec2 lo_f = min(min(a.xy, b.xy), c.xy), hi_f = max(max(a.xy, b.xy), c.xy);
    // small enough to snap in ints (and not NaN), all vertices in the depth range, at most MAX_SPAN + 1 px wide
    bool small = a.w > 0.0 && b.w > 0.0 && c.w > 0.0 && all(greaterThan(lo_f, vec2(-1e6)))
        && all(lessThan(hi_f, vec2(1e6))) && all(lessThanEqual(hi_f - lo_f, vec2(float(MAX_SPAN + 1))));
    ivec2 p0, p1, p2, lo, hi;
    if (small) {
        // snapped to the subpixel grid, pixel centres on whole multiples of SUBPIXEL
        p0 = ivec2(roundEven((a.xy - 0.5) * float(SUBPIXEL)));
        p1 = ivec2(roundEven((b.xy - 0.5) * float(SUBPIXEL)));
        p2 = ivec2(roundEven((c.xy - 0.5) * float(SUBPIXEL)));
        ivec2 box_lo = min(min(p0, p1), p2), box_hi = max(max(p0, p1), p2);
        lo = (box_lo + (SUBPIXEL - 1)) >> 8;  // the pixel centres in the box (arithmetic shifts: floor / 256)
        hi = box_hi >> 8;
        small = all(lessThanEqual(hi - lo, ivec2(MAX_SPAN - 1)));
    }
    if (!small) {
        uint k = atomicAdd(draw.index_count, 3u);
        if (k == 0u) {
            atomicAdd(pass_draws, 1u);  // this draw's first: the pass draws
        }
        large[k] = tri.x;
        large[k + 1u] = tri.y;
        large[k + 2u] = tri.z;
        return;
    }
    // relative to the first centre: small ints, exact products
    ivec2 origin = lo * SUBPIXEL;
    p0 -= origin;
    p1 -= origin;
    p2 -= origin;
    int area = cross2(p1 - p0, p2 - p0);
    if (area == 0) {
        return;  // covers no centre
    }
    if (area < 0) {  // the other winding: the same triangle, inside positive
        ivec2 s = p1;
        p1 = p2;
        p2 = s;
        vec4 sv = b;
        b = c;
        c = sv;
        area = -area;
    }
    ivec2 d01 = p1 - p0, d12 = p2 - p1, d20 = p0 - p2;
    int bias01 = on_edge_covered(d01) - 1, bias12 = on_edge_covered(d12) - 1, bias20 = on_edge_covered(d20) - 1;
    ivec2 first = max(lo, ivec2(0)), last = min(hi, ivec2(push.extent.xy) - 1);
    uint id = push.extent.w + t;
    for (int y = first.y; y <= last.y; ++y) {
        for (int x = first.x; x <= last.x; ++x) {
            ivec2 p = (ivec2(x, y) - lo) * SUBPIXEL;
            int e01 = cross2(d01, p - p0), e12 = cross2(d12, p - p1), e20 = cross2(d20, p - p2);
            if (e01 + bias01 >= 0 && e12 + bias12 >= 0 && e20 + bias20 >= 0) {
                // depth: linear in window space, weights from the snapped edges
                float z = (float(e12) * a.z + float(e20) * b.z + float(e01) * c.z) / float(area);
                uint64_t mine = (uint64_t(floatBitsToUint(abs(clamp(z, 0.0, 1.0)))) << 32) | uint64_t(id);
                uint pixel = tiled(uint(x), uint(y));
                // a read first, whole keys compared: most triangles of a dense mesh are behind (see
                // particles_splat.comp `below`)
                if (splat[pixel] > mine) {
                    atomicMin(splat[pixel], mine);
                }
            }
        }
    }
#elif defined(RESOLVE)
    uint tiles_x = (push.extent.x + 31u) >> 5;
    uint pixel = element_index();
    if (pixel >= tiles_x * ((push.extent.y + 15u) >> 4) * 512u) {
        return;
    }
    uint64_t value = splat[pixel];
    uint t = uint(value) - push.extent.w;  // wraps around for another draw's and for EMPTY
    if (t >= push.extent.z) {
        return;
    }
    splat[pixel] = EMPTY;
    uint tile = pixel >> 9;
    ivec2 xy = ivec2(tile % tiles_x * 32u + (pixel & 31u), tile / tiles_x * 16u + ((pixel >> 5) & 15u));
    bool nothing_drawn = push.depth_if_drawn != 0u && pass_draws == 0u;
    float drawn = nothing_drawn ? 1.0 : texelFetch(scene_depth, xy, 0).r;  // 1: the depth cleared
    if (!(uintBitsToFloat(uint(value >> 32)) < drawn)) {
        return;  // the render pass drew something nearer (depth test LESS)
    }
    uvec3 tri = uvec3(indices[3 * t], indices[3 * t + 1], indices[3 * t + 2]);
    vec4 a = screen[tri.x], b = screen[tri.y], c = screen[tri.z];
    // window-space weights at the pixel centre, then perspective-correct ones (smooth interpolation)
    vec2 centre = vec2(xy) + 0.5;
    vec2 pa = a.xy - centre, pb = b.xy - centre, pc = c.xy - centre;
    vec3 w = vec3(pb.x * pc.y - pb.y * pc.x, pc.x * pa.y - pc.y * pa.x, pa.x * pb.y - pa.y * pb.x);
    w /= vec3(a.w, b.w, c.w);
    w /= w.x + w.y + w.z;
    vec3 n = w.x * vec3(normals[3 * tri.x], normals[3 * tri.x + 1], normals[3 * tri.x + 2])
        + w.y * vec3(normals[3 * tri.y], normals[3 * tri.y + 1], normals[3 * tri.y + 2])
        + w.z * vec3(normals[3 * tri.z], normals[3 * tri.z + 1], normals[3 * tri.z + 2]);
    n = mat3(frame.normal_matrix) * n;
    vec3 base = push.base_color.rgb;
    if (push.base_color.a > 0.5) {
        base = w.x * vec3(colors[3 * tri.x], colors[3 * tri.x + 1], colors[3 * tri.x + 2])
            + w.y * vec3(colors[3 * tri.y], colors[3 * tri.y + 1], colors[3 * tri.y + 2])
            + w.z * vec3(colors[3 * tri.z], colors[3 * tri.z + 1], colors[3 * tri.z + 2]);
    }
    base *= frame.tint.rgb;
    // mesh.frag
    float len = length(n);
    n = len > 1e-12 ? n / len : vec3(0.0, 1.0, 0.0);
    float diffuse = abs(dot(n, normalize(frame.light.xyz)));
    float ambient = frame.light_color.a;
    vec3 shaded = base * (ambient + (1.0 - ambient) * diffuse * frame.light_color.rgb);
    imageStore(target, xy, vec4(nan_as_zero(shaded), 1.0));
#endif
}
