"""A glfw window and the input it collects between frames (its Vulkan surface: `frame/swapchain.py`).

glfw calls our callbacks from `poll()`/`wait()`; they only record (keys pressed, drags, scroll, resize), and
the interactive loop consumes the record once per frame. With a panel (`listener`: panel.py's PanelInput), each
event goes to it first, and what it takes (a click on the panel, typing in a field) is not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import glfw

from ..errors import WindowError
from ..scene.api import FrameInput


@dataclass
class Input:
    keys: list = field(default_factory=list)  # glfw key codes pressed since the last frame
    orbit: list = field(default_factory=lambda: [0.0, 0.0])  # left-drag, pixels
    pan: list = field(default_factory=lambda: [0.0, 0.0])  # right- or middle-drag, pixels
    scroll: float = 0.0
    resized: bool = False
    pick: tuple | None = None  # where the last Ctrl + left click was (window points), to pick what is there


def init_glfw() -> None:
    if not glfw.init():
        description = glfw.get_error()[1] if hasattr(glfw, "get_error") else None
        raise WindowError(f"glfw could not start ({description or 'no display?'})")
    if not glfw.vulkan_supported():
        glfw.terminate()
        raise WindowError("glfw finds no Vulkan loader: install the Debian package libvulkan1")


def required_instance_extensions() -> list[str]:
    return list(glfw.get_required_instance_extensions())


class Window:
    def __init__(self, title: str, width: int, height: int):
        glfw.window_hint(glfw.CLIENT_API, glfw.NO_API)
        glfw.window_hint(glfw.RESIZABLE, glfw.TRUE)
        self.handle = glfw.create_window(width, height, title, None, None)
        if not self.handle:
            raise WindowError(f"glfw could not create a {width}x{height} window")
        self.input = Input()
        self.listener = None  # the panel's input (panel.PanelInput), which sees every event first
        self.last_keys: list = []
        self._buttons = {
            glfw.MOUSE_BUTTON_LEFT: False,
            glfw.MOUSE_BUTTON_RIGHT: False,
            glfw.MOUSE_BUTTON_MIDDLE: False,
        }
        self._cursor = glfw.get_cursor_pos(self.handle)
        glfw.set_key_callback(self.handle, self._on_key)
        glfw.set_mouse_button_callback(self.handle, self._on_button)
        glfw.set_cursor_pos_callback(self.handle, self._on_cursor)
        glfw.set_scroll_callback(self.handle, self._on_scroll)
        glfw.set_framebuffer_size_callback(self.handle, self._on_resize)
        glfw.set_char_callback(self.handle, self._on_char)
        glfw.set_window_size_callback(self.handle, self._on_window_size)
        self._size = tuple(glfw.get_window_size(self.handle))
        self._framebuffer = tuple(glfw.get_framebuffer_size(self.handle))

    # -- callbacks: record only

    def _on_key(self, window, key, scancode, action, mods):
        if self.listener is not None and self.listener.key(key, action, mods) and key != glfw.KEY_F2:
            return  # typed into the panel (F2, which hides it, always reaches the window)
        if action in (glfw.PRESS, glfw.REPEAT):
            self.input.keys.append(key)

    def _on_char(self, window, codepoint):
        if self.listener is not None:
            self.listener.char(codepoint)

    def _on_button(self, window, button, action, mods):
        pressed = action == glfw.PRESS
        if self.listener is not None and self.listener.button(button, pressed) and pressed:
            return  # a click on the panel starts no drag (a release always ends one)
        if pressed and button == glfw.MOUSE_BUTTON_LEFT and mods & glfw.MOD_CONTROL:
            self.input.pick = self._cursor  # picks (interactive.py), starts no orbit
            return
        self._buttons[button] = pressed

    def _on_cursor(self, window, x, y):
        if self.listener is not None:
            self.listener.cursor(x, y)
        dx, dy = x - self._cursor[0], y - self._cursor[1]
        self._cursor = (x, y)
        if self._buttons.get(glfw.MOUSE_BUTTON_LEFT):
            self.input.orbit[0] += dx
            self.input.orbit[1] += dy
        elif self._buttons.get(glfw.MOUSE_BUTTON_RIGHT) or self._buttons.get(glfw.MOUSE_BUTTON_MIDDLE):
            self.input.pan[0] += dx
            self.input.pan[1] += dy

    def _on_scroll(self, window, dx, dy):
        if self.listener is not None and self.listener.scroll(dx, dy):
            return
        self.input.scroll += dy

    def _on_window_size(self, window, width, height):
        self._size = (width, height)

    def _on_resize(self, window, width, height):
        self._framebuffer = (width, height)
        self.input.resized = True

    # -- use

    def frame_input(self, viewport, picked=None) -> FrameInput:
        """What a scene's update sees: keys pressed since the last frame, the cursor, the buttons held, and what
        a Ctrl+click picked (`picked`, given once)."""
        return FrameInput(
            keys=tuple(self.last_keys),
            cursor=tuple(self._cursor),
            buttons=frozenset(b for b, down in self._buttons.items() if down),
            viewport=tuple(viewport),
            picked=picked,
        )

    def take_input(self) -> Input:
        taken, self.input = self.input, Input()
        self.last_keys = list(taken.keys)
        return taken

    def framebuffer_size(self) -> tuple[int, int]:
        return glfw.get_framebuffer_size(self.handle)

    def size(self) -> tuple[int, int]:
        """In screen coordinates (the cursor's), which differ from the framebuffer's pixels on HiDPI screens; as
        the last resize event said (asking glfw costs ~0.1 ms)."""
        return self._size

    def pixel_scale(self) -> tuple[float, float]:
        """Framebuffer pixels per screen coordinate, as the last resize events said (1 but on HiDPI screens)."""
        (width, height), (fb_width, fb_height) = self._size, self._framebuffer
        if not (width and height and fb_width and fb_height):
            return (1.0, 1.0)
        return (fb_width / width, fb_height / height)

    def content_scale(self) -> float:
        """The screen's scale for text and widgets (1 on a standard-density screen)."""
        return float(max(glfw.get_window_content_scale(self.handle)))

    def should_close(self) -> bool:
        return bool(glfw.window_should_close(self.handle))

    def request_close(self) -> None:
        glfw.set_window_should_close(self.handle, True)

    def set_title(self, title: str) -> None:
        glfw.set_window_title(self.handle, title)

    def set_size(self, width: int, height: int) -> None:
        glfw.set_window_size(self.handle, width, height)

    @staticmethod
    def poll() -> None:
        glfw.poll_events()

    @staticmethod
    def wait(timeout: float) -> None:
        glfw.wait_events_timeout(timeout)

    def destroy(self) -> None:
        """After its surface (the window frames')."""
        handle, self.handle = self.handle, None
        if handle is not None:
            glfw.destroy_window(handle)
