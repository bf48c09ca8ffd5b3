#version 450
// A lit sphere drawn on a point sprite: discard outside the disc, shade with the disc's normal.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;
    vec4 light;
    vec4 params;
} frame;

layout(location = 0) in vec3 v_color;
layout(location = 0) out vec4 out_color;

void main() {
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    float r2 = dot(c, c);
    if (r2 > 1.0) {
        discard;
    }
    vec3 normal = vec3(c.x, -c.y, sqrt(1.0 - r2));
    float diffuse = max(dot(normal, normalize(frame.light.xyz)), 0.0);
    float specular = pow(max(normal.z * diffuse, 0.0), 24.0) * 0.25;
    out_color = vec4(v_color * (0.25 + 0.75 * diffuse) + specular, 1.0);
}
