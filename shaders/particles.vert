#version 450
#extension GL_GOOGLE_include_directive : require
// Particles as point sprites: the sprite's diameter in pixels is the sphere's projected diameter.
#include "particle_frame.glsl"

layout(location = 0) in vec3 position;
layout(location = 1) in vec4 color;  // per particle, or one for all (instance rate); a vec3 array gives alpha 1
#ifdef PICK
layout(location = 1) flat out uint v_pick;  // the particle's index, for the id pass of picking (which shades nothing)
#else
layout(location = 0) out vec4 v_color;
#endif
#ifdef RADII
layout(location = 2) in float radius;  // per particle (world units); frame.params.x is then 1
#endif

void main() {
    vec4 clip = frame.view_proj * vec4(position, 1.0);
    gl_Position = clip;
#ifdef PICK
    v_pick = uint(gl_VertexIndex);  // drawn from index 0, or through the splat's list of indices
#else
    v_color = color * frame.color;  // frame.color.a: the draw's opacity
#endif
#ifdef RADII
    gl_PointSize = clamp(frame.params.x * radius * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
#else
    gl_PointSize = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
#endif
}
