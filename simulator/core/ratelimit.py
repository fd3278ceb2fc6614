"""Fixed-window rate limits on the simulated clock, so tests see the same 429s every run."""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.clock import Clock


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


class RateLimiter:
    """Counts requests per key in fixed windows; refused requests are not counted."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, float], tuple[int, int]] = {}

    def hit(self, key: str, limits: tuple[Limit, ...]) -> Verdict | None:
        """Count one request; None when no limit applies."""
        if not limits:
            return None
        now = self._clock.now()
        worst: Verdict | None = None
        slots: list[tuple[tuple[str, float], int, int]] = []
        for limit in limits:
            window = math.floor(now / limit.window)
            slot = (key, limit.window)
            start, used = self._windows.get(slot, (window, 0))
            if start != window:
                start, used = window, 0
            reset_at = (window + 1) * limit.window
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
