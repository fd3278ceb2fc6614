"""Simulated time: the only module that reads the wall clock.

Everything else asks a `Clock` for `now()` (seconds since the epoch, as a float). A `ManualClock`
moves only when told; a `SystemClock` follows real time, optionally sped up. Both can be jumped
forward, so the scheduler works the same way on either.
"""

from __future__ import annotations

import time
from typing import Protocol

# Simulated time stays printable: ISO 8601 dates end with 9999, and v2 prints its times at +08:00, so the last
# instant every format can print is 9999-12-31T15:59:59Z (23:59:59 in Singapore; a second later is year 10000).
LAST_EPOCH = 253_402_271_999.0
LAST_TIME = "9999-12-31T15:59:59Z"
# A simulated year per 30 real seconds is already faster than anyone can watch; more only risks
# running the clock off the calendar.
MAX_SPEED = 1_000_000.0


def check_time(when: float, what: str) -> float:
    """ValueError unless `when` is an instant (or a span) the clock can print: 0 to LAST_EPOCH. For values
    read back from outside (a snapshot), so a bad one is refused at load rather than failing later."""
    if not 0 <= when <= LAST_EPOCH:
        raise ValueError(f"{what} {when!r} is outside the clock's range (0 to {LAST_TIME})")
    return when


def check_lead(seconds: float, what: str) -> float:
    """ValueError unless `seconds` is a span between two instants the clock can print, either way: how far a
    real clock was ahead of the wall clock (a hair behind it, from float rounding, once it restarted)."""
    if not -LAST_EPOCH <= seconds <= LAST_EPOCH:
        raise ValueError(f"{what} {seconds!r} is outside the clock's range (9999 years either way)")
    return seconds


def check_speed(speed: float) -> float:
    """ValueError unless 0 < speed <= MAX_SPEED."""
    if not 0 < speed <= MAX_SPEED:
        raise ValueError(f"speed must be > 0 and at most {MAX_SPEED:g}")
    return speed


class Clock(Protocol):
    """What the core needs from time."""

    @property
    def kind(self) -> str: ...

    @property
    def speed(self) -> float: ...

    def now(self) -> float:
        """Simulated seconds since the Unix epoch."""
        ...

    def jump(self, seconds: float) -> None:
        """Move simulated time forward by `seconds` (>= 0)."""
        ...

    def real_seconds_until(self, when: float) -> float:
        """How long to really wait until simulated time reaches `when` (inf: not until told)."""
        ...


class ManualClock:
    """A clock that only moves through `jump()`: the scheduler's `advance()` drives it."""

    kind = "manual"
    speed = 0.0

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time())) if start is None else start

    def now(self) -> float:
        return self._now

    def jump(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot move backwards")
        self._now += seconds

    def set(self, when: float) -> None:
        """Place the clock exactly at `when` (used while stepping through due transitions)."""
        self._now = when

    def real_seconds_until(self, when: float) -> float:
        return 0.0 if when <= self._now else float("inf")


class SystemClock:
    """Real time, scaled by `speed` (60 = a simulated minute per real second), plus any jumps."""

    kind = "real"

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self._speed = check_speed(speed)
        self._base_real = time.monotonic()
        self._base_sim = time.time() if start is None else start

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return min(LAST_EPOCH, self._base_sim + (time.monotonic() - self._base_real) * self._speed)

    def jump(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot move backwards")
        self._base_sim += seconds

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on without moving the current simulated time."""
        check_speed(speed)
        self._base_sim = self.now()
        self._base_real = time.monotonic()
        self._speed = speed

    def real_seconds_until(self, when: float) -> float:
        return max(0.0, (when - self.now()) / self._speed)


def ahead_of_wall(clock: Clock) -> float:
    """Seconds the simulated time is ahead of this machine's wall time (negative: behind). Advancing or
    speeding up a real clock moves it ahead for good: only a restart brings it back."""
    return clock.now() - time.time()


def wall_time() -> float:
    """This machine's wall time (seconds since the epoch): the journal's `wall` and nothing simulated. A replica
    on Redis swaps in the wall time written in the stream entry it applies (simulator.replicas.clocks)."""
    return time.time()


# Real seconds from an arbitrary origin, for measuring how long work took (logs, metrics). Never use it for
# simulated time: that is what a `Clock` is for. The function itself, not a wrapper: it runs several times a request.
monotonic = time.perf_counter
