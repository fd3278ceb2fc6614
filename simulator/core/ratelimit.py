"""Fixed-window rate limits, on wall time by default so a polling client is never trapped.

A face section's `rate_limit_clock: simulated` puts its windows on the simulated clock instead, aligned
to whole windows, so tests see the same 429s every run and leave them by advancing the clock. On wall
time a window opens with the first request after the last one closed: `Retry-After` seconds of real
waiting always end it, whatever the simulated clock does (on `--clock manual` it does nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.clock import Clock, monotonic

RATE_LIMIT_CLOCKS = ("wall", "simulated")


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window: float  # seconds


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: Limit         # the tightest limit (the one that refused, or the one with least room)
    remaining: int
    reset_in: float      # seconds until that limit's window ends

    @property
    def retry_after(self) -> int:
        return 0 if self.allowed else max(1, math.ceil(self.reset_in))


def parse_rate_limit_clock(where: str, value: object) -> str:
    """A face section's `rate_limit_clock`; ValueError naming the key for anything but wall/simulated."""
    if value not in RATE_LIMIT_CLOCKS:
        raise ValueError(f"{where}.rate_limit_clock must be 'wall' or 'simulated', not {value!r}")
    return str(value)


class RateLimiter:
    """Counts requests per key in fixed windows; refused requests are not counted."""

    def __init__(self, clock: Clock, wall: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._wall = wall
        self._windows: dict[tuple[str, float, bool], tuple[float, int]] = {}

    def hit(self, key: str, limits: tuple[Limit, ...], *, simulated: bool = False) -> Verdict | None:
        """Count one request; None when no limit applies. `simulated`: windows on the simulated clock."""
        if not limits:
            return None
        now = self._clock.now() if simulated else self._wall()
        worst: Verdict | None = None
        slots: list[tuple[tuple[str, float, bool], float, int]] = []
        for limit in limits:
            slot = (key, limit.window, simulated)
            # simulated: windows aligned to whole multiples; wall: a window opens at the first request
            opening = math.floor(now / limit.window) * limit.window if simulated else now
            start, used = self._windows.get(slot, (opening, 0))
            if now >= start + limit.window or now < start:
                start, used = opening, 0
            reset_at = start + limit.window
            if used >= limit.count:
                return Verdict(False, limit, 0, reset_at - now)
            verdict = Verdict(True, limit, limit.count - used - 1, reset_at - now)
            if worst is None or verdict.remaining < worst.remaining:
                worst = verdict
            slots.append((slot, start, used))
        for slot, start, used in slots:
            self._windows[slot] = (start, used + 1)
        return worst

    def clear(self) -> None:
        self._windows.clear()

    def export_state(self) -> list[list[Any]]:
        """The open windows as plain data (a replica's checkpoint: replicas must count alike)."""
        return [[key, window, simulated, start, used] for (key, window, simulated), (start, used)
                in self._windows.items()]

    def import_state(self, data: Iterable[Sequence[Any]]) -> None:
        self._windows = {(str(key), float(window), bool(simulated)): (float(start), int(used))
                         for key, window, simulated, start, used in data}
