// The particles' per-frame uniforms (particles.vert, particles.frag, particles_splat.comp), as
// ParticleDraw.UNIFORMS (renderer/draw/particles.py) lays them out.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view_proj;
    vec4 color;     // rgb: tint applied to the particles' colour, a: the opacity of a transparent draw
    vec4 light;     // xyz: direction towards the light, in view space
    vec4 params;    // x: radius (world units), y: projection scale * viewport height (px), z: max point size
    vec4 light_color;  // rgb: the light's colour, a: the ambient share
} frame;
