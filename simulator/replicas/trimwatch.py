"""When a replica's read of the shared log must also read the trim mark.

A trim never passes a replica whose position is in `{group}:applied` when the trim runs (the trim reads the
positions and trims in one script), and the holder forgets a replica only once its published value has stayed
the same for the replica's own --replica-stale, timed from when the holder's read of it came back: so at least
that long after the replica sent that publish (both are monotonic clocks; a host suspended with a read in its
send buffer is beyond this). A replica may therefore read without the mark (a pipeline costs it about a
fifth of its CPU per write under load) only while its position is known to be there:
- its publishes have followed one another with no gap long enough for it to be forgotten, and the last one
  found its field still there (a gap, or a field that was gone, starts a new run: a trim in between may have
  passed it);
- a read *with* the mark started after the first publish of the current run came back (a trim before that
  publish may already have passed it: only the mark can tell);
- and Redis ran the read before the last publish could go stale. When it ran is only known once the answer is
  back, so `holds()` is asked then, and a read it does not cover is followed by a read of the mark before
  anything is applied (the mark only moves forward and is set with the trim, so a later look covers the
  read). `mark_due()` asks beforehand, with READ_SPAN to spare, only so that this is rare.
Anything else, including a replica that has not published yet, reads the mark with every batch.
"""

from __future__ import annotations

import math

SLACK = 1.0      # real seconds allowed for a publish's round trip, the holder's look every second and scheduling
READ_SPAN = 2.0  # real seconds a read usually takes to be answered (its block time, 1 s, and SLACK)


class TrimWatch:
    def __init__(self, stale: float) -> None:
        self.stale = stale  # this replica's --replica-stale (published with its position: the holder uses it)
        self._said = -math.inf  # when the last publish that succeeded was sent (monotonic)
        self._run_from = math.inf  # when the first publish of the current run came back
        self._checked = False  # a read with the mark started after _run_from

    def published(self, sent: float, back: float, new: bool) -> None:
        """A publish sent at `sent` was stored by `back` (monotonic); `new`: the field was not there (the
        first publish, or the holder forgot this replica). The previous one, sent at `_said`, kept it from
        being forgotten until `_said + stale` at least: with `back` well before that, no gap."""
        if new or back - self._said >= self.stale - SLACK:
            self._run_from, self._checked = back, False
        self._said = sent

    def mark_read(self, started: float) -> None:
        """A read of the mark was sent at `started` and what it found is handled (the replica was not passed, or
        it loaded a checkpoint at or past the mark): from the current run on, no trim passes it."""
        if started >= self._run_from:
            self._checked = True

    def holds(self, now: float) -> bool:
        """Whether a read Redis ran by `now` (monotonic) could not have been passed by a trim."""
        return self._checked and now < self._said + self.stale - SLACK

    def mark_due(self, now: float) -> bool:
        """Whether a read about to be sent at `now` should fetch the mark with it."""
        return not self.holds(now + READ_SPAN)
