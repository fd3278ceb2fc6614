"""The recording middleware: one journal entry per request to an emulated API (not /_sim).

It runs outermost next to telemetry, so it sees faulted answers and unknown paths too. A RequestTrace in
a context variable collects, while the request runs, the tenant the face resolved, the messages the engine
created or the store handed out, and the body the face read (core/trace.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from simulator.clock import monotonic
from simulator.core.engine import Engine
from simulator.core.trace import CURRENT_TRACE, RequestTrace
from simulator.faces import by_mount
from simulator.journal.entries import EXCERPT, Entry, Journal
from simulator.journal.settings import ReportSettings, parse_report_settings
from simulator.runtime.faults import FAULT_HEADER
from simulator.telemetry.install import ADMIN_PREFIX, CLIENT_CLOSED

JOURNAL = web.AppKey("journal", Journal)
REPORT_SETTINGS = web.AppKey("report_settings", ReportSettings)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install_journal(app: web.Application, engine: Engine, size: int, report_section: Mapping[str, Any]) -> Journal:
    """Attach the journal (app[JOURNAL]), the report's thresholds (ValueError on a bad `report:` section)
    and, unless the journal's size is 0, the middleware that fills it."""
    journal = Journal(size)
    app[JOURNAL] = journal
    app[REPORT_SETTINGS] = parse_report_settings(report_section)
    engine.on_reset(journal.on_reset)
    if size == 0:
        return journal

    def face_of(path: str) -> str | None:
        face = by_mount(path)
        return None if face is None else face.id

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
            return await handler(request)
        trace = RequestTrace()
        token = CURRENT_TRACE.set(trace)
        at, wall, started = engine.clock.now(), engine.wall(), monotonic()
        response: web.StreamResponse | None = None
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            response, status = exc, exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED  # the client went away before the answer (nginx's 499), not a server error
            raise
        finally:
            CURRENT_TRACE.reset(token)
            journal.add(_entry(journal, request, response, status, trace, at, wall, monotonic() - started,
                               None if request.match_info.http_exception is not None else face_of(request.path)))

    app.middlewares.append(record)
    return journal


def _entry(journal: Journal, request: web.Request, response: web.StreamResponse | None, status: int,
           trace: RequestTrace, at: float, wall: float, elapsed: float, face: str | None) -> Entry:
    raw_body = trace.body
    if raw_body is None and request.body_exists and not request.content.at_eof():
        try:
            raw_body = request.content.read_nowait(EXCERPT) or None  # what arrived and no handler read (a 401...)
        except web.RequestPayloadError:  # its Content-Encoding does not decode: the entry keeps no body
            raw_body = None
    answer = response.body if isinstance(response, web.Response) else None
    headers = response.headers if response is not None else {}
    # positional, in Entry's field order: a third of the keyword call's cost, once a request
    return Entry(
        journal.next_seq(), at, wall, face, request.method, request.path, request.query_string,
        request.raw_headers, None if raw_body is None else raw_body[:EXCERPT], status,
        answer[:EXCERPT] if isinstance(answer, bytes) else None, round(elapsed * 1_000_000) / 1000,
        headers.get(FAULT_HEADER), trace.tenant, tuple(trace.created), tuple(trace.read),
        _seconds(headers.get("Retry-After")), _rate(headers))


def _seconds(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _rate(headers: Mapping[str, str]) -> tuple[int, int] | None:
    limit, remaining = headers.get("X-RateLimit-Limit"), headers.get("X-RateLimit-Remaining")
    if limit is None or remaining is None or not (limit.isdigit() and remaining.isdigit()):
        return None
    return int(limit), int(remaining)
