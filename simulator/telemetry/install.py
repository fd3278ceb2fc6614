"""Wire logs and metrics into an app: one middleware (a log line and two metric updates per request)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.clock import monotonic
from simulator.core.engine import Engine
from simulator.core.events import StatusEvent
from simulator.core.timefmt import iso_utc
from simulator.faces import by_mount
from simulator.telemetry.logs import log_info
from simulator.telemetry.metrics import METRICS, Metrics
from simulator.telemetry.secrets import credential, mask_tenant, masked_query

ADMIN_PREFIX = "/_sim"
CLIENT_CLOSED = 499  # nginx's "client closed request": the client left before its answer was sent
access_log = logging.getLogger("postman_sim.access")
status_log = logging.getLogger("postman_sim.status")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def face_of(path: str) -> str:
    """The metrics label of a path: the face whose mount serves it (the longest), "admin", or "other"."""
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        return "admin"
    face = by_mount(path)
    return "other" if face is None else face.id


def install_telemetry(app: web.Application, engine: Engine) -> Metrics:
    """Attach metrics (app[METRICS]), the request middleware and the status-change log to `app`."""
    metrics = Metrics(engine)
    app[METRICS] = metrics

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = monotonic()
        code = 500
        try:
            response = await handler(request)
            code = CLIENT_CLOSED if _client_left(request) else response.status
            if code >= 400 and request.content.exception() is not None and not response.prepared:
                response.force_close()  # the body did not decode: aiohttp drops the connection, so say so
            return response
        except web.HTTPException as exc:
            code = exc.status
            return _answer(exc)
        except asyncio.CancelledError:
            code = CLIENT_CLOSED  # the handler was cancelled: the client went away (or the server is stopping)
            raise
        finally:
            elapsed = monotonic() - started
            face = face_of(request.path)
            metrics.observe_request(face, code, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                log_info(access_log, "request", {
                    "method": request.method, "path": request.path,
                    "query": masked_query(request.query) or None, "status": code,
                    "ms": round(elapsed * 1000, 2), "face": face, "auth": credential(request.headers)})

    app.middlewares.append(observe)
    engine.events.subscribe(_log_status)
    return metrics


def _client_left(request: web.Request) -> bool:
    """Did the client close the connection before its answer was ready (e.g. during a long advance)?"""
    transport = request.transport
    return transport is None or transport.is_closing()


def _answer(exc: web.HTTPException) -> web.Response:
    """The answer aiohttp would send for `exc`, as a plain response, and `exc` without its traceback. Raised on,
    the exception would outlive the request in a reference cycle (its traceback's frames hold the request, and
    the request holds a router 404/405 in its match_info); the GC policy freezes what outlives a middle
    collection, so each such request would be kept for good (measured: 19 objects per unknown path)."""
    exc.__traceback__ = None
    return web.Response(status=exc.status, reason=exc.reason, body=exc.body, headers=exc.headers)


def _log_status(event: StatusEvent) -> None:
    if not status_log.isEnabledFor(logging.INFO):
        return
    message = event.message
    log_info(status_log, "status", {
        "message": message.id, "flow": message.flow, "tenant": mask_tenant(message.tenant), "attempt": event.attempt,
        "from": event.previous, "to": event.status, "at": iso_utc(event.at), "forced": event.forced,
        "error": None if event.error is None else event.error.code})
