"""Retry schedules: durations between attempts, jitter from a seeded RNG, and Retry-After."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Svix's schedule (the Standard Webhooks example, trimmed to 8 attempts, ~27.6 h in all).
DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
DEFAULT_JITTER = 0.2

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like '5s', '5m', '2h', '1d'; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number of seconds >= 0")
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration like 30, '5s', '5m', '2h' or '1d'")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`schedule[n]` is the wait before attempt n+1 (n=0: after the status change); ±jitter of it."""

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = DEFAULT_JITTER

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def delay(self, index: int, rng: random.Random) -> float:
        base = self.schedule[index]
        if base == 0 or self.jitter == 0:
            return base
        return base * (1 + rng.uniform(-self.jitter, self.jitter))

    def bounds(self, index: int) -> tuple[float, float]:
        base = self.schedule[index]
        return base * (1 - self.jitter), base * (1 + self.jitter)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
