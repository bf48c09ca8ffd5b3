#version 450
// Weighted blended OIT's composite (McGuire & Bavoil 2013): the weighted average colour of the transparent
// fragments, laid over the frame by the revealage r (blended as colour * (1 - r) + frame * r). Pixels that no
// transparent fragment covered (r = 1) are left as they are.
layout(input_attachment_index = 0, set = 0, binding = 0) uniform subpassInput accumulation;  // a: revealage
layout(input_attachment_index = 1, set = 0, binding = 1) uniform subpassInput weights;
layout(location = 0) out vec4 out_color;

void main() {
    vec4 sum = subpassLoad(accumulation);
    if (sum.a >= 1.0) {
        discard;
    }
    out_color = vec4(sum.rgb / clamp(subpassLoad(weights).r, 1e-5, 5e4), sum.a);
}
