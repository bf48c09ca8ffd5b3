"""The front ends: one scene lifecycle (`session`) that the headless renderer (`headless`) and the window
(`interactive`, with its glfw `window`) share, and the command line (`demo`). May import every lower layer."""

from .headless import HeadlessRenderer

__all__ = ["HeadlessRenderer"]
