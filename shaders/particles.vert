#version 450
#extension GL_GOOGLE_include_directive : require
// Particles as point sprites: the sprite's diameter in pixels is the sphere's projected diameter.
#include "particle_frame.glsl"

layout(location = 0) in vec3 position;
layout(location = 1) in vec3 color;  // per particle, or one for all (instance rate)
layout(location = 0) out vec3 v_color;

void main() {
    vec4 clip = frame.view_proj * vec4(position, 1.0);
    gl_Position = clip;
    v_color = color * frame.color.rgb;
    gl_PointSize = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
}
