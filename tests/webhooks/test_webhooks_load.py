"""Fan-out and back-pressure: every event exactly once at volume; a hanging receiver blocks nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

from simulator.core.models import Facts, Plan, Step
from simulator.webhooks import DISPATCHER
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, SimFactory, default_config
from tests.webhooks.receiver import start_receiver, wait_for

SCENARIOS = """
webhooks: {max_in_flight: 8}
timelines:
  wa: [{after: 0, status: SENT}, {after: 1, status: DELIVERED}, {after: 1, status: READ}]
defaults: {v1.whatsapp: wa}
"""


async def test_1000_messages_fan_out_exactly_once(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    for fmt in ("chuanglan", "meta"):
        response = await sim.client.post("/_sim/webhooks", json={"url": f"{hook.url}/{fmt}", "format": fmt})
        assert response.status == 201
    for i in range(1000):
        sim.engine.accept(face="v1", channel="whatsapp", tenant=f"t{i % 7}", recipient=f"65{80000000 + i}",
                          payload={}, facts=Facts(wamid=f"wamid.m{i}"))
    await sim.advance(2)
    await sim.app[DISPATCHER].drain()

    chuanglan = [r.json for r in hook.posts if r.path.endswith("/chuanglan")]
    meta = [r.json["entry"][0]["changes"][0]["value"]["statuses"][0] for r in hook.posts if r.path.endswith("/meta")]
    # chuanglan: delivered and read for each message; each event id exactly once.
    assert len(chuanglan) == 2000 and len({e["id"] for e in chuanglan}) == 2000
    assert Counter((e["body"]["wamid"], e["body"]["status"]) for e in chuanglan).most_common(1)[0][1] == 1
    # meta (no event id): sent, delivered and read once per wamid.
    keys = Counter((s["id"], s["status"]) for s in meta)
    assert len(keys) == 3000 and set(keys.values()) == {1}
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["events"], stats["delivered"], stats["pending"], stats["dead"]) == (5000, 5000, 0, 0)
    assert hook.peak <= 8  # never more deliveries in flight than max_in_flight


async def test_api_stays_responsive_while_a_receiver_hangs(make_sim: SimFactory, aiohttp_server: Any) -> None:
    config = default_config()
    sim = await make_sim(config=dataclasses.replace(
        config, sections={**config.sections, "webhooks": {"max_in_flight": 2}}))
    hook = await start_receiver(aiohttp_server, clock=sim.clock, hang=asyncio.Event())
    await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "meta", "timeout": 60})
    plan = Plan(rule="test", steps=(Step(after=0, status="SENT"),))
    for i in range(5):
        sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient=f"659000000{i}",
                          payload={}, facts=Facts(wamid=f"wamid.h{i}"), plan=plan)
    await wait_for(lambda: hook.in_progress == 2)  # both slots stuck in the receiver

    # While the receiver hangs, the API answers: control surface, a v2 send, the journal, the log.
    assert (await sim.client.get("/_sim/health")).status == 200
    response = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages",
                                     headers={"Authorization": f"Bearer {DEMO_KEY}"},
                                     json={"recipient": "6591234567", "language": "english",
                                           "values": {"name": "Tan", "date": "1 Dec"}})
    assert response.status in (200, 201), await response.text()
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["in_flight"], stats["waiting"], stats["pending"]) == (2, 3, 5)
    assert hook.in_progress == 2 and len(hook.posts) == 2

    assert hook.hang is not None
    hook.hang.set()
    await sim.app[DISPATCHER].drain()
    statuses = [r.json["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] for r in hook.posts]
    assert sorted(statuses) == [f"wamid.h{i}" for i in range(5)]  # nothing lost, nothing doubled
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["delivered"], stats["in_flight"], stats["waiting"]) == (5, 0, 0)


async def test_advance_delivers_same_instant_events_together_within_max_in_flight(
        make_sim: SimFactory, aiohttp_server: Any) -> None:
    config = default_config()
    sim = await make_sim(config=dataclasses.replace(
        config, sections={**config.sections, "webhooks": {"max_in_flight": 3}}))
    hook = await start_receiver(aiohttp_server, clock=sim.clock, hang=asyncio.Event())
    await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "meta", "timeout": 60})
    plan = Plan(rule="test", steps=(Step(after=1, status="SENT"),))
    for i in range(6):
        sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient=f"659100000{i}",
                          payload={}, facts=Facts(wamid=f"wamid.s{i}"), plan=plan)
    advancing = asyncio.ensure_future(sim.advance(1))  # six SENT events fall due at the same instant
    await wait_for(lambda: hook.in_progress == 3)  # delivered side by side, bounded by max_in_flight
    assert not advancing.done()
    assert hook.hang is not None
    hook.hang.set()
    await advancing
    assert hook.peak == 3 and len(hook.posts) == 6
