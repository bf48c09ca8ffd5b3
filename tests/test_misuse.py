"""A renderer used out of order: after close(), or after a switch() that failed, rendering is one clear error
(never an AttributeError from inside), and a later switch() to a good scene renders again."""

import pytest

from renderer import HeadlessRenderer
from renderer.errors import RendererError
from renderer.scene import Scene, SceneError
from tests.scenes_for_tests import FrameMarker


class FailsInSetup(Scene):
    name = "fails-in-setup"

    def setup(self, gpu):
        gpu.array("positions", (0,))


NO_SCENE = "no scene is loaded: the renderer is closed, or its last switch\\(\\) failed"


def test_render_after_a_failed_switch_then_recover():
    with HeadlessRenderer(FrameMarker(), 32, 32, validate=True) as renderer:
        renderer.render(2)
        with pytest.raises(SceneError):
            renderer.switch(FailsInSetup())
        with pytest.raises(RendererError, match=NO_SCENE):
            renderer.render(1)
        renderer.switch(FrameMarker())
        assert renderer.render(3).shape == (32, 32, 4)


def test_render_after_close():
    renderer = HeadlessRenderer(FrameMarker(), 32, 32)
    renderer.close()
    with pytest.raises(RendererError, match=NO_SCENE):
        renderer.render(1)
    with pytest.raises(RendererError, match=NO_SCENE):
        next(renderer.frames_iter(1))
    with pytest.raises(RendererError, match="the renderer is closed: make a new one"):
        renderer.switch(FrameMarker())
    renderer.close()  # idempotent
