"""HeadlessRenderer(pin_thread=True) keeps the iterating thread on one core while frames_iter runs, and gives
its affinity back when the iteration ends, is abandoned, or fails; by default the affinity is left alone."""

import os

import pytest

from renderer.app.headless import HeadlessRenderer
from renderer.app.pinning import current_core, pinned_thread
from scenes.particles import Particles

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or current_core() is None or len(os.sched_getaffinity(0)) < 2,
    reason="needs thread affinity (Linux) and two cores",
)


def test_pinned_while_iterating_then_restored():
    allowed = os.sched_getaffinity(0)
    with HeadlessRenderer(Particles(count=500), 64, 48, pin_thread=True) as r:
        during = [os.sched_getaffinity(0) for _ in r.frames_iter(4)]
        assert all(len(cores) == 1 and cores == during[0] for cores in during)
        assert os.sched_getaffinity(0) == allowed
        frames = r.frames_iter(10)  # abandoned after two frames
        next(frames)
        next(frames)
        assert len(os.sched_getaffinity(0)) == 1
        frames.close()
        assert os.sched_getaffinity(0) == allowed


def test_not_pinned_by_default():
    allowed = os.sched_getaffinity(0)
    with HeadlessRenderer(Particles(count=500), 64, 48) as r:
        assert all(os.sched_getaffinity(0) == allowed for _ in r.frames_iter(3))


def test_restored_after_an_error():
    allowed = os.sched_getaffinity(0)
    with pytest.raises(ZeroDivisionError), pinned_thread():
        assert len(os.sched_getaffinity(0)) == 1
        raise ZeroDivisionError
    assert os.sched_getaffinity(0) == allowed
