"""Manual redelivery and dead-letter replay on replicas (issue 16), answered as in memory.

Real replicas over a real redis-server: the request goes to a replica that does not hold the webhook lease,
the lease holder makes the attempt, and the receiving replica answers with its outcome; the receiver gets
the attempt once, under the event's own id, and every replica's delivery log agrees.
"""

from __future__ import annotations

import asyncio
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

# One attempt per event, then a dead letter.
HOOK = {"id": "qa", "format": "standard", "channels": ["sms"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "retry": {"schedule": [0], "jitter": 0}}


async def _deliveries(http: aiohttp.ClientSession, replica: Replica) -> list[dict[str, Any]]:
    return list((await call_json(http, "GET", f"{replica.base}/_sim/webhooks/deliveries?limit=1000"))["data"])


async def _all_dead(http: aiohttp.ClientSession, replica: Replica, count: int) -> list[str]:
    """Wait (the lease holder sends in the background) until `count` events are dead letters; their ids."""
    for _ in range(300):
        dead = await call_json(http, "GET", f"{replica.base}/_sim/webhooks/dead-letters?limit=100")
        if dead["total"] == count:
            return [e["id"] for e in dead["data"]]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{dead['total']} dead letters, not {count}")


async def test_redelivery_and_replay_through_a_replica_without_the_lease_answer_with_the_outcome(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession,
        receiver: tuple[Receiver, str], tmp_path: Path) -> None:
    got, url = receiver
    a, b = await start_replicas(replicas, redis.url, scenarios(tmp_path), 2)  # a starts first: it holds the lease
    await call_json(http, "POST", f"{b.base}/_sim/webhooks", 201, json=HOOK | {"url": url})
    got.status = 500
    await call_json(http, "POST", a.base + V2_SEND, 201, json=V2_BODY, headers=V2)
    await call_json(http, "POST", f"{b.base}/_sim/clock/advance", json={"seconds": 10})
    dead = await _all_dead(http, b, 6)
    assert all(len(got.got[event_id]) == 1 for event_id in dead)

    got.status = 200
    first = dead[-1]
    result = await call_json(http, "POST", f"{b.base}/_sim/webhooks/events/{first}/redeliver")
    assert set(result) == {"event", "attempt"}
    assert result["attempt"]["trigger"] == "manual" and result["attempt"]["outcome"] == "delivered"
    assert result["attempt"]["event_id"] == first and result["event"]["state"] == "delivered"
    assert got.got[first] == [got.got[first][0]] * 2  # once more, the same body under the same id

    again = await call_json(http, "POST", f"{b.base}/_sim/webhooks/dead-letters/{first}/replay", 409)
    assert "not a dead letter" in str(again)
    await call_json(http, "POST", f"{b.base}/_sim/webhooks/events/nope/redeliver", 404)

    summary = await call_json(http, "POST", f"{b.base}/_sim/webhooks/dead-letters/replay")
    assert (summary["replayed"], summary["delivered"], summary["still_dead"]) == (5, 5, 0)
    assert sorted(r["event_id"] for r in summary["attempts"]) == sorted(dead[:-1])
    assert all(len(bodies) == 2 and bodies[0] == bodies[1] for bodies in got.got.values())
    assert set(got.got) == set(dead)

    on_a, on_b = await _deliveries(http, a), await _deliveries(http, b)
    assert on_a == on_b and len(on_a) == 12
    assert sorted(r["trigger"] for r in on_a) == ["auto"] * 6 + ["manual"] * 6
    assert (await call_json(http, "GET", f"{a.base}/_sim/webhooks/dead-letters"))["total"] == 0
