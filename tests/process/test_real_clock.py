"""The real clock (sped up): messages move by themselves, driven by the scheduler's background loop."""

from __future__ import annotations

import asyncio
import time

from simulator import SystemClock, create_app
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, default_config


async def test_real_clock_moves_messages_without_being_advanced(aiohttp_client) -> None:
    app = create_app(default_config(), clock=SystemClock(speed=200.0), seed=1)
    client = await aiohttp_client(app)
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    response = await client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=headers, json={
        "recipient": "6591234567", "language": "english", "values": {"name": "a", "date": "b"}})
    message_id = (await response.json())["id"]
    deadline = time.monotonic() + 5
    status = "created"
    while status != "success" and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # 6 simulated seconds take 30 ms at speed 200
        body = await (await client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages/{message_id}",
                                       headers=headers)).json()
        status = body["latestStatus"]
    assert status == "success"
    clock = await (await client.get("/_sim/clock")).json()
    assert clock["kind"] == "real" and clock["speed"] == 200.0


async def test_real_clock_can_be_jumped_and_sped_up(aiohttp_client) -> None:
    app = create_app(default_config(), clock=SystemClock(speed=1.0), seed=1)
    client = await aiohttp_client(app)
    before = (await (await client.get("/_sim/clock")).json())["epoch"]
    after = (await (await client.post("/_sim/clock/advance", json={"seconds": 3600})).json())["epoch"]
    assert after - before >= 3600
    response = await client.post("/_sim/clock/speed", json={"speed": 60})
    assert (await response.json())["speed"] == 60


async def test_speed_is_bounded_so_the_clock_stays_on_the_calendar(aiohttp_client) -> None:
    app = create_app(default_config(), clock=SystemClock(speed=1.0), seed=1)
    client = await aiohttp_client(app)
    for speed in (0, -1, 1e12):
        response = await client.post("/_sim/clock/speed", json={"speed": speed})
        assert response.status == 400, await response.text()
    assert (await client.post("/_sim/clock/speed", json={"speed": 1e6})).status == 200
    assert (await client.post("/_sim/clock/set", json={"time": "9999-12-31T15:59:00Z"})).status == 200
    await asyncio.sleep(0.01)  # at 10^6 simulated seconds per second the calendar runs out at once
    clock = await (await client.get("/_sim/clock")).json()
    assert clock["now"] == "9999-12-31T15:59:59.000Z"  # held at the last printable instant, never a 500


async def test_advancing_a_real_clock_says_it_is_now_ahead_of_wall_time_for_good(aiohttp_client) -> None:
    client = await aiohttp_client(create_app(default_config(), clock=SystemClock(speed=1.0), seed=1))
    assert abs((await (await client.get("/_sim/clock")).json())["offset"]) < 5
    advanced = await (await client.post("/_sim/clock/advance", json={"seconds": 3600})).json()
    assert 3595 < advanced["offset"] < 3605
    assert "ahead of wall time, for good" in advanced["note"] and "restart" in advanced["note"]
    later = await (await client.get("/_sim/clock")).json()
    assert 3595 < later["offset"] < 3605  # it stays ahead: the real clock ticks on from there
