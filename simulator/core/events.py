"""Status-change events. Subscribers (journal, webhooks, logs) must return quickly: they run inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from simulator.core.models import ErrorInfo, Message


class StatusEvent(NamedTuple):
    """One status change. A named tuple: made once per transition (millions in one advance), and a frozen
    dataclass's __init__ costs a setattr call per field."""

    seq: int
    message: Message
    attempt: int
    status: str
    previous: str | None
    at: float
    forced: bool
    error: ErrorInfo | None


Subscriber = Callable[[StatusEvent], None]


class EventBus:
    """Fans each status change out to subscribers; a failing subscriber never breaks the core."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._seq = 0
        self.errors: list[BaseException] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.remove(subscriber)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        """The last event's number (a snapshot keeps it: numbers go on after a restart)."""
        return self._seq

    def restore_seq(self, seq: int) -> None:
        self._seq = seq

    def publish(self, event: StatusEvent) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception as exc:  # a subscriber bug must not lose the status change
                self.errors.append(exc)
