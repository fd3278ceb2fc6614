"""Paths no face's sub-app takes but that are plainly meant for one (`/V1/...` against the `/v1` mount):
a 404/405 in that face's own JSON error shape, never aiohttp's plain-text `404: Not Found`.

Paths under a mount are answered by the face's own error middleware; this root middleware catches what
the root router refuses, and matches the face's prefixes and aliases in any letter case.

A refusal leaves no reference cycle behind (`postman-sim serve` freezes what a garbage collection finds alive,
so a cycle alive then would be kept for good, simulator/core/gcpolicy.py): aiohttp's not-found route holds a
bound method of itself and the exception it raises, whose traceback holds the frames that hold the request.
Both links are cut here, for every refusal under the root app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_urldispatcher import SystemRoute

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
            raise  # the outermost middleware answers it as aiohttp would, without its traceback
        return runtime.respond(request, runtime.http_error(exc))
    finally:
        _cut_route_cycle(request)  # also for the refusals the faces' and /_sim's own middlewares answered


def _cut_route_cycle(request: web.Request) -> None:
    """aiohttp's not-found/not-allowed route keeps its own bound `_handle` as its handler: a cycle through
    itself. The handler has run by now and nothing calls it again, so the link is dropped."""
    route = request.match_info.route
    if isinstance(route, SystemRoute):
        vars(route)["_handler"] = None
        route.get_info()["http_exception"].__traceback__ = None  # the frames it was raised through hold the request


def install(app: web.Application) -> None:
    app.middlewares.append(unrouted)
