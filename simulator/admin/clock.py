"""/_sim/clock: read it, advance it, set it, change a real clock's speed."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from aiohttp import web

from simulator.admin.bodies import read_fields
from simulator.admin.errors import AdminError
from simulator.admin.system import engine_of
from simulator.clock import LAST_EPOCH, LAST_TIME, SystemClock, ahead_of_wall
from simulator.core.engine import Engine
from simulator.core.timefmt import iso_utc, parse_iso


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminError(400, "bad_request", f"'{key}' must be a finite number.")
    return float(value)


async def _move_clock(engine: Engine, seconds: float) -> web.Response:
    if seconds < 0:
        raise AdminError(400, "bad_request", "The clock only moves forward (restart the simulator to go back).")
    if engine.clock.now() + seconds > LAST_EPOCH:
        raise AdminError(400, "bad_request", f"The clock cannot go past {LAST_TIME}.")
    # Shielded: a client that leaves mid-advance must not stop time between two instants (the advance runs to
    # its end; the request is recorded as 499, see telemetry/install.py).
    ran = await asyncio.shield(engine.scheduler.advance(seconds))
    view = clock_view(engine)
    if engine.clock.kind == "real" and seconds > 0:
        view["note"] = (f"The real clock now runs {view['offset']:g} s ahead of wall time, for good: it keeps "
                        "ticking from there and only a restart of the simulator brings it back to wall time.")
    return web.json_response({**view, "ran": ran, "inFlight": engine.scheduler.in_flight})


def clock_view(engine: Engine) -> dict[str, Any]:
    now = engine.clock.now()
    due = engine.scheduler.next_due()
    return {"kind": engine.clock.kind, "now": iso_utc(now), "epoch": now, "speed": engine.clock.speed,
            "pending": len(engine.scheduler), "nextDue": None if due is None else iso_utc(due),
            "offset": round(ahead_of_wall(engine.clock), 3)}


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(clock_view(engine_of(request)))


async def advance(request: web.Request) -> web.Response:
    return await _move_clock(engine_of(request), _number(await read_fields(request, {"seconds": "number"}), "seconds"))


async def set_clock(request: web.Request) -> web.Response:
    body = await read_fields(request, {"time": "string", "epoch": "number"})
    engine = engine_of(request)
    if "time" in body and "epoch" in body:
        raise AdminError(400, "bad_request", "Give 'time' or 'epoch', not both.")
    if "time" in body:
        try:
            target = parse_iso(str(body["time"]))
        except ValueError as exc:
            raise AdminError(400, "bad_request", "'time' must be an ISO 8601 timestamp.") from exc
    else:
        target = _number(body, "epoch")
    return await _move_clock(engine, target - engine.clock.now())


async def set_speed(request: web.Request) -> web.Response:
    speed = _number(await read_fields(request, {"speed": "number"}), "speed")
    engine = engine_of(request)
    if not isinstance(engine.clock, SystemClock):
        raise AdminError(409, "manual_clock", "The manual clock has no speed; advance it instead.")
    try:
        engine.clock.set_speed(speed)
    except ValueError as exc:
        raise AdminError(400, "bad_request", f"'speed' {exc}.") from exc
    engine.scheduler.clock_changed()
    return web.json_response(clock_view(engine))
