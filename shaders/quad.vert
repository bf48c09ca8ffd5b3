#version 450
// A textured quad made from the vertex index (no vertex buffer): full screen, or in the world's XY plane.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 params;  // xy: half width and height (world units), z: 1 for full screen
    mat4 model;   // the quad's transform (in the scene)
    vec4 fit;     // xy: the full-screen quad's half extent in clip space
} frame;

layout(location = 0) out vec2 v_uv;

void main() {
    vec2 corner = vec2((gl_VertexIndex & 1) != 0 ? 1.0 : -1.0, gl_VertexIndex >= 2 ? 1.0 : -1.0);
    v_uv = corner * 0.5 + 0.5;
    if (frame.params.z > 0.5) {
        gl_Position = vec4(corner.x * frame.fit.x, -corner.y * frame.fit.y, 0.9999, 1.0);  // behind everything else drawn
    } else {
        gl_Position = frame.view_proj * (frame.model * vec4(corner * frame.params.xy, 0.0, 1.0));
    }
}
