// A shaded colour for a storage image write: NaN components (a kernel's colour) as 0, as the draws' colour
// attachment writes store them; a storage image write of NaN is the driver's own (lavapipe: 1). By the bits:
// a compiler may take isnan() to be false (Vulkan lets it assume no NaN).
vec3 nan_as_zero(vec3 c) {
    return mix(c, vec3(0.0), greaterThan(floatBitsToUint(c) & 0x7fffffffu, uvec3(0x7f800000u)));
}
