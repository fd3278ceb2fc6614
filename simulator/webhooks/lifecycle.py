"""Start and stop the dispatcher with the application: on the way down (SIGTERM included) it gets
`webhooks.shutdown_grace` to deliver what is due, then logs what each subscription leaves undelivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from simulator.webhooks.state import DISPATCHER


async def dispatcher_lifecycle(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[DISPATCHER].shutdown()
