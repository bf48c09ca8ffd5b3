"""The documented name of the test kit's pytest plugin (`pytest_plugins = ["renderer.pytest_plugin"]`); it lives
in `renderer/testing/pytest_plugin.py`."""

from .testing.pytest_plugin import *  # noqa: F403
