"""The draw layer: what a frame can draw. `base.Drawable` declares what a frame calls; `uniforms` declares
uniform blocks by named std140 fields; particles (with `point_splat`), meshes, image quads, custom shaders and
lines. Imports `device` only."""
