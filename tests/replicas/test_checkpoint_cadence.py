"""When the lease holder takes its next checkpoint: by entries or time, but never so often that capturing a
big state (which holds its applier) becomes most of its time."""

from __future__ import annotations

from typing import Any, cast

from simulator.clock import monotonic
from simulator.replicas.compaction import DUTY, Checkpointer, Compaction

NONE = cast(Any, None)


def checkpointer(entries: int = 100, every: float = 60.0) -> Checkpointer:
    return Checkpointer(NONE, NONE, NONE, Compaction(entries, every, 60.0, 60.0), seed=1)


def test_a_checkpoint_is_due_after_enough_entries_or_time_once_something_was_applied() -> None:
    taker = checkpointer(entries=100, every=60.0)
    assert not taker.due()  # nothing applied
    for _ in range(99):
        taker.applied()
    assert not taker.due()
    taker.applied()
    assert taker.due()
    timed = checkpointer(entries=0, every=60.0)
    timed.applied()
    assert not timed.due()
    timed._last = monotonic() - 61
    assert timed.due()


def test_a_long_capture_spaces_the_next_one_out() -> None:
    taker = checkpointer(entries=100, every=60.0)
    taker._pause = 30.0  # the last capture held the applier 30 s (a state of a few hundred thousand messages)
    for _ in range(10_000):
        taker.applied()
    taker._last = monotonic() - 100  # past both the entry count and `every`, but only 100 s after a 30 s pause
    assert not taker.due()
    taker._last = monotonic() - DUTY * 30.0 - 1
    assert taker.due()
