"""Webhook isolation on the real clock: a healthy receiver keeps up beside bad ones."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web

from simulator import SystemClock, create_app, parse_config
from tests.faces.v1.client import GOVSG, KEY
from tests.webhooks.receiver import wait_for

BURST = """
v1: {rate_limit: 0}
timelines:
  burst: [{after: 0, status: SENT}, {after: 0, status: DELIVERED}, {after: 0, status: READ}]
defaults: {v1.whatsapp: burst}
webhooks: {shutdown_grace: 0.5}
"""


async def _serve(aiohttp_server: Any, handler: Any) -> str:
    app = web.Application()
    app.router.add_post("/hook", handler)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook"))


async def test_a_healthy_receiver_gets_all_750_events_within_10_s_beside_four_bad_ones(
        aiohttp_server: Any, aiohttp_client: Any) -> None:
    """The reproduction (real clock): healthy, hangs forever, 500 forever, closes mid-response, answers
    after 5 s; 150 GovSG messages make 750 events per subscription. The healthy one had 94 after 90 s."""
    stop = asyncio.Event()
    healthy: list[bytes] = []
    cut: list[int] = []
    hanging: list[int] = []

    async def ok(request: web.Request) -> web.Response:
        healthy.append(await request.read())
        return web.Response(text="ok")

    async def hang(request: web.Request) -> web.Response:
        hanging.append(1)
        await stop.wait()
        return web.Response(text="late")

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def cut_off(request: web.Request) -> web.StreamResponse:
        await request.read()
        cut.append(1)
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"partial")
        assert request.transport is not None
        request.transport.close()  # the answer ends 993 bytes short
        return response

    async def slow(request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)
        return web.Response(text="slow")

    client = await aiohttp_client(create_app(parse_config(BURST), clock=SystemClock(), seed=1))
    names = {}
    for name, handler in (("healthy", ok), ("hang", hang), ("fail", fail), ("cut", cut_off), ("slow", slow)):
        url = await _serve(aiohttp_server, handler)
        response = await client.post("/_sim/webhooks", json={"id": name, "url": url, "format": "standard"})
        assert response.status == 201, await response.text()
        names[name] = url
    started = time.monotonic()
    try:
        for i in range(150):
            response = await client.post(f"{GOVSG}/send", headers={"Authorization": f"Bearer {KEY}"}, json={
                "recipient": f"9{i:07d}", "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}})
            assert response.status == 201, await response.text()
        await wait_for(lambda: len(healthy) >= 750, seconds=10 - (time.monotonic() - started))
        await asyncio.sleep(0.2)  # nothing more may come: each event once
        assert len(healthy) == len(set(healthy)) == 750
        view = await (await client.get("/_sim/webhooks/healthy")).json()
        assert view["stats"] == {"events": 750, "pending": 0, "delivered": 750, "dead": 0}
        # The cut-off answers were failures, not deliveries.
        await wait_for(lambda: len(cut) >= 8)
        rows = (await (await client.get("/_sim/webhooks/deliveries?subscription_id=cut")).json())["data"]
        assert rows and {r["error_class"] for r in rows} == {"payload_error"}
        assert (await (await client.get("/_sim/webhooks/cut")).json())["stats"]["delivered"] == 0
        # The hanging one holds only its own lane's attempts (8), the rest of its events wait in its queue.
        assert len(hanging) == 8
        assert (await (await client.get("/_sim/webhooks/hang")).json())["stats"]["pending"] == 750
    finally:
        stop.set()




