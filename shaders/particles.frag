#version 450
#extension GL_GOOGLE_include_directive : require
// A lit sphere drawn on a point sprite: discard outside the disc, shade with the disc's normal.
#include "particle_frame.glsl"
#include "sphere_shading.glsl"

#ifdef PICK
layout(location = 1) flat in uint v_pick;
#define PICK_ELEMENT v_pick
#endif
#include "oit_output.glsl"

layout(location = 0) in vec4 v_color;

void main() {
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    if (dot(c, c) > 1.0) {
        discard;
    }
    emit(sphere_shading(v_color.rgb, c, normalize(frame.light.xyz), frame.light_color), v_color.a);
}
