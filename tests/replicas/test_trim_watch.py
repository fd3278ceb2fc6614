"""When a replica may read the shared log without the trim mark (simulator/replicas/trimwatch.py).

A read that skips the mark while a trim can pass the replica applies entries with a gap before them and
diverges for good; these are the cases where the mark must be read. Times are monotonic seconds, given.
"""

from __future__ import annotations

from simulator.replicas.trimwatch import TrimWatch


def _checked(stale: float = 60.0) -> TrimWatch:
    """A watch whose first publish came back at 1.01 and a mark read after it."""
    watch = TrimWatch(stale)
    watch.published(sent=1.0, back=1.01, new=True)
    watch.mark_read(1.02)
    return watch


def test_a_replica_that_has_not_published_reads_the_mark_with_every_batch() -> None:
    watch = TrimWatch(stale=60.0)
    assert watch.mark_due(0.0) and not watch.holds(0.0)
    watch.mark_read(0.0)  # a mark read says nothing yet: it is not in the positions, any trim may pass it
    assert watch.mark_due(0.1)


def test_the_mark_is_skipped_only_after_a_mark_read_that_followed_the_first_publish() -> None:
    watch = TrimWatch(stale=60.0)
    watch.published(sent=1.0, back=1.01, new=True)
    assert watch.mark_due(1.02)  # a trim before the publish may already have passed it
    watch.mark_read(1.0)  # sent before the publish was back: it may have missed that trim
    assert watch.mark_due(1.1)
    watch.mark_read(1.02)
    assert not watch.mark_due(1.1) and watch.holds(1.1)
    watch.published(sent=2.0, back=2.01, new=False)  # the next publish a second later continues the run
    assert not watch.mark_due(2.1)


def test_a_gap_long_enough_to_be_forgotten_starts_over() -> None:
    watch = TrimWatch(stale=10.0)
    watch.published(sent=1.0, back=1.01, new=True)
    watch.mark_read(1.5)
    assert not watch.mark_due(2.0)
    assert not watch.mark_due(7.5)  # answered by 9.5, as reads usually are: fresh until 11, less 1 s of slack
    assert watch.mark_due(8.5)  # no publish since: the read could be answered after the position went stale
    watch.published(sent=9.5, back=10.5, new=False)  # 9.5 s after the last one was sent: it may have been forgotten
    assert watch.mark_due(10.6)
    watch.mark_read(10.6)
    assert not watch.mark_due(10.7)


def test_a_read_answered_late_is_not_covered_however_it_was_sent() -> None:
    watch = _checked(stale=10.0)
    assert not watch.mark_due(2.0)  # sent at 2.0 without the mark...
    assert watch.holds(9.9)  # ...answered by 9.9: Redis ran it while the position was fresh
    assert not watch.holds(10.0)  # ...answered later (Redis stalled, the client retried): look at the mark first


def test_a_field_found_gone_starts_over_whatever_the_clocks_say() -> None:
    watch = _checked()
    watch.published(sent=2.0, back=2.01, new=True)  # forgotten meanwhile (the holder saw it silent)
    assert watch.mark_due(2.02) and not watch.holds(2.02)
    watch.mark_read(2.02)
    assert watch.holds(2.03)


def test_a_stale_bound_shorter_than_a_read_and_a_publish_reads_the_mark_always() -> None:
    watch = TrimWatch(stale=1.0)
    for second in range(5):
        watch.published(sent=float(second), back=second + 0.01, new=second == 0)
        watch.mark_read(second + 0.02)
        assert watch.mark_due(second + 0.03)
