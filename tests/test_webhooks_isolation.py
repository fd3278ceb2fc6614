"""One bad receiver delays only itself: per-subscription lanes, cancellation, a bounded event store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web

from simulator import SystemClock, create_app, parse_config
from simulator.core.models import Plan, Step
from simulator.webhooks import DISPATCHER
from tests.conftest import SimFactory
from tests.v1_client import GOVSG, KEY
from tests.webhook_receiver import start_receiver, wait_for

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


async def test_delete_and_disable_cancel_queued_and_running_attempts_at_once(
        make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim("webhooks: {subscription_in_flight: 2, shutdown_grace: 0.2}\n")
    hook = await start_receiver(aiohttp_server, clock=sim.clock, hang=asyncio.Event())
    healthy = await start_receiver(aiohttp_server, clock=sim.clock)
    for sub_id, url in (("stuck", hook.url), ("other", healthy.url), ("stuck2", hook.url + "/2")):
        response = await sim.client.post("/_sim/webhooks", json={"id": sub_id, "url": url, "format": "meta",
                                                                 "timeout": 60})
        assert response.status == 201
    plan = Plan(rule="test", steps=(Step(after=0, status="SENT"),))
    for i in range(5):
        sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient=f"659000000{i}",
                          payload={"wamid": f"wamid.c{i}"}, plan=plan)
    await wait_for(lambda: hook.in_progress == 4 and len(healthy.posts) == 5)  # 2 per stuck lane
    assert (await (await sim.client.get("/_sim/webhooks/stuck")).json())["in_flight"] == 5  # 2 sent, 3 queued

    assert (await sim.client.delete("/_sim/webhooks/stuck")).status == 204
    events = (await (await sim.client.get("/_sim/webhooks/events?subscription_id=stuck")).json())["data"]
    assert [e["state"] for e in events] == ["dropped"] * 5  # at once, not when they would fall due
    await wait_for(lambda: hook.in_progress == 2)  # its two requests were cut, stuck2's still hang

    response = await sim.client.patch("/_sim/webhooks/stuck2", json={"enabled": False})
    assert response.status == 200 and (await response.json())["in_flight"] == 0
    await wait_for(lambda: hook.in_progress == 0)
    dead = (await (await sim.client.get("/_sim/webhooks/dead-letters?subscription_id=stuck2")).json())
    assert dead["total"] == 5 and all("disabled" in e["dead_reason"] for e in dead["data"])
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["in_flight"], stats["waiting"], stats["pending"]) == (0, 0, 0)
    assert len(hook.posts) == 4  # no queued attempt went out after the delete or the disable


async def test_the_event_store_stays_bounded_when_a_receiver_never_succeeds(make_sim: SimFactory) -> None:
    sim = await make_sim("webhooks: {event_limit: 1000, dead_letter_limit: 50, shutdown_grace: 0.2}\n")
    for sub_id, schedule in (("never", [3600]), ("dies", [0])):  # pending for an hour; dead at once
        response = await sim.client.post("/_sim/webhooks", json={
            "id": sub_id, "url": "http://127.0.0.1:9/refused", "format": "meta", "retry": {"schedule": schedule}})
        assert response.status == 201
    plan = Plan(rule="test", steps=(Step(after=0, status="SENT"),))
    for i in range(4_000):
        sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient=f"65{80000000 + i}",
                          payload={"wamid": f"wamid.b{i}"}, plan=plan)
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert stats["events"] == 1000  # not 8,000: the oldest make room
    await sim.app[DISPATCHER].drain()
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert stats["events"] <= 1000 and stats["dead"] <= 50
    dies = await (await sim.client.get("/_sim/webhooks/dies")).json()
    never = await (await sim.client.get("/_sim/webhooks/never")).json()
    assert dies["stats"]["dead"] == 50 and dies["discarded"]["dead_letters"] > 0
    assert (await (await sim.client.get("/_sim/webhooks/dead-letters")).json())["total"] == 50
    assert never["discarded"]["pending"] > 0  # counted, and shown where the user looks
    assert stats["discarded"]["pending"] == dies["discarded"]["pending"] + never["discarded"]["pending"]
