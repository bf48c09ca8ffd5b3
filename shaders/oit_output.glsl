// The colour output of a fragment shader: `emit(color, alpha)`. An opaque draw writes the colour at location 0
// (alpha 1). A transparent draw (OIT defined; renderer/draw/transparency.py) writes weighted blended
// order-independent transparency (McGuire & Bavoil 2013, their weight (9), from the window depth): the
// premultiplied colour times a weight w that favours near fragments into the accumulation's rgb (location 0,
// added up), alpha into its a (blended as revealage * (1 - alpha)), and alpha * w into the weights (location 1,
// added up). Blends: pipelines.py OIT_BLENDS. PICK (not with OIT): the id pass's output instead.
#ifdef OIT
#ifndef OIT_ACCUM  // the accumulation output's name: a custom draw's own colour output (custom_draw.py)
layout(location = 0) out vec4 out_color;
#define OIT_ACCUM out_color
#endif
layout(location = 1) out float oit_weight;
void emit(vec3 color, float alpha) {
    float weight = alpha * clamp(3e3 * pow(1.0 - gl_FragCoord.z, 3.0), 1e-2, 3e3);
    OIT_ACCUM = vec4(color * weight, alpha);
    oit_weight = weight;
}
#elif defined(PICK)
// The id pass of picking (renderer/frame/picking.py): no colour, but (the draw's index + 1, pushed; the element's
// index, PICK_ELEMENT, which the shader defines before this include) into an R32G32_UINT image.
layout(location = 0) out uvec2 out_id;
layout(push_constant) uniform Pick {
    uint draw;
} pick;
void emit(vec3 color, float alpha) {
    out_id = uvec2(pick.draw, PICK_ELEMENT);
}
#else
layout(location = 0) out vec4 out_color;
void emit(vec3 color, float alpha) {
    out_color = vec4(color, 1.0);
}
#endif
