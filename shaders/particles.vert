#version 450
// Particles as point sprites: the sprite's diameter in pixels is the sphere's projected diameter.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;     // rgb: tint applied to the particles' colour
    vec4 light;     // xyz: direction towards the light, in view space
    vec4 params;    // x: radius (world units), y: projection scale * viewport height (px), z: max point size
} frame;

layout(location = 0) in vec3 position;
layout(location = 1) in vec3 color;  // per particle, or one for all (instance rate)
layout(location = 0) out vec3 v_color;

void main() {
    vec4 clip = frame.view_proj * vec4(position, 1.0);
    gl_Position = clip;
    v_color = color * frame.color.rgb;
    gl_PointSize = clamp(frame.params.x * frame.params.y / max(clip.w, 1e-6), 1.0, frame.params.z);
}
