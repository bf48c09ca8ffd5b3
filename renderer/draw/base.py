"""What a frame calls on a drawable (`Drawable`), and what it renders into (`RenderTarget`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import vulkan as vk


@dataclass
class RenderTarget:
    """What one recorded frame renders into, for drawables that work on it outside the render pass. The
    colour image is in `color_layout` after the pass and must be again when the drawables are done with it;
    the depth image is in pipelines.DEPTH_AFTER_PASS after the pass, and is not read after the frame.
    `storage`: compute shaders may write the colour image (STORAGE usage, and its format allows it).
    `per_slot`: objects the drawables share across the frames of this frame-in-flight slot (each with a
    destroy(), called when the slot is destroyed); `this_frame`: what they share while this frame is recorded."""

    color: object
    color_view: object
    depth: object
    depth_view: object
    width: int
    height: int
    color_layout: int
    storage: bool
    per_slot: dict
    this_frame: dict = field(default_factory=dict)


class Drawable:
    """What every drawable shares: a pipeline, its layout and per-frame uniforms, bound and released alike
    (the pipeline and its layout are the render pass's). Subclasses list in `owned` the other attributes
    holding objects with a destroy()."""

    pipeline = layout = uniforms = None
    owned: tuple = ()

    def record_before_pass(self, cb, slot: int, target) -> None:
        """Commands this draw needs before the render pass (after the wait on the kernels) into `target`
        (frames.RenderTarget); none by default."""

    def record_after_pass(self, cb, slot: int, target) -> None:
        """Commands this draw needs after the render pass, before the frame is read back or presented; none by
        default."""

    def bind(self, cb, slot: int) -> None:
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.pipeline)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.layout, 0, 1, [self.uniforms.sets[slot]], 0, None
        )

    def destroy(self) -> None:
        """Idempotent; the GPU must be done with the draw."""
        self.pipeline = self.layout = None
        for attr in ("uniforms", *self.owned):
            obj = getattr(self, attr, None)
            setattr(self, attr, None)
            if obj is not None:
                obj.destroy()
