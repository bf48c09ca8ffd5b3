"""A scene whose update fails on its third frame: the demo must shut down cleanly and exit non-zero."""

from tests.scenes_for_tests import FrameMarker


class Broken(FrameMarker):
    name = "broken"

    def update(self, frame, dt, input):
        if frame == 2:
            raise ValueError("deliberate bug in update")
        super().update(frame, dt, input)
