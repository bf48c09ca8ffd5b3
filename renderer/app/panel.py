"""The window's Dear ImGui panel (imgui-bundle): the scene's parameters as widgets, the scene picker, pause /
step / reset, the view (camera, background, vsync), the frame times, and the scene's own widgets.

The panel is built each frame before the frame's slot is taken (`build`), so what it changes (a scene switch,
a parameter that needs the scene's setup run again, vsync) is applied between frames like a key press; its
draw data is drawn over the frame by frame/ui_pass.py. Input reaches ImGui first (`PanelInput`, fed by the
window's callbacks): while ImGui wants the mouse or the keyboard (a drag on a slider, typing in a field), the
camera and the keys of the window do not see it. F2 hides the panel.

A parameter declared `Param(..., live=True)` is one the scene reads in `update`: a change is set on the scene
at once. Any other parameter is read in `setup`: a change (when the widget is released) loads the scene again
with the new values on the same device, keeping the camera where it is. A scene may add its own widgets with a
method `ui(self, imgui)`, called inside the panel's window with the `imgui_bundle.imgui` module.
"""

from __future__ import annotations

import functools
import time

import glfw
import numpy as np
from imgui_bundle import imgui, implot

from .. import colormaps

HISTORY = 300  # frames shown in the timing plot
WIDTH, HEIGHT = 330, 560  # the panel's first size in points, before the content scale


def _key_map() -> dict[int, int]:
    """glfw key codes -> ImGuiKey for the keys ImGui's widgets use."""
    keys = {glfw.KEY_A + i: getattr(imgui.Key, chr(ord("a") + i)) for i in range(26)}
    keys.update({glfw.KEY_0 + i: getattr(imgui.Key, f"_{i}") for i in range(10)})
    keys.update({glfw.KEY_F1 + i: getattr(imgui.Key, f"f{i + 1}") for i in range(12)})
    named = {
        "TAB": "tab",
        "LEFT": "left_arrow",
        "RIGHT": "right_arrow",
        "UP": "up_arrow",
        "DOWN": "down_arrow",
        "PAGE_UP": "page_up",
        "PAGE_DOWN": "page_down",
        "HOME": "home",
        "END": "end",
        "INSERT": "insert",
        "DELETE": "delete",
        "BACKSPACE": "backspace",
        "SPACE": "space",
        "ENTER": "enter",
        "ESCAPE": "escape",
        "KP_ENTER": "keypad_enter",
        "MINUS": "minus",
        "PERIOD": "period",
        "COMMA": "comma",
        "LEFT_CONTROL": "left_ctrl",
        "RIGHT_CONTROL": "right_ctrl",
        "LEFT_SHIFT": "left_shift",
        "RIGHT_SHIFT": "right_shift",
        "LEFT_ALT": "left_alt",
        "RIGHT_ALT": "right_alt",
        "LEFT_SUPER": "left_super",
        "RIGHT_SUPER": "right_super",
    }
    keys.update({getattr(glfw, f"KEY_{g}"): getattr(imgui.Key, i) for g, i in named.items()})
    return keys


class PanelInput:
    """The window's input events into ImGui's input queue. Each method returns True when ImGui takes the event
    (so the window's camera and keys must not), judged by what ImGui wanted at its last frame."""

    def __init__(self):
        self.io = imgui.get_io()
        self.keys = _key_map()
        self.events = 0  # since the last frame: a paused scene renders again when the panel was used

    def key(self, key: int, action: int, mods: int) -> bool:
        self.events += 1
        io = self.io
        for mod, flag in (
            (imgui.Key.mod_ctrl, glfw.MOD_CONTROL),
            (imgui.Key.mod_shift, glfw.MOD_SHIFT),
            (imgui.Key.mod_alt, glfw.MOD_ALT),
            (imgui.Key.mod_super, glfw.MOD_SUPER),
        ):
            io.add_key_event(mod, bool(mods & flag))
        if key in self.keys and action in (glfw.PRESS, glfw.RELEASE):
            io.add_key_event(self.keys[key], action == glfw.PRESS)
        return io.want_capture_keyboard or io.want_text_input

    def char(self, codepoint: int) -> None:
        self.events += 1
        self.io.add_input_character(codepoint)

    def cursor(self, x: float, y: float) -> None:
        self.events += 1
        self.io.add_mouse_pos_event(x, y)

    def button(self, button: int, pressed: bool) -> bool:
        self.events += 1
        if 0 <= button < 5:
            self.io.add_mouse_button_event(button, pressed)
        return self.io.want_capture_mouse

    def scroll(self, dx: float, dy: float) -> bool:
        self.events += 1
        self.io.add_mouse_wheel_event(dx, dy)
        return self.io.want_capture_mouse

    def take_events(self) -> int:
        events, self.events = self.events, 0
        return events


class Panel:
    """The ImGui context and the panel built from the app's state each frame (see the module's docstring)."""

    def __init__(self, window, content_scale: float = 1.0):
        self.window = window
        self.context = imgui.create_context()
        self.plot_context = implot.create_context()
        io = imgui.get_io()
        io.set_ini_filename(None)  # no imgui.ini written into the user's folder
        # a scene's own widgets that raise half-way (a begin without its end) are recovered from, not asserted
        io.config_error_recovery_enable_assert = False
        io.backend_flags |= (
            imgui.BackendFlags_.renderer_has_textures.value
            | imgui.BackendFlags_.renderer_has_vtx_offset.value
        )
        self.scale = max(float(content_scale), 1.0)
        style = imgui.get_style()
        style.scale_all_sizes(self.scale)
        style.font_scale_dpi = self.scale
        self.input = PanelInput()
        self.visible = True
        self.last_time = time.perf_counter()
        self.pending: dict = {}  # parameter -> value edited but not yet applied (a setup parameter being dragged)
        self._ranges: dict = {}  # (draw, colormap) -> (when, the auto range read back then)
        self._cpu = np.zeros(HISTORY)  # the timing plot's CPU frame times (ms), the last HISTORY
        self._cpu_seen = 0  # frame times taken into it so far

    # -- each frame

    def build(self, app):
        """One ImGui frame of the panel over the window, applying what the user changed; its draw data."""
        now = time.perf_counter()
        io = imgui.get_io()
        io.delta_time = max(now - self.last_time, 1e-6)
        self.last_time = now
        width, height = self.window.size()
        io.display_size = (width, height)
        # ImGui 1.92 rasterizes its fonts at this density: from the window's own events, never the swapchain's
        # size of another moment (mid-resize, a 1x1 window over an 800x600 swapchain asked for 800x glyphs)
        scale_x, scale_y = self.window.pixel_scale()
        io.display_framebuffer_scale = (min(max(scale_x, 0.25), 4.0), min(max(scale_y, 0.25), 4.0))
        imgui.new_frame()
        margin = 8 * self.scale
        imgui.set_next_window_pos((margin, margin), imgui.Cond_.first_use_ever.value)
        # a fixed size at first, which the user may change (an auto-resizing window changes size as its text
        # does, and ImGui ignores the mouse over a window that is resizing)
        imgui.set_next_window_size(
            (WIDTH * self.scale, min(HEIGHT * self.scale, max(height - 2 * margin, 1))),
            imgui.Cond_.first_use_ever.value,
        )
        error = None
        if imgui.begin("taichi-vulkan-renderer (F2 hides)")[0]:
            self._scene_section(app)
            self._params_section(app)
            self._view_section(app)
            self._colorbars_section(app)
            self._picked_section(app)
            self._timing_section(app)
            error = self._scene_widgets(app)
        imgui.end()
        imgui.render()
        if error is not None:
            app.scene_failed(error)  # paused, like a scene whose update raised
        return imgui.get_draw_data()

    def _scene_widgets(self, app) -> Exception | None:
        """The scene's own `ui(imgui)`, unless it has failed; what it raised, if it did."""
        scene_ui = getattr(app.loaded.scene, "ui", None)
        if not callable(scene_ui) or app.index in app.failed:
            return None
        if not imgui.collapsing_header("Scene's own", imgui.TreeNodeFlags_.default_open.value):
            return None
        try:
            scene_ui(imgui)
        except Exception as exc:  # the scene's mistake: shown, and the scene paused
            return exc
        return None

    def _scene_section(self, app) -> None:
        if not imgui.collapsing_header("Scene", imgui.TreeNodeFlags_.default_open.value):
            return
        names = [cls.name for cls in app.scene_classes]
        changed, index = imgui.combo("scene", app.index, names)
        if changed and index != app.index:
            app.load(index)
        scene = app.loaded.scene
        imgui.text_wrapped(scene.description)
        if app.index in app.failed:
            imgui.text_colored((1.0, 0.4, 0.3, 1.0), app.failed[app.index][:300])
        _, app.paused = imgui.checkbox("paused (Space)", app.paused)
        imgui.same_line()
        if imgui.button("step (N)") and app.paused:
            app.step = True
        imgui.same_line()
        if imgui.button("reset"):
            app.reload()
        imgui.text(f"frame {app.sim_frame}")

    def _params_section(self, app) -> None:
        scene = app.loaded.scene
        if not scene.params or not imgui.collapsing_header(
            "Parameters", imgui.TreeNodeFlags_.default_open.value
        ):
            return
        for name, param in scene.params.items():
            value = self.pending.get(name, getattr(scene, name))
            changed, value, done = _param_widget(name, param, value)
            if param.help and imgui.is_item_hovered():
                imgui.set_tooltip(
                    param.help + ("" if param.live else " (applied by loading the scene again)")
                )
            if not changed and not done:
                continue
            value = param.check(scene.name, name, value)
            if param.live:
                setattr(scene, name, value)
            else:
                self.pending[name] = value
                if done:
                    app.reload(self.pending)
                    self.pending = {}

    def _view_section(self, app) -> None:
        if not imgui.collapsing_header("View"):
            return
        cam = app.loaded.camera
        if cam.orthographic:
            _, cam.ortho_height = imgui.slider_float("height", cam.ortho_height, 0.01, 100.0, "%.3g", _LOG)
        else:
            _, cam.fov_y = imgui.slider_float("fov (degrees)", cam.fov_y, 5.0, 150.0, "%.0f")
        _, cam.orthographic = imgui.checkbox("orthographic", cam.orthographic)
        imgui.same_line()
        if imgui.button("reset camera (R)"):
            app.reset_camera()
        changed, color = imgui.color_edit3("background", list(app.loaded.background))
        if changed:
            app.loaded.background = tuple(color)
        changed, vsync = imgui.checkbox("vsync (V)", app.frames.vsync)
        if changed:
            app.set_vsync(vsync)

    def _colorbars_section(self, app) -> None:
        """A colour bar for each draw that maps scalars through a colormap, labelled with its range (an "auto"
        range is read back from the GPU at most once a second: the read waits for the GPU)."""
        mapped = [d for d in app.loaded.drawables if getattr(d, "colormap", None) is not None]
        if not mapped or not imgui.collapsing_header("Colour bars", imgui.TreeNodeFlags_.default_open.value):
            return
        now, width = time.perf_counter(), imgui.get_content_region_avail().x
        for i, draw in enumerate(mapped):
            colors = draw.colormap
            key = (id(draw), colors.name)
            if not colors.auto:
                lo, hi = colors.range
            else:
                cached = self._ranges.get(key)
                if cached is None or now - cached[0] > 1.0:
                    cached = self._ranges[key] = (now, colors.range_now())
                lo, hi = cached[1]
            imgui.text(f"{type(draw).__name__.removesuffix('Draw').lower()} {i + 1}: {colors.name}")
            _colorbar(colors.name, width, 14 * self.scale)
            imgui.text(f"{lo:.4g}" + (" (auto)" if colors.auto else ""))
            imgui.same_line(width - imgui.calc_text_size(f"{hi:.4g}").x)
            imgui.text(f"{hi:.4g}")

    def _picked_section(self, app) -> None:
        """What the last Ctrl+click picked: the draw, the element, the point, the element's arrays' values."""
        if not imgui.collapsing_header("Picked", imgui.TreeNodeFlags_.default_open.value):
            return
        for line in picked_lines(app.picked):
            imgui.text_wrapped(line)

    def _timing_section(self, app) -> None:
        """The GPU time of each span of the last frames (the frames' timeline) beside the CPU's frame time."""
        if not imgui.collapsing_header("Timing", imgui.TreeNodeFlags_.default_open.value):
            return
        times = app.frame_times
        if not times:
            return
        cpu = self._cpu_ms(times)
        last = times[-1]
        imgui.text_wrapped(
            f"CPU {1000 * last[0]:.2f} ms/frame (update {1000 * last[2]:.2f}, submit {1000 * last[3]:.2f})"
        )
        timeline = app.timeline
        history = timeline.history(HISTORY) if timeline is not None and timeline.supported else None
        if history is None or not len(history.frames):
            imgui.text_wrapped(
                f"GPU timeline: {timeline.reason if timeline is not None and not timeline.supported else 'no frame yet'}"
            )
        else:
            last = history.gpu_ms[-1]
            parts = ", ".join(f"{n} {v:.2f}" for n, v in zip(history.names, last, strict=True) if v == v)
            imgui.text_wrapped(f"GPU {history.gpu_frame_ms[-1]:.2f} ms/frame: {parts}")
        size = (WIDTH * self.scale - 16, 220 * self.scale)
        if implot.begin_plot("##frame times", size, implot.Flags_.no_mouse_text.value):
            implot.setup_axes(
                "frame", "ms", implot.AxisFlags_.no_tick_labels.value, implot.AxisFlags_.auto_fit.value
            )
            implot.setup_axis_limits(implot.ImAxis_.x1.value, 0, HISTORY, implot.Cond_.always.value)
            implot.setup_legend(
                implot.Location_.south.value,
                implot.LegendFlags_.outside.value | implot.LegendFlags_.horizontal.value,
            )
            implot.plot_line("CPU frame", cpu)
            if history is not None and len(history.frames):
                # stacked: each span's line is the sum of those before it and itself, as on a GPU timeline
                stacked = np.cumsum(np.nan_to_num(history.gpu_ms), axis=1)
                for i, name in reversed(list(enumerate(history.names))):
                    implot.plot_shaded(f"GPU {name}", np.ascontiguousarray(stacked[:, i]))
            implot.end_plot()

    def _cpu_ms(self, times: list) -> np.ndarray:
        """The last HISTORY frames' CPU time in ms, kept up to date by the frames added since the last call
        (not converted anew each frame)."""
        new = times[self._cpu_seen :][-HISTORY:]
        self._cpu_seen = len(times)
        if new:
            ring = np.roll(self._cpu, -len(new))
            ring[-len(new) :] = [1000.0 * t[0] for t in new]
            self._cpu = ring
        return self._cpu[-min(self._cpu_seen, HISTORY) :]

    def destroy(self) -> None:
        if self.plot_context is not None:
            implot.destroy_context(self.plot_context)
            self.plot_context = None
        if self.context is not None:
            imgui.destroy_context(self.context)
            self.context = None


def picked_lines(picked) -> list[str]:
    """The Picked section's text for a pick (scene/api.py's Picked), or how to make one (None)."""
    from .interactive import picked_summary

    if picked is None:
        return ["Ctrl + left click picks the particle, triangle or instance under the cursor"]
    lines = [picked_summary(picked)]
    for name, value in picked.values.items():
        numbers = isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value)
        shown = (
            ", ".join(f"{v:.4g}" for v in value[:8]) + (", ..." if len(value) > 8 else "")
            if numbers
            else value
        )
        lines.append(f"{name}: {shown if numbers or isinstance(value, tuple) else f'{value:.4g}'}"[:200])
    return lines


_LOG = imgui.SliderFlags_.logarithmic.value
COLORBAR_STEPS = 32


@functools.cache
def _colorbar_colors(name: str) -> tuple[int, ...]:
    """COLORBAR_STEPS + 1 samples of the colormap `name` as ImGui's packed colours (IM_COL32: R in the low byte,
    opaque), computed once per name."""
    rgb = np.round(colormaps.sample(name, np.linspace(0.0, 1.0, COLORBAR_STEPS + 1), 0.0, 1.0) * 255)
    return tuple(int(r) | int(g) << 8 | int(b) << 16 | 0xFF << 24 for r, g, b in rgb.astype(np.uint32))


def _colorbar(name: str, width: float, height: float) -> None:
    """The colormap `name` as a bar of `width` x `height` points at the cursor, low values on the left."""
    colors = _colorbar_colors(name)
    draw_list, origin = imgui.get_window_draw_list(), imgui.get_cursor_screen_pos()
    step = width / COLORBAR_STEPS
    for i in range(COLORBAR_STEPS):
        left, right = colors[i], colors[i + 1]
        draw_list.add_rect_filled_multi_color(
            imgui.ImVec2(origin.x + i * step, origin.y),
            imgui.ImVec2(origin.x + (i + 1) * step, origin.y + height),
            left,
            right,
            right,
            left,
        )
    imgui.dummy(imgui.ImVec2(width, height))


def _param_widget(name: str, param, value) -> tuple[bool, object, bool]:
    """A widget for `param` showing `value`: (changed this frame, the value, the edit is finished)."""
    kind = param.kind
    if kind in ("int", "float"):
        low, high = param.low, param.high
        if low is not None and high is not None:
            flags = _LOG if low > 0 and high / low >= 1000 else 0
            if kind == "int":
                changed, value = imgui.slider_int(name, int(value), int(low), int(high), "%d", flags)
            else:
                changed, value = imgui.slider_float(
                    name, float(value), float(low), float(high), "%.4g", flags
                )
        elif kind == "int":
            changed, value = imgui.input_int(name, int(value))
        else:
            changed, value = imgui.input_float(name, float(value), 0.0, 0.0, "%.4g")
        if (low is not None and value < low) or (high is not None and value > high):
            value = min(max(value, low if low is not None else value), high if high is not None else value)
        return changed, value, imgui.is_item_deactivated_after_edit()
    if kind == "bool":
        changed, value = imgui.checkbox(name, bool(value))
        return changed, value, changed
    if kind == "color":
        changed, color = imgui.color_edit3(name, list(value))
        return changed, tuple(color), imgui.is_item_deactivated_after_edit()
    if kind == "choice":
        labels = [str(c) for c in param.choices]
        index = next((i for i, c in enumerate(param.choices) if c == value), 0)
        changed, index = imgui.combo(name, index, labels)
        return changed, param.choices[index], changed
    changed, value = imgui.input_text(name, str(value))
    return changed, value, imgui.is_item_deactivated_after_edit()
