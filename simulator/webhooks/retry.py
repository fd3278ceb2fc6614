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
# The longest wait a receiver's Retry-After may impose (24 h). A larger value, a date years ahead or a number too
# big for a float (`Retry-After: 99999999999999999999`) waits this long: the event is retried, never parked past
# the end of time (where no timestamp can be written). A schedule's own longer delay still wins.
MAX_RETRY_AFTER = 86400.0
# The longest wait a retry schedule (or chaos.reorder_delay) may give between two attempts: 30 days.
MAX_RETRY_DELAY = 30 * 86400.0

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
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not math.isfinite(seconds):  # 400 nines are inf to float()
        raise ValueError(f"{value!r} is not a finite duration")
    return seconds


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
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), at most MAX_RETRY_AFTER;
    None when there is none or it is neither. Never raises, whatever the receiver sent."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # not str.isdigit alone: '²' is a digit there, and float('²') fails
        return min(float(text), MAX_RETRY_AFTER)  # float: 400 nines are inf, and min() takes that too
    try:
        wait = parsedate_to_datetime(text).timestamp() - now
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, wait), MAX_RETRY_AFTER) if math.isfinite(wait) else None
