#version 450
// A mesh drawn at many instances: position, orientation, scale and colour per instance (instances.py).
// QUATERNION: the orientation is a vec4 quaternion (x, y, z, w), else a vec3 direction for the mesh's +Z axis.
// SCALE3: the scale is a vec3 (along the mesh's axes), else one float.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 light;
    vec4 tint;
    vec4 light_color;
    mat4 model;          // the draw's transform
    mat4 normal_matrix;  // its upper 3x3's inverse transpose
} frame;

layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec3 offset;
#ifdef QUATERNION
layout(location = 3) in vec4 rotation;
#else
layout(location = 3) in vec3 direction;
#endif
#ifdef SCALE3
layout(location = 4) in vec3 scale;
#else
layout(location = 4) in float scale;
#endif
layout(location = 5) in vec4 color;  // a vec3 array gives alpha 1
#ifdef PICK
layout(location = 2) flat out uint v_pick;  // the instance, for the id pass of picking (which shades nothing)
#else
layout(location = 0) out vec3 v_normal;
layout(location = 1) out vec4 v_color;
#endif

mat3 orientation() {
#ifdef QUATERNION
    float len = length(rotation);
    vec4 q = len > 0.0 ? rotation / len : vec4(0.0, 0.0, 0.0, 1.0);
    float x = q.x, y = q.y, z = q.z, w = q.w;
    return mat3(
        1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y),
        2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x),
        2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y));
#else
    float len = length(direction);
    if (!(len > 0.0)) {
        return mat3(0.0);  // no direction: the instance collapses to a point (not drawn)
    }
    vec3 axis = direction / len;
    vec3 up = abs(axis.y) < 0.999 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 side = normalize(cross(up, axis));
    return mat3(side, cross(axis, side), axis);
#endif
}

void main() {
#ifdef SCALE3
    vec3 s = scale;
#else
    vec3 s = vec3(scale);
#endif
    mat3 r = orientation();
    vec3 world = offset + r * (s * position);
    gl_Position = frame.view_proj * (frame.model * vec4(world, 1.0));
#ifdef PICK
    v_pick = uint(gl_InstanceIndex);
#else
    vec3 inverse_scale = vec3(s.x != 0.0 ? 1.0 / s.x : 0.0, s.y != 0.0 ? 1.0 / s.y : 0.0,
                              s.z != 0.0 ? 1.0 / s.z : 0.0);
    v_normal = mat3(frame.normal_matrix) * (r * (normal * inverse_scale));
    v_color = color * frame.tint;  // tint.a: the opacity of a transparent draw
#endif
}
