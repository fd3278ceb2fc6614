"""The admin token: with one set, the control surface answers only requests that carry it.

One middleware on the root app, keyed on the `/_sim` path prefix, so routes added later and the
sub-apps mounted under /_sim (webhooks admin, sink, qlara inbound) are covered without a list.
Open even then: `/_sim/health` (for load balancers), the dashboard's HTML page (its API calls need
the token), and the sink's receiving side (POST/PUT and Meta's hub.challenge handshake), so
webhooks can still arrive; reading or clearing the sink needs the token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

ENV_NAME = "POSTMAN_SIM_ADMIN_TOKEN"
PREFIX = "/_sim"
SINK = "/_sim/sink"
_OPEN_PAGES = ("/_sim/health", "/_sim/dashboard")
_REALM = 'Bearer realm="postman-sim /_sim"'

Guard = Callable[[web.Request], bool]


def check_token(token: str) -> str:
    """A usable token is visible ASCII (it travels in a header); raises ValueError otherwise."""
    if not token or not all("!" <= char <= "~" for char in token):
        raise ValueError("the admin token must be non-empty visible ASCII (no spaces)")
    return token


def sink_receives(request: web.Request) -> bool:
    """What a webhook sender does to a sink: deliver (POST/PUT) or Meta's subscribe handshake."""
    if request.method in ("POST", "PUT"):
        return True
    return request.method in ("GET", "HEAD") and request.query.get("hub.mode") == "subscribe"


def control_surface(request: web.Request) -> bool:
    """True when the simulator's request needs the token: under /_sim and not one of the open parts."""
    path = request.path
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return False
    if path in _OPEN_PAGES and request.method in ("GET", "HEAD"):
        return False
    return not ((path == SINK or path.startswith(SINK + "/")) and sink_receives(request))


def sink_reads(request: web.Request) -> bool:
    """For the standalone `postman-sim sink`: everything but receiving needs the token."""
    return not sink_receives(request)


def presented(request: web.Request, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` was sent, compared in constant time."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass"))


def _unauthorized(request: web.Request) -> web.Response:
    sent = "Authorization" in request.headers
    message = ("The admin token is wrong." if sent else
               "This simulator requires its admin token: send Authorization: Bearer <token>.")
    challenge = _REALM + (', error="invalid_token"' if sent else "")
    return web.json_response({"error": {"code": "unauthorized", "message": message}}, status=401,
                             headers={"WWW-Authenticate": challenge})


def admin_auth(token: str, guarded: Guard = control_surface) -> Middleware:
    """A middleware answering 401 to guarded requests without the token."""
    check_token(token)

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if guarded(request) and not presented(request, token):
            return _unauthorized(request)
        return await handler(request)

    return require_token


def install(app: web.Application, token: str | None, guarded: Guard = control_surface) -> None:
    """Guard `app` when a token is set; without one, nothing changes."""
    if token:
        app.middlewares.append(admin_auth(token, guarded))
