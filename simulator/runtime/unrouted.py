"""Paths no face's sub-app takes but that are plainly meant for one (`/V1/...` against the `/v1` mount):
a 404/405 in that face's own JSON error shape, never aiohttp's plain-text `404: Not Found`.

Paths under a mount are answered by the face's own error middleware; this root middleware catches what
the root router refuses, and matches the face's prefixes and aliases in any letter case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.faces import by_prefix
from simulator.faces.base import FACE_APPS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def unrouted(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        face = by_prefix(request.path) or by_prefix(request.path.lower())
        runtime = None if face is None else request.app[FACE_APPS].get(face.id)
        if runtime is None:
            raise
        exc.__traceback__ = None  # it stays in the request's match_info: no reference cycle through frames
        return runtime.respond(request, runtime.http_error(exc))


def install(app: web.Application) -> None:
    app.middlewares.append(unrouted)
