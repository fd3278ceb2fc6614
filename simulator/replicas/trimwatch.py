"""When a replica's read of the shared log must also read the trim mark.

A trim never passes a replica whose position is in `{group}:applied` and fresh when the trim runs (the trim
reads the positions and trims in one script). So a replica may skip the mark (a pipeline costs it about a
fifth of its CPU per write under load) only while its own position is known to be there and fresh:
- its publishes have followed one another with no gap long enough for it to be forgotten (a gap starts a new
  run of publishes: a trim in the gap may have passed it);
- a read *with* the mark started after the first publish of the current run finished (a trim before that
  publish, when it was absent or stale, may already have passed it: only the mark can tell);
- the read about to start is answered (a blocking read waits up to `READ_SPAN`) before its last publish goes
  stale.
Anything else, including a replica that has not published yet, reads the mark with every batch.
"""

from __future__ import annotations

import math

SLACK = 1.0      # real seconds allowed for Redis's clock, a publish's round trip and scheduling
READ_SPAN = 2.0  # real seconds a read may take to be answered (its block time, 1 s, and SLACK)


class TrimWatch:
    def __init__(self, stale: float) -> None:
        self.stale = stale  # --replica-stale: a position said longer ago than this may be forgotten
        self._said = -math.inf  # when the last publish that succeeded was sent (monotonic)
        self._run_from = math.inf  # when the first publish of the current run came back
        self._checked = False  # a read with the mark started after _run_from

    def published(self, sent: float, back: float) -> None:
        """A publish sent at `sent` was stored by `back` (monotonic). Redis dates it at most `back`, so with
        the previous one sent at `_said`, it stayed fresh throughout if `back` is well within stale of it."""
        if back - self._said >= self.stale - SLACK:  # a gap in which it may have been forgotten: a new run
            self._run_from, self._checked = back, False
        self._said = sent

    def mark_read(self, started: float) -> None:
        """A read that also fetched the mark was sent at `started` (what it found is handled by the caller:
        the replica loads the checkpoint when the mark is past it; either way it holds from then on)."""
        if started >= self._run_from:
            self._checked = True

    def mark_due(self, now: float) -> bool:
        """Whether a read sent at `now` must also fetch the mark."""
        return not (self._checked and now + READ_SPAN < self._said + self.stale - SLACK)
