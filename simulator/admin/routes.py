"""The control surface under /_sim: health, reset, clock, journal and forced statuses.

Errors here are {"error": {"code", "message"}}; this surface is the simulator's own and stable.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from simulator.admin.bodies import query_choice, read_fields
from simulator.admin.errors import AdminError, admin_errors
from simulator.clock import LAST_EPOCH, SystemClock
from simulator.core.engine import Engine
from simulator.core.models import ErrorInfo, Message
from simulator.core.timefmt import iso_utc, parse_iso
from simulator.dashboard import dashboard
from simulator.faces.qlara import simulate_inbound
from simulator.openapi import docs_view, openapi_view
from simulator.scenarios.reload import add_routes as add_scenario_routes
from simulator.scenarios.vocabulary import CHANNELS, FACES, FLOWS
from simulator.state import ENGINE
from simulator.telemetry.metrics import metrics_view

__all__ = ["AdminError", "admin_errors", "create_admin"]  # AdminError's old home: others import it from here

STATUSES = frozenset(status for flow in FLOWS.values() for status in flow.statuses)  # every flow's


def _engine(request: web.Request) -> Engine:
    return request.config_dict[ENGINE]


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminError(400, "bad_request", f"'{key}' must be a finite number.")
    return float(value)


async def _move_clock(engine: Engine, seconds: float) -> web.Response:
    if seconds < 0:
        raise AdminError(400, "bad_request", "The clock only moves forward (restart the simulator to go back).")
    if engine.clock.now() + seconds > LAST_EPOCH:
        raise AdminError(400, "bad_request", "The clock cannot go past 9999-12-31T23:59:59Z.")
    ran = await engine.scheduler.advance(seconds)
    return web.json_response({**clock_view(engine), "ran": ran})


def clock_view(engine: Engine) -> dict[str, Any]:
    now = engine.clock.now()
    due = engine.scheduler.next_due()
    return {"kind": engine.clock.kind, "now": iso_utc(now), "epoch": now, "speed": engine.clock.speed,
            "pending": len(engine.scheduler), "nextDue": None if due is None else iso_utc(due)}


def journal_view(message: Message) -> dict[str, Any]:
    """A face-neutral view of a message with every attempt, its plan and its history."""
    return {
        "id": message.id,
        "face": message.face,
        "channel": message.channel,
        "tenant": message.tenant,
        "recipient": message.recipient,
        "status": message.status,
        "createdAt": iso_utc(message.created_at),
        "updatedAt": iso_utc(message.updated_at),
        "batchId": message.batch_id,
        "rule": message.attempt.plan.rule,
        "payload": message.payload,
        "attempts": [
            {
                "number": attempt.number,
                "createdAt": iso_utc(attempt.created_at),
                "rule": attempt.plan.rule,
                "plan": [{"after": s.after, "status": s.status,
                          "error": None if s.error is None else s.error.as_dict()} for s in attempt.plan.steps],
                "history": [{"status": c.status, "at": iso_utc(c.at), "forced": c.forced,
                             "error": None if c.error is None else c.error.as_dict()} for c in attempt.history],
            }
            for attempt in message.attempts
        ],
    }


async def health(request: web.Request) -> web.Response:
    engine = _engine(request)
    engine.catch_up()  # retention is on the simulated clock: what expired by now is gone
    return web.json_response({"status": "ok", "clock": engine.clock.kind, "messages": len(engine.store),
                              "evicted": engine.store.evicted})


async def reset(request: web.Request) -> web.Response:
    tenant = (await read_fields(request, {"tenant": "string"}, optional=True)).get("tenant")
    removed = _engine(request).reset(tenant)
    return web.json_response({"removed": removed, "tenant": tenant})


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(clock_view(_engine(request)))


async def advance(request: web.Request) -> web.Response:
    return await _move_clock(_engine(request), _number(await read_fields(request, {"seconds": "number"}), "seconds"))


async def set_clock(request: web.Request) -> web.Response:
    body = await read_fields(request, {"time": "string", "epoch": "number"})
    engine = _engine(request)
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
    engine = _engine(request)
    if not isinstance(engine.clock, SystemClock):
        raise AdminError(409, "manual_clock", "The manual clock has no speed; advance it instead.")
    try:
        engine.clock.set_speed(speed)
    except ValueError as exc:
        raise AdminError(400, "bad_request", f"'speed' {exc}.") from exc
    engine.scheduler.clock_changed()
    return web.json_response(clock_view(engine))


async def list_messages(request: web.Request) -> web.Response:
    engine = _engine(request)
    engine.catch_up()
    query = request.query
    for name, allowed in (("face", FACES), ("channel", CHANNELS), ("status", STATUSES)):
        query_choice(request, name, allowed)
    filters = {k: query[k] for k in ("face", "channel", "tenant", "recipient", "status") if query.get(k)}
    try:
        limit = int(query.get("limit", "100"))
        offset = int(query.get("offset", "0"))
    except ValueError as exc:
        raise AdminError(400, "bad_request", "limit and offset must be integers.") from exc
    if not 1 <= limit <= 10000 or offset < 0:
        raise AdminError(400, "bad_request", "limit must be 1..10000 and offset >= 0.")
    page, total = engine.store.query(**filters, offset=offset, limit=limit)  # indexes and counts, no scan
    return web.json_response({"data": [journal_view(m) for m in page], "total": total,
                              "hasMore": offset + limit < total})


def _find(request: web.Request) -> Message:
    message = _engine(request).store.get(request.match_info["id"])
    if message is None:
        raise AdminError(404, "not_found", f"No message with id {request.match_info['id']}.")
    return message


async def get_message(request: web.Request) -> web.Response:
    _engine(request).catch_up()
    return web.json_response(journal_view(_find(request)))


async def force_status(request: web.Request) -> web.Response:
    message = _find(request)
    body = await read_fields(request, {"status": "any", "error": "object|null"})  # a bad status: bad_status
    status = body.get("status")
    vocabulary = FLOWS[message.flow]
    if not isinstance(status, str) or status not in vocabulary.statuses:
        raise AdminError(400, "bad_status", f"{status!r} is not a {message.flow} status; "
                         f"expected one of {sorted(vocabulary.statuses)}.")
    error = vocabulary.forced_errors.get(str(status))  # a failure always carries an error, as real ones do
    raw_error = body.get("error")
    if raw_error is not None:
        fields = ("code", "type", "description", "sub_type")
        if (not isinstance(raw_error, dict) or not isinstance(raw_error.get("code"), str)
                or any(raw_error.get(k) is not None and not isinstance(raw_error[k], str) for k in fields)):
            raise AdminError(400, "bad_request", "'error' must be an object of strings with at least a 'code'.")
        error = ErrorInfo(code=raw_error["code"], type=raw_error.get("type"),
                          description=raw_error.get("description"), sub_type=raw_error.get("sub_type"))
    _engine(request).force(message, str(status), error)
    return web.json_response(journal_view(message))


def create_admin() -> web.Application:
    app = web.Application(middlewares=[admin_errors])
    app.router.add_get("/health", health)
    app.router.add_post("/reset", reset)
    app.router.add_get("/clock", get_clock)
    app.router.add_post("/clock/advance", advance)
    app.router.add_post("/clock/set", set_clock)
    app.router.add_post("/clock/speed", set_speed)
    app.router.add_get("/messages", list_messages)
    app.router.add_get("/messages/{id}", get_message)
    app.router.add_post("/messages/{id}/status", force_status)
    app.router.add_get("/dashboard", dashboard)
    add_scenario_routes(app)
    app.router.add_post("/qlara/inbound", simulate_inbound)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/openapi.json", openapi_view)
    app.router.add_get("/docs", docs_view)
    return app
