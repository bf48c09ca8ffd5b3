#version 450
// Resolve of the point splat: the colour a particle's sprite would have here, at its depth, so that other
// draws compose by the depth test. All the shading was done per particle (particles_splat.comp); on a CPU
// driver every instruction here costs once per pixel of the frame.
layout(set = 0, binding = 6) uniform usamplerBuffer splat;  // (colour RGBA8, depth bits); empty: all ones
layout(push_constant) uniform Push {
    vec4 base_color;
    uvec4 extent;
} push;

layout(location = 0) out vec4 out_color;

void main() {
    uvec2 value = texelFetch(splat, int(gl_FragCoord.y) * int(push.extent.x) + int(gl_FragCoord.x)).xy;
    if (value.y == ~0u) {
        discard;
    }
    out_color = unpackUnorm4x8(value.x);
    gl_FragDepth = uintBitsToFloat(value.y);
}
