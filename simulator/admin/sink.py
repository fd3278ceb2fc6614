"""A webhook sink for manual QA: records what it receives and shows it back as JSON.

Mounted at /_sim/sink in the simulator, or standalone via `postman-sim sink --port N`. POST anything
to it (any sub-path); `?status=503` (and `&retry_after=120`) makes it answer with that status, to see
retries. GET with hub.mode=subscribe answers Meta's handshake. GET (any sub-path) lists what arrived,
newest first; DELETE (any sub-path) clears. With a secret it checks X-Hub-Signature-256 and webhook-signature.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulator.clock import Clock
from simulator.core.timefmt import iso_utc
from simulator.faces import gzip_end
from simulator.faces.common import parse_json
from simulator.faces.credentials import secret_equals
from simulator.webhooks.signing import verify_meta, verify_standard


@dataclass
class SinkState:
    clock: Clock
    secret: str | None = None
    verify_token: str | None = None
    limit: int = 1000
    received: deque[dict[str, Any]] = field(default_factory=deque)
    count: int = 0


SINK = web.AppKey("webhook_sink", SinkState)
BAD_STATUS = "status must be a number from 200 to 599 in ASCII digits, e.g. ?status=503"


def _signatures(state: SinkState, request: web.Request, body: bytes) -> dict[str, bool]:
    if state.secret is None:
        return {}
    checks = {}
    headers = request.headers
    if "X-Hub-Signature-256" in headers:
        checks["x-hub-signature-256"] = verify_meta(state.secret, body, headers["X-Hub-Signature-256"])
    if "webhook-signature" in headers:
        try:
            checks["webhook-signature"] = verify_standard(state.secret, headers.get("webhook-id"),
                                                          headers.get("webhook-timestamp"), body,
                                                          headers["webhook-signature"])
        except ValueError:
            checks["webhook-signature"] = False
    return checks


async def receive(request: web.Request) -> web.Response:
    state = request.app[SINK]
    try:
        body = await request.read()
    except web.RequestPayloadError:  # its Content-Encoding does not decode: what a receiver answers, not a 500
        response = web.Response(status=400, text="the body does not decode as its Content-Encoding says")
        response.force_close()
        return response
    try:
        parsed: Any = parse_json(body) if body else None
    except ValueError:
        parsed = None
    state.count += 1
    state.received.append({
        "n": state.count, "at": iso_utc(state.clock.now()), "method": request.method, "path": request.path,
        "query": dict(request.query), "headers": dict(request.headers), "body": body.decode("utf-8", "replace"),
        "json": parsed, "signatures": _signatures(state, request, body),
    })
    while len(state.received) > state.limit:
        state.received.popleft()
    status = _status(request.query.get("status", "200"))
    if status is None:
        return web.Response(status=400, text=BAD_STATUS)
    retry_after = request.query.get("retry_after", "")
    headers = {"Retry-After": retry_after} if _header_safe(retry_after) else None
    return web.Response(status=status, text="OK" if status < 300 else "sink says no", headers=headers)


def _status(text: str) -> int | None:
    """The status asked for, or None. ASCII digits only: str.isdigit() and int() also take '²' (which int()
    refuses, a 500) and Arabic-Indic digits (which int() reads), neither of which a user means as a status."""
    if not (text.isascii() and text.isdigit() and len(text) == 3):
        return None
    status = int(text)
    return status if 200 <= status <= 599 else None


def _header_safe(value: str) -> bool:
    """Only visible ASCII (and inner spaces) may go into a header; anything else is ignored, not echoed."""
    return value.isascii() and value.isprintable() and value.strip() != ""


async def show(request: web.Request) -> web.Response:
    state = request.app[SINK]
    query = request.query
    if query.get("hub.mode") == "subscribe":
        if state.verify_token is not None and not secret_equals(query.get("hub.verify_token"), state.verify_token):
            return web.Response(status=403, text="verify token mismatch")
        return web.Response(text=query.get("hub.challenge", ""))
    items = list(reversed(state.received))
    return web.json_response({"total": state.count, "kept": len(items), "data": items})


async def clear(request: web.Request) -> web.Response:
    state = request.app[SINK]
    state.received.clear()
    state.count = 0
    return web.Response(status=204)


def create_sink_app(clock: Clock, secret: str | None = None, verify_token: str | None = None,
                    limit: int = 1000) -> web.Application:
    gzip_end.install()  # (also `postman-sim sink` on its own)
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[SINK] = SinkState(clock=clock, secret=secret, verify_token=verify_token, limit=limit)
    # Every path below the root is the same sink: `{tail}` may be empty (a trailing slash) or hold slashes,
    # and any character at all (a decoded %0A too, which `.` would not match).
    for path in ("", "/{tail:[\\s\\S]*}"):
        app.router.add_post(path, receive)
        app.router.add_put(path, receive)
        app.router.add_get(path, show)
        app.router.add_delete(path, clear)
    return app
