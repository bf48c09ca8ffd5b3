#version 450
#extension GL_GOOGLE_include_directive : require
// Instances are shaded as meshes (mesh.frag): two-sided Lambert with an ambient share.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 light;
    vec4 tint;
    vec4 light_color;  // rgb: the light's colour, a: the ambient share
} frame;

layout(location = 0) in vec3 v_normal;
layout(location = 1) in vec4 v_color;
#ifdef PICK
layout(location = 2) flat in uint v_pick;
#define PICK_ELEMENT v_pick
#endif
#include "oit_output.glsl"

void main() {
    float len = length(v_normal);
    vec3 n = len > 1e-12 ? v_normal / len : vec3(0.0, 1.0, 0.0);
    float diffuse = abs(dot(n, normalize(frame.light.xyz)));
    float ambient = frame.light_color.a;
    emit(v_color.rgb * (ambient + (1.0 - ambient) * diffuse * frame.light_color.rgb), v_color.a);
}
