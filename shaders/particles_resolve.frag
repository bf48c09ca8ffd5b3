#version 450
// Resolve of the point splat: the particle that won this pixel, shaded as its sprite's fragment here would
// be (particles.frag), at its depth so that other draws compose by the depth test. The pixel is emptied for
// the next frame as it is read.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;
    vec4 light;
    vec4 params;
} frame;
layout(std430, set = 0, binding = 1) readonly buffer Positions { float positions[]; };
layout(std430, set = 0, binding = 2) readonly buffer Colors { float colors[]; };
layout(std430, set = 0, binding = 3) buffer Splat { uint64_t splat[]; };
layout(push_constant) uniform Push {
    vec4 base_color;
    uvec4 extent;
} push;

layout(location = 0) out vec4 out_color;

void main() {
    uint pixel = uint(gl_FragCoord.y) * push.extent.x + uint(gl_FragCoord.x);
    uint64_t value = splat[pixel];
    if (value == ~0UL) {
        discard;
    }
    splat[pixel] = ~0UL;
    uint i = uint(value);
    gl_FragDepth = uintBitsToFloat(uint(value >> 32));

    vec4 clip = frame.view_proj * vec4(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2], 1.0);
    float size = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
    vec2 win = (clip.xy / clip.w * 0.5 + 0.5) * vec2(push.extent.xy);
    vec2 c = 2.0 * (gl_FragCoord.xy - win) / size;  // gl_PointCoord * 2 - 1
    c.y = -c.y;
    vec3 base = push.base_color.a > 0.5 ? vec3(colors[3 * i], colors[3 * i + 1], colors[3 * i + 2])
                                        : push.base_color.rgb;
    vec3 normal = vec3(c, sqrt(max(1.0 - dot(c, c), 0.0)));
    float diffuse = max(dot(normal, normalize(frame.light.xyz)), 0.0);
    float specular = pow(max(normal.z * diffuse, 0.0), 24.0) * 0.25;
    out_color = vec4(base * frame.color.rgb * (0.25 + 0.75 * diffuse) + specular, 1.0);
}
