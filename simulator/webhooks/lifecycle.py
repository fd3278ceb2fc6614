"""Start and stop the dispatcher with the application (its HTTP client session)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from simulator.webhooks.state import DISPATCHER


async def dispatcher_lifecycle(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[DISPATCHER].close()
