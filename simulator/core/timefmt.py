"""Timestamp formats the emulated APIs use, from simulated epoch seconds."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime, timedelta, timezone

from simulator.clock import LAST_EPOCH

SGT = timezone(timedelta(hours=8))


def epoch_ms(ts: float) -> int:
    """The whole milliseconds the formats below print for `ts` (they truncate; rounding `ts * 1000` would put
    .5756 at .576 while createdAt says .575)."""
    frac, whole = math.modf(ts)  # as datetime.fromtimestamp reads it: microseconds rounded half to even
    return (int(whole) * 1_000_000 + round(frac * 1e6)) // 1000


def printable(ts: float) -> float:
    """`ts` within 0..LAST_EPOCH (NaN as 0): the clock never leaves that range, but a step due past it (an
    `after:` of 1e300) still has a due time to print, and a listing must never fail on it."""
    return ts if 0.0 <= ts <= LAST_EPOCH else (LAST_EPOCH if ts > 0 else 0.0)


def iso_sgt(ts: float) -> str:
    """Postman v2: ISO 8601 with milliseconds and +08:00, e.g. 2024-05-16T10:30:50.904+08:00. Every send
    formats its timestamps, each a different instant on the real clock, so the date and time of day are
    formatted once per second and the milliseconds added (as iso_utc): 0.5 µs a call, where a datetime was 2."""
    if not 0.0 <= ts <= LAST_EPOCH:  # (inline: every send formats two times; a call each showed in the count)
        ts = printable(ts)
    second, milli = divmod(epoch_ms(ts), 1000)
    return f"{_sgt_second(second)}.{milli:03d}+08:00"


def iso_utc(ts: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, e.g. 2024-01-01T00:00:00.000Z. Every log line has one for a
    different instant, so the date and time of day are formatted once per second and the milliseconds added."""
    if not 0.0 <= ts <= LAST_EPOCH:
        ts = printable(ts)
    second, milli = divmod(epoch_ms(ts), 1000)
    return f"{_utc_second(second)}.{milli:03d}Z"


@functools.lru_cache(maxsize=64)
def _sgt_second(second: int) -> str:
    return datetime.fromtimestamp(second, SGT).isoformat(timespec="seconds").removesuffix("+08:00")


@functools.lru_cache(maxsize=64)
def _utc_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds").removesuffix("+00:00")


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 timestamp (a naive one is taken as UTC) to epoch seconds."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
