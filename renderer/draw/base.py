"""What a frame calls on a drawable (`Drawable`), and what it renders into (`RenderTarget`)."""

from __future__ import annotations

import abc
import contextlib
import sys
from dataclasses import dataclass, field

import numpy as np

from ..camera import Light
from ..device import vk
from ..device.pipelines import constant_vec3, create_pipeline
from ..errors import ArgumentError, RendererError
from .transparency import check_opacity
from .uniforms import FrameUniforms, Std140


@dataclass(frozen=True)
class FrameView:
    """What the draws need of this frame: the camera's `view_projection` and `view` (4x4 matrices as written in
    maths), `projection_scale` (clip-space units per unit of size at unit distance, or per world unit for an
    orthographic camera), the viewport in pixels, the scene's light (None: each draw's own default), and the
    simulation's `time` (seconds: frame number times the time step) and time step `dt` of this frame."""

    view_projection: np.ndarray
    view: np.ndarray
    projection_scale: float
    width: int
    height: int
    light: Light | None = None
    time: float = 0.0
    dt: float = 0.0

    def fields(self) -> tuple:
        """The view without its time: (view_projection, view, projection_scale, width, height, light), to make
        each frame's FrameView from (faster than dataclasses.replace)."""
        return self.view_projection, self.view, self.projection_scale, self.width, self.height, self.light


def check_count(value, capacity: int, what: str) -> int:
    """A draw's count set at run time: a whole number from 0 to the `capacity` it was made with, or
    ArgumentError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= capacity:
        raise ArgumentError(
            f"{what} count must be a whole number from 0 to {capacity} (what the draw was made with), "
            f"not {value!r}"
        )
    return int(value)


# what a draw binds an array as, and the buffer usage that needs
BIND_USAGES = {"vertex": vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, "index": vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT}


def check_usage(buffer, usage: str, what: str) -> None:
    """Refuse a buffer a draw would bind as a vertex or index buffer (`usage`: "vertex" or "index") that was made
    without that usage (binding it is invalid: VUID-vkCmdBindVertexBuffers-pBuffers-00627,
    VUID-vkCmdBindIndexBuffer-buffer-00433); `what` names the draw and its argument."""
    if not buffer.usage & BIND_USAGES[usage]:
        raise RendererError(
            f"{what} ({buffer.name}) lacks usage {usage!r}; it cannot be drawn: make the array with "
            f"usage=({usage!r},) (and any others it needs)"
        )


def light_color(light: Light | None, ambient: float) -> tuple:
    """A light's colour and ambient share as one vec4 (without a scene light: white, and the draw's `ambient`)."""
    return (1.0, 1.0, 1.0, ambient) if light is None else (*light.color, light.ambient)


@dataclass
class RenderTarget:
    """What one recorded frame renders into, for drawables that work on it outside the render pass. The
    colour image is in `color_layout` after the pass and must be again when the drawables are done with it;
    the depth image is in pipelines.DEPTH_AFTER_PASS after the pass, and is not read after the frame.
    `storage`: compute shaders may write the colour image (STORAGE usage, and its format allows it).
    `per_slot`: objects the drawables share across the frames of this frame-in-flight slot (each with a
    destroy(), called when the slot is destroyed); `this_frame`: what they share while this frame is recorded.
    `timeline` and `slot`: the frame's GPU timeline (frame/timeline.py) and frame-in-flight slot, set by the frame
    as it records (`span`)."""

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
    transparent: bool = False  # the frame has transparent draws (draw/transparency.py)
    # the render pass cleared and wrote the depth image only if its draws drew something: the count their
    # `pass_predicate` names was not 0 (frame/offscreen.py); otherwise the depth is stale and reads as far
    depth_if_drawn: bool = False
    timeline: object = None
    slot: int = 0

    def span(self, cb, name: str):
        """`with target.span(cb, name):` around commands recorded into the frame times them on the GPU as the
        span `name` of the frame's timeline (a run's summary, the frame log, the panel); where the frame is not
        timed, nothing."""
        if self.timeline is None:
            return contextlib.nullcontext()
        return self.timeline.span(cb, self.slot, name)


def _renderer_code(frame) -> bool:
    """Whether `frame` runs the renderer's own code (its modules are renderer.*), not a scene's."""
    return frame.f_globals.get("__name__", "").startswith("renderer.")


class Drawable(abc.ABC):
    """What a frame calls on every drawable, and what they share: per-frame uniforms laid out by the class's
    `UNIFORMS` (`FrameUniforms`, binding 0 of set 0), a graphics pipeline and its layout (the render pass's,
    not destroyed here), and release on failure.

    A frame calls, in this order: `reads()` and, while its command buffer is recorded (once per slot, not per
    frame), `record_before_pass`, `record` (inside the render pass) and `record_after_pass`; `write_uniforms`
    before each submission of the slot; `destroy()` when the scene closes (the GPU idle). A subclass sets its
    `context`, then builds itself inside `with self.destroyed_on_failure():` with `create_uniforms` and
    `create_pipeline`, and lists in `owned` its other attributes holding objects with a destroy()."""

    UNIFORMS: Std140  # the uniform block the shaders declare, field by field
    context = pipeline = layout = uniforms = None
    owned: tuple = ()
    # drawn in the frame's transparent pass (draw/transparency.py) rather than its render pass, from its making on
    transparent = False
    _opacity = 1.0
    _colormap = None  # the pass that maps the draw's scalars to its colours (colormap.ScalarColors), if any
    # what an element of the draw is, for picking (frame/picking.py): "particle", "triangle", "instance"; None:
    # the draw is not pickable (custom draws, lines, quads)
    pick_kind: str | None = None
    _shape: dict | None = (
        None  # the pipeline's vertex input and topology (create_pipeline), for its id variant
    )
    what = "draw"  # what messages call it: "particles draw", "colormap", ...
    _released = False  # destroy() ran: the scene that made it was closed or switched away
    # handed to the scene (SceneGPU): from then on the scene can set its settings (properties) only
    _sealed = False

    def __setattr__(self, name: str, value) -> None:
        if isinstance(getattr(type(self), name, None), property):
            # a setting (count, opacity, colormap, range, transform, ...) of a released draw would be lost
            if self._released:
                self._live(f"its {name} cannot be set")
        elif self._sealed and not name.startswith("_") and not _renderer_code(sys._getframe(1)):
            # the scene's `draw.color = ...` would add an attribute that nothing reads, and `draw.splat = None`
            # change one that the recorded frames do not read again (or lose what it owns): the frame silently
            # unchanged
            settable = sorted(
                key for key in dir(type(self)) if getattr(getattr(type(self), key), "fset", None) is not None
            )
            what = (
                f"'s {name} is fixed when it is made" if hasattr(self, name) else f" has no setting {name!r}"
            )
            raise ArgumentError(
                f"this {self.what}{what}: nothing would read a new value; its settings: {', '.join(settable)}"
            )
        super().__setattr__(name, value)

    def _live(self, what: str) -> None:
        """ArgumentError if the draw was released with its scene (the setters and public methods ask)."""
        if self._released:
            raise ArgumentError(
                f"this {self.what} was released with its scene (the renderer was closed or switched scenes); "
                f"{what}"
            )

    # -- what the scene sets

    @property
    def opacity(self) -> float:
        """A transparent draw's opacity, 0 (invisible) to 1, multiplying its colours' alpha; set it from
        update() (drawn that frame). An opaque draw's is 1 and cannot be set: make it with `opacity=`."""
        return self._opacity

    @opacity.setter
    def opacity(self, value) -> None:
        value = check_opacity(value)
        if not self.transparent:
            raise ArgumentError(
                "this draw is opaque: give it opacity= (or an RGBA colour array) when making it to make it "
                "transparent, then change its opacity in update()"
            )
        self._opacity = value

    @property
    def colormap(self):
        """The pass that maps the draw's `scalars=` to its colours (colormap.ScalarColors: `name`, `range`,
        `range_now()`, `colorbar()`), or None. Set a colormap's name (e.g. "magma") to map through it from the
        next frame on."""
        return self._colormap

    @colormap.setter
    def colormap(self, value) -> None:
        from .colormap import ScalarColors  # here: colormap.py builds on this module

        if isinstance(value, str):
            self._scalar_colors().name = value
        elif isinstance(value, ScalarColors):  # the scene API gives the draw its pass
            self._colormap = value
        else:  # None or another object would silently drop the mapping, or fail in the next frame
            raise ArgumentError(
                f'a draw\'s colormap is set by name (e.g. "magma"), not {value!r}; a draw made without scalars= '
                "has none"
            )

    @property
    def range(self):
        """The range of a draw with `scalars=`: (lo, hi), or "auto"; set it to map with another from the next
        frame on."""
        return self._scalar_colors().range

    @range.setter
    def range(self, value) -> None:
        self._scalar_colors().range = value

    def _scalar_colors(self):
        if self._colormap is None:
            raise ArgumentError("this draw has no colormap: make it with scalars= to colour it through one")
        return self._colormap

    def recorded(self) -> tuple:
        """What of this draw its recorded commands hold (counts, ...): a frame target records a slot again
        when this changes (once, for the next frame of that slot). Nothing by default."""
        return ()

    # -- what a frame calls

    @abc.abstractmethod
    def reads(self) -> list[tuple[object, int, int]]:
        """(buffer or image, pipeline stage, access) for each resource this draw reads that kernels write:
        the frame waits on the kernels' writes for these reads before recording the draw."""

    def record_before_pass(self, cb, slot: int, target) -> None:
        """Commands this draw needs before the render pass (after the wait on the kernels) into `target`
        (RenderTarget); none by default."""
        return

    @abc.abstractmethod
    def record(self, cb, slot: int) -> None:
        """The draw's commands inside the render pass, with the uniforms of frame-in-flight `slot` (`bind`)."""

    def record_after_pass(self, cb, slot: int, target) -> None:
        """Commands this draw needs after the render pass, before the frame is read back or presented; none by
        default."""
        return

    def pass_predicate(self, slot: int, target):
        """Asked after `record_before_pass` into `target`: where this draw's `record` draws something only if
        that work added to a uint32 count on the GPU (made visible to conditional rendering), which counts from
        0 in each frame and which the frame's draws that name it share: (buffer, byte offset) of that count.
        The frame clears its depth only if that count is not 0 where all its draws name the same one. None (the
        default): it may draw whatever any count says."""
        return None

    # -- what the id pass of picking calls (frame/picking.py), on a pickable draw only

    def record_pick_before_pass(self, cb, slot: int, target) -> None:
        """Commands before the id pass's render pass (the particles' splat); none by default."""
        return

    def record_pick(self, cb, slot: int, render_pass, draw_id: int) -> None:
        """The draw's elements into the id pass (`render_pass`, R32G32_UINT): (`draw_id`, element index) where
        they are nearest, with the uniforms of `slot`."""
        raise NotImplementedError(f"{type(self).__name__} is not pickable")

    def bind_pick(
        self, cb, slot: int, render_pass, draw_id: int, vertex_spirv: bytes, fragment_spirv: bytes, locations
    ) -> None:
        """Bind the id variant of the draw's pipeline (its shaders with PICK defined: `vertex_spirv`,
        `fragment_spirv`; the same vertex bindings, of the attributes only those at `locations`, which the id
        variant reads; opaque, depth tested and written) for `render_pass`, the uniforms of `slot`, and push
        `draw_id`."""
        attributes = tuple(a for a in self._shape["attributes"] if a[0] in locations)
        pipeline, layout = create_pipeline(
            self.context.device,
            render_pass,
            self.uniforms.set_layout,
            self.uniforms.layout_key,
            vertex_spirv,
            fragment_spirv,
            **{**self._shape, "attributes": attributes},
            push_constants=4,
        )
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, layout, 0, 1, [self.uniforms.sets[slot]], 0, None
        )
        value = np.array([draw_id], dtype=np.uint32)
        vk.vkCmdPushConstants(cb, layout, vk.VK_SHADER_STAGE_FRAGMENT_BIT, 0, 4, vk.ffi.from_buffer(value))

    def write_uniforms(self, slot: int, view: FrameView) -> None:
        """This frame's camera, viewport and light (`view`), with the draw's own settings, into the uniforms of
        `slot` (`uniform_values`)."""
        self.uniforms.write(slot, self.uniform_values(view))

    @abc.abstractmethod
    def uniform_values(self, view: FrameView) -> dict:
        """The values of the `UNIFORMS` fields for this frame, by name (fields left out are zero)."""

    def destroy(self) -> None:
        """Release what the draw made: its uniforms and the `owned` objects. Idempotent; the GPU must be done
        with the draw."""
        self._released = True
        self.pipeline = self.layout = None
        for attr in ("uniforms", *self.owned):
            obj = getattr(self, attr, None)
            setattr(self, attr, None)
            if obj is not None:
                obj.destroy()

    # -- for the subclasses

    @contextlib.contextmanager
    def destroyed_on_failure(self):
        """Around the making of the draw: whatever fails, what was made so far is released."""
        try:
            yield
        except BaseException:
            self.destroy()
            raise

    def create_uniforms(self, frames_in_flight: int, name: str, sampled=None) -> None:
        """`self.uniforms`: a buffer of `UNIFORMS` per frame in flight (and the image `sampled`: (view,
        sampler) at binding 1, if given)."""
        self.uniforms = FrameUniforms(self.context, self.UNIFORMS, frames_in_flight, name, sampled=sampled)

    def color_input_rate(self, colors, color, name: str) -> int:
        """The input rate of the colour binding: per vertex from the `colors` array, or, without one, `color`
        for all from a one-vec3 buffer read at instance rate (`self.constant_color`, which the subclass lists
        in `owned`)."""
        if colors is not None:
            return vk.VK_VERTEX_INPUT_RATE_VERTEX
        self.constant_color = constant_vec3(self.context, color, name)
        return vk.VK_VERTEX_INPUT_RATE_INSTANCE

    def make_transparent(self, opacity) -> None:
        """With an `opacity` (not None), the draw is transparent: its pipeline is made for the transparent pass,
        its shaders with OIT defined (`self.defines`)."""
        if opacity is not None:
            self._opacity, self.transparent = check_opacity(opacity), True

    @property
    def defines(self) -> tuple:
        """The defines of the draw's built-in shaders for its kind: OIT for a transparent draw."""
        return ("OIT",) if self.transparent else ()

    def create_pipeline(self, render_pass, vertex_spirv: bytes, fragment_spirv: bytes, **shape) -> None:
        """`self.pipeline` and `self.layout` for these shaders over the uniforms' set layout (`shape`:
        pipelines.create_pipeline's keywords: bindings, attributes, topology, ...); for a transparent draw,
        in the render pass's transparent pass, blended into its targets, testing depth without writing it."""
        self._shape = dict(shape)
        if self.transparent:
            render_pass = render_pass.transparent_pass()
            shape = {**shape, "blend": "transparent", "depth_write": False}
        self.pipeline, self.layout = create_pipeline(
            self.context.device,
            render_pass,
            self.uniforms.set_layout,
            self.uniforms.layout_key,
            vertex_spirv,
            fragment_spirv,
            **shape,
        )

    def bind(self, cb, slot: int) -> None:
        """Bind the pipeline and the uniforms of `slot` (in `record`)."""
        vk.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.pipeline)
        vk.vkCmdBindDescriptorSets(
            cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.layout, 0, 1, [self.uniforms.sets[slot]], 0, None
        )
