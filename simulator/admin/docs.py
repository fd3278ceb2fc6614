"""GET /_sim/openapi.json and GET /_sim/docs (a self-contained page: the network may be closed)."""

from __future__ import annotations

import functools
import json

from aiohttp import web

from simulator.openapi.document import load_document
from simulator.openapi.page import render_page


@functools.cache
def _json() -> bytes:
    return json.dumps(load_document(), ensure_ascii=False).encode()


@functools.cache
def _page() -> str:
    return render_page(load_document())


async def openapi_view(request: web.Request) -> web.Response:
    return web.Response(body=_json(), content_type="application/json")


async def docs_view(request: web.Request) -> web.Response:
    return web.Response(text=_page(), content_type="text/html")
