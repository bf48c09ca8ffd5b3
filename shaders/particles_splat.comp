#version 450
#extension GL_GOOGLE_include_directive : require
// Point splatting (Schütz et al. 2021), compiled four times (point_splat.py) for two or three passes a draw:
// 1. SPLAT, before the render pass, one invocation per particle: a particle whose sprite is at most
//    SPLAT_MAX_SIZE px writes (depth, id) with atomicMin into each pixel its sprite's disc covers, exactly where
//    particles.vert + the fixed-function point + particles.frag would shade (the lowest (depth, id) wins, like
//    the depth test LESS in primitive order; ids are unique across the frame's splatted draws, which share the
//    buffer). Larger particles are appended to the indexed indirect draw of the sprite pipeline.
// 2. After the render pass, each pixel this draw won goes back to empty (so the next frame finds the buffer
//    empty without a fill) and its winner, where it is nearer than what the render pass drew there (the depth
//    attachment), writes its shaded colour into the frame. Either
//    - SHADE_BY_PARTICLE: one invocation per particle, over its sprite's square (few particles per pixel), or
//    - TAKE_BY_PIXEL, one invocation per 32 pixels of the buffer, lists the (pixel, winner) pairs, then
//      SHADE_LISTED shades them, one invocation each (an indirect dispatch): for many particles per pixel,
//      where most particles lost and reading each particle and its pixels at random costs more.
// A CPU driver runs a branch under a mask for all the SIMD lanes when one takes it: costly work (shading, an
// append) is kept out of the loops over pixels and reached once per lane and winner at most.
// SPLAT's variants REDUCE_PARTITIONED and REDUCE_BALLOT (point_splat.py: where forced, as they were measured to
// cost more than the read before the atomic leaves to save): the invocations of a subgroup that splat into the
// same pixel take their minimum first, and one of them goes to memory (Schütz et al.: atomics on one pixel
// serialize). The minimum is the same, so is the image.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
#if defined(REDUCE_PARTITIONED) || defined(REDUCE_BALLOT)
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_KHR_shader_subgroup_vote : require
#extension GL_EXT_shader_subgroup_extended_types_int64 : require
#endif
#ifdef REDUCE_PARTITIONED
#extension GL_NV_shader_subgroup_partitioned : require
#elif defined(REDUCE_BALLOT)
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
layout(local_size_x = 128) in;

const float SPLAT_MAX_SIZE = 2.0;  // px: at most 2x2 pixels per particle
const uint ROW = 32u;  // TAKE_BY_PIXEL: pixels per invocation
const uint64_t EMPTY = 0xFFFFFFFFFFFFFFFFUL;  // no particle: all ones, above any (depth in [0, 1], index)
// SHADE_BY_PARTICLE's disc is this much wider (in squared radius) than SPLAT's, which a few ulps of another
// rounding of the same `precise` arithmetic stay far below
const float EDGE_SLACK = 1.0 / 256.0;

#include "particle_frame.glsl"
layout(std430, set = 0, binding = 1) readonly buffer Positions { float positions[]; };  // packed vec3s
layout(std430, set = 0, binding = 2) readonly buffer Colors { float colors[]; };  // packed vec3s, or none
#ifdef RADII
// per-particle radii (world units; frame.params.x is then 1), as particles.vert's RADII variant reads them
layout(std430, set = 0, binding = 5) readonly buffer Radii { float radii[]; };
#endif
// set 1: the frame's, shared by the frame's splatted draws
layout(std430, set = 1, binding = 0) buffer Splat { uint64_t splat[]; };  // per pixel, in tiles
#ifdef WORD_READS
// the same buffer as 32-bit words (pixel p: id 2p, depth 2p + 1), read on a CPU driver: llvmpipe loads each SIMD
// lane's value at its own address in a loop, and 64-bit values cost it more (1M particles: 28.3 -> 25.1 ms)
layout(std430, set = 1, binding = 0) buffer SplatWords { uint splat_words[]; };
uint id_at(uint pixel) {
    return splat_words[2u * pixel];
}
#else
uint id_at(uint pixel) {
    return uint(splat[pixel]);
}
#endif
#if defined(SHADE_BY_PARTICLE) || defined(SHADE_LISTED)
layout(set = 1, binding = 1) uniform writeonly image2D target;  // the frame's colour (RGBA8 or BGRA8)
layout(set = 1, binding = 2) uniform sampler2D scene_depth;     // what the render pass drew
#endif
// the frame's count of its splatted draws that drew in the render pass (listed large particles or triangles),
// zeroed before its first SPLAT: each SPLAT adds its draw; where the pass's depth clear hung on it
// (push.depth_if_drawn), the shading after the pass reads it
layout(std430, set = 1, binding = 4) buffer PassDraws { uint pass_draws; };
#if defined(TAKE_BY_PIXEL) || defined(SHADE_LISTED)
// x: pixel x | pixel y << 16; y: the particle's index in the draw
layout(std430, set = 1, binding = 3) buffer Winners { uvec2 winners[]; };
#endif
layout(std430, set = 0, binding = 3) buffer Draw {  // this draw's indirect commands, emptied before pass 1
    uint index_count;  // VkDrawIndexedIndirectCommand of the large particles' sprites
    uint instance_count;
    uint first_index;
    int vertex_offset;
    uint first_instance;
    layout(offset = 32) uvec3 shade_groups;  // VkDispatchIndirectCommand of SHADE_LISTED
    uint listed;  // winners listed by TAKE_BY_PIXEL
} draw;
#ifdef SPLAT
layout(std430, set = 0, binding = 4) writeonly buffer Indices { uint indices[]; };
#endif
layout(push_constant) uniform Push {
    vec4 base_color;  // rgb: colour of all particles; a: 1 when per-particle colours are bound instead
    uvec4 extent;     // x, y: frame size (px); z: particle count; w: the frame-wide id of particle 0
    // 1: the render pass cleared and drew the depth only if one of the frame's splatted draws listed large
    // particles or triangles (its only draws, frame/offscreen.py): pass_draws; with none, the depth is stale,
    // and nothing was drawn in front
    uint depth_if_drawn;
} push;

// where fixed-function points would draw particle i
struct Sprite {
    float depth;  // in [0, 1], never -0.0, so the float's bits order like the depths
    vec2 win;     // centre, in pixels
    float size;   // side, in pixels
};

const uint SPLATTED = 0u, LARGE = 1u, DISCARDED = 2u;

// `precise`: SPLAT and SHADE_BY_PARTICLE must find the same particles, pixels and depths, or a pixel that
// SPLAT wrote would never be taken back to empty
uint project(uint i, out Sprite s) {
    vec4 position = vec4(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1.0);
    precise vec4 clip = frame.view_proj * position;
#ifdef RADII
    precise float size =
        clamp(frame.params.x * radii[i] * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
#else
    precise float size = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
#endif
    s.size = size;
    if (size > SPLAT_MAX_SIZE) {
        return LARGE;
    }
    // a point outside the clip volume is discarded whole (no depth clamp)
    if (!(clip.w > 0.0) || any(greaterThan(abs(clip.xy), vec2(clip.w)))) {
        return DISCARDED;
    }
    precise vec3 ndc = clip.xyz / clip.w;
    if (!(ndc.z >= 0.0 && ndc.z <= 1.0)) {
        return DISCARDED;
    }
    precise vec2 win = (ndc.xy * 0.5 + 0.5) * vec2(push.extent.xy);
    s.win = win;
    s.depth = abs(ndc.z);
    return SPLATTED;
}

// The buffer is laid out in 32x16-pixel tiles of 4 KiB, row by row: nearby particles share memory pages and
// cache lines (10k particles at 1280x720 on lavapipe: ~10% less time than rows of pixels).
uint tiled(uint x, uint y) {
    return ((y >> 4) * ((push.extent.x + 31u) >> 5) + (x >> 5)) * 512u + (y & 15u) * 32u + (x & 31u);
}

uint64_t key(Sprite s, uint i) {
    return (uint64_t(floatBitsToUint(s.depth)) << 32) | uint64_t(push.extent.w + i);
}

// The particle passes (SPLAT, SHADE_BY_PARTICLE) cover more particles than one row of workgroups can
// (maxComputeWorkGroupCount[0]): the dispatch is a grid of rows, counted row by row, and each workgroup takes
// BATCH runs of 128 consecutive particles, one after the other (point_splat.py: consecutive particles of a
// simulation are often near each other, so the pixels of a workgroup's runs share its cache).
#ifndef BATCH
#define BATCH 1u
#endif
uint workgroup_index() {
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

// The pixels whose centre the sprite's square contains: from `lo`, at most 2x2 (its side is at most
// SPLAT_MAX_SIZE), in the frame; `hi` is the last (inclusive). SPLAT and SHADE_BY_PARTICLE share it.
void square(Sprite s, out ivec2 lo, out ivec2 hi) {
    lo = max(ivec2(ceil(s.win - 0.5 * s.size - 0.5)), ivec2(0));
    hi = min(min(ivec2(ceil(s.win + 0.5 * s.size - 0.5)), ivec2(push.extent.xy)) - 1, lo + 1);
}

// The pixels of the 2x2 from `lo` (to `hi`) whose centre is in the sprite's disc (particles.frag discards
// outside it) of squared radius `edge`, as bits k: pixel lo + (k & 1, k >> 1).
uint disc(Sprite s, ivec2 lo, ivec2 hi, float edge) {
    uint covered = 0u;
    for (uint k = 0u; k < 4u; ++k) {
        ivec2 xy = lo + ivec2(k & 1u, k >> 1u);
        precise vec2 c = 2.0 * (vec2(xy) + 0.5 - s.win) / s.size;  // gl_PointCoord * 2 - 1 there
        if (all(lessThanEqual(xy, hi)) && dot(c, c) <= edge) {
            covered |= 1u << k;
        }
    }
    return covered;
}

#ifdef SPLAT
// Whether `mine` is below what the pixel holds: a read first, as where many particles share a pixel most are
// behind (or, at the same depth, after) what is there already and need no atomic (nor a reduction). The whole
// key decides: a 2D simulation seen head-on has one depth for all. A plain read, which the GPU's L1 serves
// (an atomic load goes to L2: the H100's splat of 100M particles took 2.7x as long); should a device's 64-bit
// read ever meet an atomicMin halfway and see the halves of two values, the one key it could wrongly find
// below `mine` has `mine`'s depth, so at worst a tie of two depths goes to the other particle.
bool below(uint pixel, uint64_t mine) {
#ifdef WORD_READS
    // the depth word alone, which a concurrent atomic cannot tear: a nearer depth there holds a key below `mine`
    // now and later (keys only fall); at the same depth the atomic decides
    return splat_words[2u * pixel + 1u] >= uint(mine >> 32);
#else
    return splat[pixel] > mine;
#endif
}

// `mine` into `pixel` if `covers`: every invocation of the subgroup calls this at the same step. With a
// reduction, each value written is the minimum of some invocations' keys for that pixel, and every key is
// covered by one of them: the pixel's minimum is the same however the subgroup is split.
void splat_pixel(bool covers, uint pixel, uint64_t mine) {
    covers = covers && below(pixel, mine);
#if defined(REDUCE_PARTITIONED)
    if (subgroupAny(covers)) {  // the partition costs more than the read: only where an atomic is left to do
        // the invocations with the same pixel (those that cover none form one more partition, which writes
        // nothing)
        uvec4 same = subgroupPartitionNV(covers ? pixel : 0xFFFFFFFFu);
        mine = subgroupPartitionedMinNV(covers ? mine : EMPTY, same);
        covers = covers && subgroupBallotFindLSB(same) == gl_SubgroupInvocationID;
    }
#elif defined(REDUCE_BALLOT)
    // the pixel of the first invocation still to write, while others share it: their minimum, written once; from
    // the first pixel no other invocation shares, each writes its own (spread particles: one round)
    while (covers) {
        uint first = subgroupBroadcastFirst(pixel);
        bool same = pixel == first;
        if (subgroupBallotBitCount(subgroupBallot(same)) == 1u) {
            break;
        }
        if (same) {
            uint64_t least = subgroupMin(mine);
            covers = false;
            if (subgroupElect()) {
                atomicMin(splat[pixel], least);
            }
        }
    }
#endif
    if (covers) {
        atomicMin(splat[pixel], mine);
    }
}
#endif


#if defined(SHADE_BY_PARTICLE) || defined(SHADE_LISTED)
#include "sphere_shading.glsl"
#include "nan_as_zero.glsl"

// particles.frag's shading of particle i at pixel xy, where it is in front of what the render pass drew
void shade(uint i, Sprite s, ivec2 xy) {
    bool nothing_drawn = push.depth_if_drawn != 0u && pass_draws == 0u;
    float drawn = nothing_drawn ? 1.0 : texelFetch(scene_depth, xy, 0).r;  // 1: the depth cleared
    if (!(s.depth < drawn)) {
        return;
    }
    vec3 base = push.base_color.a > 0.5 ? vec3(colors[3 * i], colors[3 * i + 1], colors[3 * i + 2])
                                        : push.base_color.rgb;
    base *= frame.color.rgb;
    vec2 c = 2.0 * (vec2(xy) + 0.5 - s.win) / s.size;
    // the particle won this pixel: in the disc by SPLAT's rounding, whatever this compilation's (the shading
    // clamps what is outside it to the disc's edge)
    vec3 shaded = sphere_shading(base, c, normalize(frame.light.xyz), frame.light_color);
    imageStore(target, xy, vec4(nan_as_zero(shaded), 1.0));
}
#endif

#if !defined(SHADE_LISTED) && !defined(TAKE_BY_PIXEL)
// SPLAT or SHADE_BY_PARTICLE of particle i
void particle(uint i) {
    Sprite s;
    uint kind = project(i, s);
    if (kind == LARGE) {
#ifdef SPLAT
        uint k = atomicAdd(draw.index_count, 1u);
        indices[k] = i;
        if (k == 0u) {
            atomicAdd(pass_draws, 1u);  // this draw's first: the pass draws
        }
#endif
        return;
    }
    if (kind == DISCARDED) {
        return;
    }
    ivec2 lo, hi;
    square(s, lo, hi);
    uint64_t mine = key(s, i);
#ifdef SPLAT
    uint covered = disc(s, lo, hi, 1.0);
    // one covered pixel a step, in steps every invocation of the subgroup takes (the reduction meets them at
    // each): as many as the most any of them covers (a particle of at most a pixel: mostly one)
#if defined(REDUCE_PARTITIONED) || defined(REDUCE_BALLOT)
    while (subgroupAny(covered != 0u)) {
#else
    while (covered != 0u) {
#endif
        uint k = uint(findLSB(covered)) & 3u;
        bool covers = covered != 0u;
        covered &= covered - 1u;
        ivec2 xy = lo + ivec2(k & 1u, k >> 1u);
        splat_pixel(covers, tiled(uint(xy.x), uint(xy.y)), mine);
    }
#else
    // the disc SPLAT covered, widened by a hair: what SPLAT wrote goes back to empty however this compilation
    // rounds the disc's edge; a plain read first, as most particles lost, then a plain write, as only this
    // particle's (unique) key can match
    uint won = disc(s, lo, hi, 1.0 + EDGE_SLACK);  // bit k: this particle won pixel lo + (k & 1, k >> 1)
    for (uint left = won; left != 0u; left &= left - 1u) {
        uint k = findLSB(left);
        ivec2 xy = lo + ivec2(k & 1u, k >> 1u);
        uint pixel = tiled(uint(xy.x), uint(xy.y));
        if (id_at(pixel) == uint(mine)) {  // ids are unique in the frame: the key is `mine`
            splat[pixel] = EMPTY;
        } else {
            won &= ~(1u << k);
        }
    }
    while (won != 0u) {  // from winner to winner
        uint k = findLSB(won);
        won &= won - 1u;
        shade(i, s, lo + ivec2(k & 1u, k >> 1u));
    }
#endif
}
#endif

void main() {
#if defined(SHADE_LISTED)
    uint k = gl_GlobalInvocationID.x;
    if (k >= draw.listed) {
        return;
    }
    uvec2 winner = winners[k];
    Sprite s;
    project(winner.y, s);  // SPLATTED: it won a pixel
    shade(winner.y, s, ivec2(winner.x & 0xFFFFu, winner.x >> 16));
#elif defined(TAKE_BY_PIXEL)
    // ROW pixels per invocation, a workgroup's pixels side by side at each step (the SIMD lanes' loads are
    // contiguous), from winner to winner
    uint tiles_x = (push.extent.x + 31u) >> 5, pixels = tiles_x * ((push.extent.y + 15u) >> 4) * 512u;
    uint pixel = gl_WorkGroupID.x * gl_WorkGroupSize.x * ROW + gl_LocalInvocationID.x;
    uint end = min(pixel + gl_WorkGroupSize.x * ROW, pixels);
    for (;;) {
        uint i = 0u;
        for (; pixel < end; pixel += gl_WorkGroupSize.x) {
            // wraps around for another draw's particle and for EMPTY (as are the pixels outside the frame)
            i = id_at(pixel) - push.extent.w;
            if (i < push.extent.z) {
                break;
            }
        }
        if (pixel >= end) {
            break;
        }
        splat[pixel] = EMPTY;  // this invocation's pixel alone
        uint k = atomicAdd(draw.listed, 1u);
        if (k % gl_WorkGroupSize.x == 0u) {
            atomicAdd(draw.shade_groups.x, 1u);
        }
        uint tile = pixel >> 9;
        uvec2 xy = uvec2(tile % tiles_x * 32u + (pixel & 31u), tile / tiles_x * 16u + ((pixel >> 5) & 15u));
        winners[k] = uvec2(xy.x | (xy.y << 16), i);
        pixel += gl_WorkGroupSize.x;
    }
#else
    for (uint run = 0u; run < BATCH; ++run) {
        uint i = (workgroup_index() * BATCH + run) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
        if (i >= push.extent.z) {
            return;  // and so are the later runs
        }
        particle(i);
    }
#endif
}
