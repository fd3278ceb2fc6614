"""Requests leave no reference cycles: `postman-sim serve` freezes what a garbage collection finds alive
(simulator/core/gcpolicy.py), so a cycle still alive at that moment (a request in flight) would be kept for good.

The first test looks at refused requests' tracebacks; the second runs a broad mix (sends accepted and refused on
every face, unknown paths, the admin API, an advance, webhooks delivered, retried and failing to connect) and
requires a collection afterwards to find nothing unreachable at all."""

from __future__ import annotations

import collections
import gc
import socket
import types
from typing import Any

from simulator.webhooks import DISPATCHER
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, Sim
from tests.faces.qlara.helpers import send_sms, send_whatsapp, template_body
from tests.faces.v1.client import EMAIL, GOVSG, SMS, email_body, send
from tests.webhooks.receiver import start_receiver

SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
V2_BODY = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
REFUSED = (("GET", "/nothing", 404), ("GET", "/api/v2/nothing", 404), ("DELETE", SEND, 405), ("GET", "/V1/x", 404),
           ("GET", "/_sim/nothing", 404))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def test_unknown_paths_and_wrong_methods_leave_no_tracebacks_in_cycles(sim: Sim) -> None:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept in gc.garbage, to be looked at
    try:
        for method, path, status in REFUSED:
            for _ in range(3):
                async with sim.client.request(method, path) as response:
                    assert response.status == status
                    await response.read()
        gc.collect()
        tracebacks = [o for o in gc.garbage if isinstance(o, types.TracebackType)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert tracebacks == []


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): a webhook target that refuses connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def mixed_round(sim: Sim) -> None:
    for body, headers in ((V2_BODY, AUTH), ({"recipient": 5}, AUTH), (V2_BODY, {}),
                          (V2_BODY, {"Authorization": "Bearer nope"})):
        async with sim.client.post(SEND, json=body, headers=headers) as response:
            assert response.status in (201, 400, 401), await response.text()
    async with sim.client.post(SEND, data=b"{not json", headers={**AUTH, "Content-Type": "application/json"}) as r:
        assert r.status == 400
    for method, path, status in REFUSED:
        async with sim.client.request(method, path) as response:
            assert response.status == status
    await send(sim, EMAIL, email_body())
    await send(sim, SMS, {"recipient": "6591234567", "body": "Your code is 1234", "label": "default"})
    await send(sim, GOVSG, {"recipient": "6581234567", "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}})
    await send_whatsapp(sim, template_body("6591234567"))
    await send_sms(sim, "6591234567")
    for path in ("/_sim/messages?face=v2", "/_sim/messages?status=failure", "/_sim/metrics", "/_sim/health",
                 "/_sim/requests", "/_sim/report"):
        async with sim.client.get(path) as response:
            assert response.status == 200, path
    await sim.advance(30)
    await sim.app[DISPATCHER].drain()


async def test_a_mixed_workload_leaves_nothing_for_the_cyclic_collector(windowed_sim: Sim, aiohttp_server: Any) -> None:
    sim = windowed_sim
    answering = await start_receiver(aiohttp_server, clock=sim.clock)
    failing = await start_receiver(aiohttp_server, clock=sim.clock, default=500)
    for url, fmt in ((answering.url, "meta"), (answering.url, "chuanglan"), (answering.url, "standard"),
                     (failing.url, "standard"), (f"http://127.0.0.1:{closed_port()}/hook", "standard")):
        response = await sim.client.post("/_sim/webhooks", json={"url": url, "format": fmt, "secret": SECRET})
        assert response.status == 201, await response.text()
    await mixed_round(sim)  # first use: caches, lazily built tables
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(4):
            await mixed_round(sim)
        gc.collect()
        kinds = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert answering.posts and failing.posts  # webhooks were delivered, and retried after 500s
    assert kinds == collections.Counter()
