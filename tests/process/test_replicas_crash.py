"""Nothing lost (issue 16): kill -9 of one replica mid-run, and every replica (and Redis) stopped and started.

Real processes over a real redis-server with its append-only file; webhooks go to a loopback receiver.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import aiohttp

from tests.process.replicas import (
    V2,
    V2_BODY,
    V2_SEND,
    Receiver,
    RedisServer,
    Replica,
    call_json,
    scenarios,
    start_replicas,
)

HOOK = {"id": "qa", "format": "standard", "channels": ["sms"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
TERMINAL = ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]


async def _histories(http: aiohttp.ClientSession, replica: Replica) -> dict[str, list[tuple[str, str]]]:
    listed = await call_json(http, "GET", f"{replica.base}/_sim/messages?limit=10000")
    return {m["id"]: [(c["status"], c["at"]) for a in m["attempts"] for c in a["history"]] for m in listed["data"]}


async def _all_delivered(http: aiohttp.ClientSession, replica: Replica, seconds: float = 30.0) -> dict[str, Any]:
    """Wait (real time: the lease holder sends in the background) until no webhook event is pending."""
    for _ in range(int(seconds / 0.1)):
        stats = await call_json(http, "GET", f"{replica.base}/_sim/webhooks/stats")
        if stats["events"] and stats["pending"] == 0:
            return dict(stats)
        await asyncio.sleep(0.1)
    raise AssertionError(f"webhook events still pending after {seconds} s: {stats}")


async def _event_bodies(http: aiohttp.ClientSession, replica: Replica) -> dict[str, bytes]:
    listed = await call_json(http, "GET", f"{replica.base}/_sim/webhooks/events?limit=10000")
    return {e["id"]: e["body"].encode() for e in listed["data"]}


async def test_kill_9_of_one_replica_mid_run_loses_no_message_no_transition_and_no_webhook(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession,
        receiver: tuple[Receiver, str], tmp_path: Path) -> None:
    got, url = receiver
    a, b, c = await start_replicas(replicas, redis.url, scenarios(tmp_path), 3)  # a starts first: it holds the lease
    await call_json(http, "POST", f"{b.base}/_sim/webhooks", 201, json=HOOK | {"url": url})
    alive = [a, b, c]
    accepted: list[str] = []
    turn = itertools.count()
    for i in range(60):
        if i == 30:
            a.kill()  # mid-run, with deliveries and transitions in flight
            alive.remove(a)
        replica = alive[next(turn) % len(alive)]
        if i % 6 == 5:
            await call_json(http, "POST", f"{replica.base}/_sim/clock/advance", json={"seconds": 1})
            continue
        accepted.append((await call_json(http, "POST", replica.base + V2_SEND, 201, json=V2_BODY, headers=V2))["id"])
    await call_json(http, "POST", f"{c.base}/_sim/clock/advance", json={"seconds": 10})
    on_b, on_c = await _histories(http, b), await _histories(http, c)
    assert on_b == on_c
    assert set(on_b) == set(accepted)
    assert all([status for status, _ in history] == TERMINAL for history in on_b.values())
    stats = await _all_delivered(http, b)
    assert stats["events"] == len(accepted) * len(TERMINAL) and stats["delivered"] == stats["events"]
    events = await _event_bodies(http, c)
    assert events == await _event_bodies(http, b)
    assert set(got.got) == set(events)  # every event reached the receiver, under its own id
    assert all(bodies == [events[event_id]] * len(bodies) for event_id, bodies in got.got.items())


async def test_every_replica_and_redis_stopped_and_started_again_carry_on(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession,
        receiver: tuple[Receiver, str], tmp_path: Path) -> None:
    got, url = receiver
    path = scenarios(tmp_path)
    a, b = await start_replicas(replicas, redis.url, path, 2)
    await call_json(http, "POST", f"{a.base}/_sim/webhooks", 201, json=HOOK | {"url": url})
    ids = [(await call_json(http, "POST", r.base + V2_SEND, 201, json=V2_BODY, headers=V2))["id"] for r in (a, b, a)]
    clock = await call_json(http, "POST", f"{b.base}/_sim/clock/advance", json={"seconds": 1.2})  # halfway
    before = await _histories(http, a)
    for replica in (a, b):
        replica.stop()
    redis.stop()
    redis.start()  # the same port and folder: the append-only file brings the stream back
    c, d = await start_replicas(replicas, redis.url, path, 2)
    assert await _histories(http, c) == before
    assert (await call_json(http, "GET", f"{d.base}/_sim/clock"))["now"] == clock["now"]
    subscriptions = await call_json(http, "GET", f"{d.base}/_sim/webhooks")
    assert [s["id"] for s in subscriptions["data"]] == ["qa"]
    await call_json(http, "POST", f"{d.base}/_sim/clock/advance", json={"seconds": 10})  # the pending transitions
    after = await _histories(http, c)
    assert set(after) == set(ids)
    assert all([status for status, _ in history] == TERMINAL for history in after.values())
    assert await _histories(http, d) == after
    stats = await _all_delivered(http, c)
    assert stats["delivered"] == len(ids) * len(TERMINAL)
    assert set(got.got) == set(await _event_bodies(http, d))
