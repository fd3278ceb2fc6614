"""GET /_sim/openapi.json and GET /_sim/docs (a self-contained page: the network may be closed).

Built from the faces registered when asked (and the webhook formats they add), cached per that set.
"""

from __future__ import annotations

import functools
import json

from aiohttp import web

from simulator.faces import Face, faces
from simulator.openapi.document import METHODS, load_document
from simulator.openapi.page import render_page
from simulator.webhooks.formats import formats


@functools.cache
def _json(registered: tuple[Face, ...], names: tuple[str, ...]) -> bytes:
    return json.dumps(load_document(registered, formats=names), ensure_ascii=False).encode()


@functools.cache
def _page(registered: tuple[Face, ...], names: tuple[str, ...]) -> str:
    return render_page(load_document(registered, formats=names))


def _key() -> tuple[tuple[Face, ...], tuple[str, ...]]:
    return faces(), tuple(sorted(formats()))


@functools.cache
def _index(registered: tuple[Face, ...], names: tuple[str, ...]) -> bytes:
    paths = load_document(registered, formats=names)["paths"]
    routes = [f"{method.upper()} {path}" for path, item in paths.items() if path.startswith("/_sim")
              for method in item if method in METHODS]
    return json.dumps({"docs": "/_sim/docs", "openapi": "/_sim/openapi.json", "dashboard": "/_sim/dashboard",
                       "routes": routes}).encode()


async def index_view(request: web.Request) -> web.Response:
    """GET /_sim: the banner prints it as the control surface's address, so it answers with where to go."""
    return web.Response(body=_index(*_key()), content_type="application/json")


async def openapi_view(request: web.Request) -> web.Response:
    return web.Response(body=_json(*_key()), content_type="application/json")


async def docs_view(request: web.Request) -> web.Response:
    return web.Response(text=_page(*_key()), content_type="text/html")
