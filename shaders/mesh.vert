#version 450
// A lit triangle mesh: positions, normals and colours per vertex, all written by kernels.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 light;   // xyz: direction towards the light, world space
    vec4 tint;    // multiplies the vertex colours (a: the opacity of a transparent draw)
    vec4 light_color;  // rgb: the light's colour, a: the ambient share
    mat4 model;        // the draw's transform
    mat4 normal_matrix;  // its upper 3x3's inverse transpose
} frame;

layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec4 color;  // a vec3 array gives alpha 1
#ifndef PICK  // the id pass of picking shades nothing (mesh.frag takes the triangle's index)
layout(location = 0) out vec3 v_normal;
layout(location = 1) out vec4 v_color;
#endif

void main() {
    gl_Position = frame.view_proj * (frame.model * vec4(position, 1.0));
#ifndef PICK
    v_normal = mat3(frame.normal_matrix) * normal;
    v_color = color * frame.tint;  // tint.a: the opacity of a transparent draw
#endif
}
