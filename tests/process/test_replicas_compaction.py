"""Compaction of the replicas' shared log (issue 16): checkpoints in Redis, the log trimmed behind them.

Real `postman-sim serve --state redis://...` processes over a real redis-server: the log stays bounded; a
replica started after a trim, one that fell behind it (stopped with SIGSTOP meanwhile) and a full restart
(Redis with its append-only file) all carry on exactly as the others; a corrupt checkpoint is refused.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.process.processes import free_port
from tests.process.replicas import (
    V2,
    V2_BODY,
    V2_SEND,
    Receiver,
    RedisServer,
    Replica,
    call_json,
    scenarios,
    start_replica,
)

HOOK = {"id": "qa", "format": "standard", "channels": ["sms"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
LOG, CHECKPOINT = "{postman-sim}:log", "{postman-sim}:checkpoint"
# A checkpoint every 40 entries, no margin: the log's length stays near 40 whatever the number of writes.
COMPACT = ("--checkpoint-entries", "40", "--checkpoint-every", "off", "--checkpoint-keep", "0")
TERMINAL = ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]


async def _start(started: list[Replica], url: str, path: Path, count: int, *extra: str) -> list[Replica]:
    for _ in range(count):
        started.append(await asyncio.to_thread(start_replica, url, *COMPACT, *extra, scenarios=path))
    return started[-count:]


async def _view(http: aiohttp.ClientSession, replica: Replica) -> dict[str, Any]:
    """What a user sees of the whole simulator through one replica (what differs by replica left out)."""
    base = f"{replica.base}/_sim"
    messages = await call_json(http, "GET", f"{base}/messages?limit=10000")
    stats = await call_json(http, "GET", f"{base}/webhooks/stats")
    clock = await call_json(http, "GET", f"{base}/clock")
    clock.pop("offset")  # how far ahead of this machine's wall clock, at the moment of the read
    return {"messages": messages["data"], "clock": clock,
            "subscriptions": await call_json(http, "GET", f"{base}/webhooks"),
            "events": await call_json(http, "GET", f"{base}/webhooks/events?limit=10000"),
            "deliveries": await call_json(http, "GET", f"{base}/webhooks/deliveries?limit=10000"),
            "counts": {k: stats[k] for k in ("events", "pending", "delivered", "dead", "attempts_logged")}}


async def _redis(url: str, *command: Any) -> Any:
    client = Redis.from_url(url)
    try:
        return await client.execute_command(*command)  # type: ignore[no-untyped-call]
    finally:
        await client.aclose()


async def _trimmed(url: str, below: int, seconds: float = 90.0) -> int:
    """Wait (real time: the lease holder checkpoints and trims in the background) until the log holds fewer
    than `below` entries; its length. The bound is generous: a loaded 2-core machine is slow, not wrong."""
    deadline = time.monotonic() + seconds
    while (length := int(await _redis(url, "XLEN", LOG))) >= below:
        assert time.monotonic() < deadline, f"the log still holds {length} entries after {seconds} s"
        await asyncio.sleep(0.1)
    return length


async def _forgotten(url: str, live: int, seconds: float = 60.0) -> None:
    """Wait until only `live` replicas' positions are left (the lease holder forgets the silent ones)."""
    deadline = time.monotonic() + seconds
    while (held := int(await _redis(url, "HLEN", "{postman-sim}:applied"))) > live:
        assert time.monotonic() < deadline, f"{held} replicas still hold the trim back after {seconds} s"
        await asyncio.sleep(0.1)


async def _send(http: aiohttp.ClientSession, replicas: list[Replica], count: int) -> list[str]:
    sends = [call_json(http, "POST", replicas[i % len(replicas)].base + V2_SEND, 201, json=V2_BODY, headers=V2)
             for i in range(count)]
    return [body["id"] for body in await asyncio.gather(*sends)]


async def _settled(http: aiohttp.ClientSession, replica: Replica, seconds: float = 30.0) -> None:
    """Wait until no webhook event is pending (the lease holder sends in the background)."""
    for _ in range(int(seconds / 0.1)):
        stats = await call_json(http, "GET", f"{replica.base}/_sim/webhooks/stats")
        if stats["pending"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"webhook events still pending after {seconds} s: {stats}")


async def test_the_log_stays_bounded_and_a_replica_started_after_the_trim_sees_what_the_others_see(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession,
        receiver: tuple[Receiver, str], tmp_path: Path) -> None:
    got, url = receiver
    path = scenarios(tmp_path, rate_limit=1000)
    a, b = await _start(replicas, redis.url, path, 2)  # a starts first: it holds the lease and checkpoints
    await call_json(http, "POST", f"{b.base}/_sim/webhooks", 201, json=HOOK | {"url": url})
    ids: list[str] = []
    for _ in range(6):
        ids += await _send(http, [a, b], 50)
        await call_json(http, "POST", f"{a.base}/_sim/clock/advance", json={"seconds": 0.4})
    await _settled(http, a)
    assert await _trimmed(redis.url, 120) < 120  # 300 sends, 6 advances and hundreds of webhook outcomes
    assert await _redis(redis.url, "HEXISTS", CHECKPOINT, "at") == 1
    (c,) = await _start(replicas, redis.url, path, 1)
    before = await _view(http, a)
    assert {m["id"] for m in before["messages"]} == set(ids)
    assert any(len(m["attempts"][0]["history"]) < len(TERMINAL) for m in before["messages"])  # transitions pending
    assert await _view(http, c) == before == await _view(http, b)
    for replica in (c, b, a):  # the pending transitions and webhooks, from the late replica too
        await call_json(http, "POST", f"{replica.base}/_sim/clock/advance", json={"seconds": 1})
    ids += await _send(http, [c], 5)
    await call_json(http, "POST", f"{c.base}/_sim/clock/advance", json={"seconds": 10})
    await _settled(http, c)
    after = await _view(http, c)
    assert after == await _view(http, a) == await _view(http, b)
    assert [[h["status"] for h in m["attempts"][0]["history"]] for m in after["messages"]] == [TERMINAL] * len(ids)
    events = {e["id"] for e in after["events"]["data"]}
    assert len(events) == len(ids) * len(TERMINAL)
    assert set(got.got) == events and all(len(bodies) == 1 for bodies in got.got.values())  # each once


@pytest.mark.parametrize("stale", ["1s", "6s"])  # below 5 s the mark is read with every batch; above, once a second
async def test_a_replica_that_fell_behind_the_trim_loads_the_checkpoint_and_carries_on(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path, stale: str) -> None:
    path = scenarios(tmp_path)
    a, b = await _start(replicas, redis.url, path, 2, "--replica-stale", stale)
    await _send(http, [a, b], 10)
    b.process.send_signal(signal.SIGSTOP)  # stopped: it applies nothing and says nothing
    try:
        await _forgotten(redis.url, 1)  # past --replica-stale: b no longer holds the trim back
        await _send(http, [a], 150)
        await call_json(http, "POST", f"{a.base}/_sim/clock/advance", json={"seconds": 0.4})
        await _trimmed(redis.url, 60)
    finally:
        b.process.send_signal(signal.SIGCONT)
    assert await _view(http, b) == await _view(http, a)
    sent = await _send(http, [b], 3)  # and it takes requests again
    await call_json(http, "POST", f"{b.base}/_sim/clock/advance", json={"seconds": 10})
    view = await _view(http, a)
    assert view == await _view(http, b)
    assert len(view["messages"]) == 163 and set(sent) <= {m["id"] for m in view["messages"]}
    assert any("loading the checkpoint" in line for line in b.output)


async def test_every_replica_and_redis_restarted_after_a_trim_carry_on(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    path = scenarios(tmp_path)
    a, b = await _start(replicas, redis.url, path, 2)
    ids = await _send(http, [a, b], 120)
    await call_json(http, "POST", f"{a.base}/_sim/clock/advance", json={"seconds": 1.2})  # halfway
    await _trimmed(redis.url, 60)
    before = await _view(http, a)
    for replica in (a, b):
        replica.stop()
    redis.stop()
    redis.start()  # the append-only file brings back the checkpoint and what is left of the log
    c, d = await _start(replicas, redis.url, path, 2)
    assert await _view(http, c) == before == await _view(http, d)
    await call_json(http, "POST", f"{d.base}/_sim/clock/advance", json={"seconds": 10})
    after = await _view(http, c)
    assert after == await _view(http, d)
    assert [[h["status"] for h in m["attempts"][0]["history"]] for m in after["messages"]] == [TERMINAL] * len(ids)


async def test_a_corrupt_checkpoint_is_refused_in_one_line_and_nothing_is_served(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    path = scenarios(tmp_path)
    (a,) = await _start(replicas, redis.url, path, 1)
    await _send(http, [a], 60)
    await _trimmed(redis.url, 40)
    a.stop()
    data = bytearray(await _redis(redis.url, "HGET", CHECKPOINT, "data"))
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the compressed payload
    await _redis(redis.url, "HSET", CHECKPOINT, "data", bytes(data))
    for payload, reason in ((bytes(data), "corrupt: the payload's SHA-256 does not match the header"),
                            (b"not a checkpoint", "not a postman-sim snapshot")):
        await _redis(redis.url, "HSET", CHECKPOINT, "data", payload)
        done = subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", str(free_port()), "--state",
                               redis.url, "--clock", "manual", "--scenarios", str(path), *COMPACT],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert f"cannot load the checkpoint {CHECKPOINT} at {redis.url}: {reason}" in done.stderr
        assert "empty the database to start again" in done.stderr  # the log before it is gone
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_compaction_flags_fail_in_one_line() -> None:
    for argv, expected in ((["--checkpoint-every", "soon"], "invalid value 'soon': a duration such as 60, 30s or 5m or "
                                                            "off (flag or POSTMAN_SIM_CHECKPOINT_EVERY)"),
                           (["--checkpoint-entries", "-1"], "invalid value '-1': a whole number >= 0"),
                           (["--replica-stale", "off"], "invalid value 'off': a duration such as 60, 30s or 5m (")):
        done = subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", str(free_port()), *argv],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2, (argv, done.stderr)
        assert expected in done.stderr, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
