"""Webhook fan-out throughput: N WhatsApp messages, 3 events each, to a healthy loopback receiver.

Prints events per second through the dispatcher on the manual clock (run: .venv/bin/python bench/webhook_fanout.py).
"""

from __future__ import annotations

import asyncio
import sys
import time

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from simulator import create_app, parse_config
from simulator.clock import ManualClock
from simulator.core.models import Facts
from simulator.webhooks import DISPATCHER

SCENARIOS = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}, {after: 1, status: READ}]
defaults: {v1.whatsapp: wa}
"""


async def main(count: int) -> None:
    received = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    receiver_server = TestServer(receiver, host="127.0.0.1")
    await receiver_server.start_server()
    app = create_app(parse_config(SCENARIOS), clock=ManualClock(start=1_767_225_600.0), seed=1)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    await client.post("/_sim/webhooks", json={"url": str(receiver_server.make_url("/hook")), "format": "meta"})
    dispatcher = app[DISPATCHER]
    for i in range(count):
        dispatcher.engine.accept(face="v1", channel="whatsapp", tenant="bench", recipient=f"65{80000000 + i}",
                                 payload={}, facts=Facts(wamid=f"wamid.bench{i}"))
    started = time.perf_counter()
    await client.post("/_sim/clock/advance", json={"seconds": 5})
    await dispatcher.drain()
    elapsed = time.perf_counter() - started
    print(f"{received} webhook deliveries for {count} messages in {elapsed:.2f} s "
          f"= {received / elapsed:,.0f} deliveries/s (manual clock, one loopback receiver)")
    await client.close()
    await receiver_server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
