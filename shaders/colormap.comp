#version 450
// Scalars mapped through a colormap into a vec3 colour per element (renderer/draw/colormap.py), compiled twice:
// REDUCE: the scalars' range (min, max of the finite ones) into Range with atomics, as ordered uint bits,
//         over a buffer filled with (all ones, zero) just before (the range "auto", every frame);
// MAP:    one invocation per element: t = (s - lo) / (hi - lo) clamped to 0..1, the colour interpolated
//         linearly between the table's entries t * 255 (renderer/colormaps.py sample() does the same).
layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer Scalars { float scalars[]; };
layout(std430, set = 0, binding = 1) readonly buffer Table { vec4 entries[]; };  // 256 per colormap
layout(std430, set = 0, binding = 2) buffer Range { uint range_bits[2]; };  // ordered(lo), ordered(hi)
layout(std430, set = 0, binding = 3) writeonly buffer Colors { float colors[]; };  // packed vec3s
layout(push_constant) uniform Push { uint count; uint first; } push;  // first: the colormap's first entry

// float bits that order like the floats as uints (and back)
uint ordered(float f) {
    uint b = floatBitsToUint(f);
    return (b & 0x80000000u) != 0u ? ~b : b | 0x80000000u;
}
float unordered(uint u) {
    return uintBitsToFloat((u & 0x80000000u) != 0u ? u & 0x7FFFFFFFu : ~u);
}

#ifdef REDUCE
shared uint lows[128];
shared uint highs[128];

void main() {
    uint lo = 0xFFFFFFFFu, hi = 0u;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < push.count; i += stride) {
        float s = scalars[i];
        if (!isnan(s) && !isinf(s)) {
            uint o = ordered(s);
            lo = min(lo, o);
            hi = max(hi, o);
        }
    }
    uint k = gl_LocalInvocationID.x;
    lows[k] = lo;
    highs[k] = hi;
    barrier();
    for (uint half_ = gl_WorkGroupSize.x / 2u; half_ > 0u; half_ >>= 1u) {
        if (k < half_) {
            lows[k] = min(lows[k], lows[k + half_]);
            highs[k] = max(highs[k], highs[k + half_]);
        }
        barrier();
    }
    if (k == 0u) {
        atomicMin(range_bits[0], lows[0]);
        atomicMax(range_bits[1], highs[0]);
    }
}
#else
void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    float lo = unordered(range_bits[0]), hi = unordered(range_bits[1]);
    // halves (exact) of the distances, which never overflow float32 where the bounds are as far apart as it
    // goes (-3.4e38, 3.4e38); a wide span and its offset scaled by 2^-64 (exact) too: a GPU divides by
    // multiplying with the reciprocal, which of a span above ~8.5e37 is denormal and flushed to 0 (NVIDIA's)
    precise float span = hi * 0.5 - lo * 0.5;
    precise float offset = scalars[i] * 0.5 - lo * 0.5;
    if (span > 1e30) {
        span *= 5.421010862427522e-20;
        offset *= 5.421010862427522e-20;
    }
    // no finite scalar (lo, hi not a range): the middle of the map
    float t = hi > lo ? offset / span : 0.5;
    t = clamp(isnan(t) ? 0.0 : t, 0.0, 1.0) * 255.0;
    uint k = min(uint(t), 254u);
    vec3 c = mix(entries[push.first + k].rgb, entries[push.first + k + 1u].rgb, t - float(k));
    colors[3u * i] = c.r;
    colors[3u * i + 1u] = c.g;
    colors[3u * i + 2u] = c.b;
}
#endif
