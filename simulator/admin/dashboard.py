"""GET /_sim/dashboard: one static page (dashboard.html) that polls the public /_sim API."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

_PAGE = files(__package__).joinpath("dashboard.html").read_text(encoding="utf-8")


async def dashboard(request: web.Request) -> web.Response:
    return web.Response(text=_PAGE, content_type="text/html")
