// The shading of a particle's sphere (particles.frag, and particles_splat.comp where it splats): `base` is the
// particle's colour, `c` the point in its sprite (gl_PointCoord * 2 - 1, inside the unit disc), `light` the
// normalized direction towards the light, in view space, and `light_color` its colour (rgb) and the ambient
// share (a). Lit with the disc's normal, and a specular highlight.
vec3 sphere_shading(vec3 base, vec2 c, vec3 light, vec4 light_color) {
    vec3 normal = vec3(c.x, -c.y, sqrt(max(1.0 - dot(c, c), 0.0)));
    float diffuse = max(dot(normal, light), 0.0);
    float specular = pow(max(normal.z * diffuse, 0.0), 24.0) * 0.25;
    float ambient = light_color.a;
    return base * (ambient + (1.0 - ambient) * diffuse * light_color.rgb) + specular * light_color.rgb;
}
