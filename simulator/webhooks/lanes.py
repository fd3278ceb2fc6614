"""One lane per subscription: its own queue, its own in-flight limit, its own counters.

A receiver that hangs, fails or answers slowly fills only its own lane, so every other subscription
keeps its pace. A lane also knows its pending events and running attempts, so deleting or disabling
a subscription cancels them at once, and its counters make the subscription views O(1).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import Counter
from itertools import count
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.webhooks.records import WebhookEvent

STATES = ("pending", "delivered", "dead", "dropped")


class Lane:
    def __init__(self, sub_id: str, limit: int) -> None:
        self.sub_id = sub_id
        self.slots = asyncio.Semaphore(limit)
        self.pending: dict[str, WebhookEvent] = {}
        # each queued or in-flight attempt -> the simulated time it was due
        self.running: dict[asyncio.Task[object], float] = {}
        self._dues: list[tuple[float, int, asyncio.Task[object]]] = []  # running's dues, earliest first (lazy)
        self._seq = count()
        self.counts: Counter[str] = Counter()
        self.events = 0
        self.dead_dropped = 0    # dead letters discarded to keep the dead-letter list bounded
        self.evicted = 0         # pending events discarded because the event store was full
        self.closed = False

    def added(self, event: WebhookEvent) -> None:
        self.events += 1
        self.counts[event.state] += 1
        if event.state == "pending":
            self.pending[event.id] = event

    def moved(self, event: WebhookEvent, old: str, new: str) -> None:
        self.counts[old] -= 1
        self.counts[new] += 1
        if new == "pending":
            self.pending[event.id] = event
        else:
            self.pending.pop(event.id, None)

    def forgotten(self, event: WebhookEvent) -> None:
        self.events -= 1
        self.counts[event.state] -= 1
        self.pending.pop(event.id, None)

    def view(self) -> dict[str, object]:
        """The subscription view's counters: its events by state, its running attempts, and what the
        store discarded to stay bounded (the oldest dead letters; pending events when it was full)."""
        return {"stats": {"events": self.events, **{s: self.counts[s] for s in ("pending", "delivered", "dead")}},
                "in_flight": sum(1 for t in self.running if not t.done() and not t.cancelling()),
                "discarded": {"dead_letters": self.dead_dropped, "pending": self.evicted}}

    def start(self, task: asyncio.Task[object], due: float) -> None:
        self.running[task] = due
        heapq.heappush(self._dues, (due, next(self._seq), task))
        if len(self._dues) > 2 * len(self.running) + 64:  # finished ones pile up behind a long-running one
            self._dues = [entry for entry in self._dues if entry[2] in self.running]
            heapq.heapify(self._dues)

    def finish(self, task: asyncio.Task[object]) -> None:
        self.running.pop(task, None)

    def hanging(self, when: float) -> bool:
        """Is an attempt due before `when` still running? Then an advance moved past its instant without it
        (it outlived the advance's patience), and this lane's later attempts are not waited for either.
        A heap of the running attempts' dues answers it in O(log n): a burst queues thousands in one lane."""
        dues = self._dues
        while dues and (dues[0][2].done() or dues[0][2] not in self.running):
            heapq.heappop(dues)
        return bool(dues) and dues[0][0] < when

    def cancel(self, keep: asyncio.Task[object] | None = None) -> int:
        """Cancel every queued and in-flight attempt (but `keep`, the caller's own); how many were cancelled."""
        tasks = [t for t in self.running if t is not keep and not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)
