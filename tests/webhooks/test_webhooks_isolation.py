"""One bad receiver delays only itself: per-subscription lanes, cancellation, a bounded event store."""

from __future__ import annotations

import asyncio
from typing import Any

from simulator.core.models import Facts, Plan, Step
from simulator.webhooks import DISPATCHER
from tests.conftest import SimFactory
from tests.webhooks.receiver import start_receiver, wait_for


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
                          payload={}, facts=Facts(wamid=f"wamid.c{i}"), plan=plan)
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
                          payload={}, facts=Facts(wamid=f"wamid.b{i}"), plan=plan)
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
