"""Replicas on a real redis-server (issue 16): real `postman-sim serve --state redis://...` processes over HTTP.

A message sent through one replica is read through another; one manual clock; each transition applied once
per replica and every replica's history the same; v1 ids increasing across replicas; rate limits counted
across replicas; a scenarios reload reaching all; --workers on one port; the flags' one-line errors.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.process.processes import free_port, start, wait_for_banner
from tests.process.replicas import (
    V1,
    V1_BODY,
    V1_SMS,
    V2,
    V2_BODY,
    V2_SEND,
    RedisServer,
    Replica,
    call_json,
    scenarios,
    start_replicas,
)


async def _start(started: list[Replica], url: str, count: int, folder: Path, rate_limit: int = 0) -> list[Replica]:
    """`count` replicas over `url`, on the bundled scenarios with `rate_limit` per face (0: none)."""
    return await start_replicas(started, url, scenarios(folder, rate_limit), count)


async def _history(http: aiohttp.ClientSession, replica: Replica, message_id: str) -> list[tuple[str, str]]:
    found = await call_json(http, "GET", f"{replica.base}/_sim/messages/{message_id}")
    return [(change["status"], change["at"]) for attempt in found["attempts"] for change in attempt["history"]]


def test_state_and_workers_flags_fail_in_one_line() -> None:
    unused = free_port()
    for argv, expected in (
            (["--state", "mysql://db/1"], "invalid state 'mysql://db/1': expected memory or redis://host:port/db"),
            (["--state", "redis://127.0.0.1:6379/zero"], "the database must be a number"),
            (["--state", "redis://127.0.0.1:6379/0?db=1"], "the only option is ?group=NAME"),
            (["--state", f"redis://127.0.0.1:{unused}/0"], f"cannot reach Redis at redis://127.0.0.1:{unused}/0"),
            (["--workers", "2", "--state", f"redis://127.0.0.1:{unused}/0"], "cannot reach Redis"),  # once
            (["--workers", "2"], "--workers 2 needs shared state"),
            (["--snapshot", "x.snap", "--state", f"redis://127.0.0.1:{unused}/0"], "--snapshot keeps the in-memory"),
            (["--workers", "0"], "invalid value '0': a whole number >= 1")):
        done = subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", str(free_port()), *argv],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2, (argv, done.stderr)
        assert expected in done.stderr, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


async def test_a_message_sent_through_one_replica_is_read_through_another_on_one_shared_clock(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    a, b = await _start(replicas, redis.url, 2, tmp_path)
    sent = await call_json(http, "POST", a.base + V2_SEND, 201, json=V2_BODY, headers=V2)
    read = await call_json(http, "GET", f"{b.base}{V2_SEND}/{sent['id']}", headers=V2)
    assert read["id"] == sent["id"] and read["latestStatus"] == "created"
    listed = await call_json(http, "GET", f"{b.base}/_sim/messages")
    assert [m["id"] for m in listed["data"]] == [sent["id"]]
    advanced = await call_json(http, "POST", f"{b.base}/_sim/clock/advance", json={"seconds": 60})
    clocks = [await call_json(http, "GET", f"{r.base}/_sim/clock") for r in (a, b)]
    assert clocks[0]["now"] == clocks[1]["now"] == advanced["now"]
    read = await call_json(http, "GET", f"{a.base}{V2_SEND}/{sent['id']}", headers=V2)
    assert read["latestStatus"] == "success"
    assert await _history(http, a, sent["id"]) == await _history(http, b, sent["id"])
    other = (await _start(replicas, f"{redis.url}?group=team-b", 1, tmp_path))[0]  # another simulator, same Redis
    assert (await call_json(http, "GET", f"{other.base}/_sim/messages"))["data"] == []


async def test_v1_ids_are_unique_and_increasing_across_replicas(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    three = await _start(replicas, redis.url, 3, tmp_path)
    ids = [int((await call_json(http, "POST", three[i % 3].base + V1_SMS, 201, json=V1_BODY, headers=V1))["id"])
           for i in range(12)]
    assert ids == sorted(set(ids)) and len(ids) == 12
    together = await asyncio.gather(*(call_json(http, "POST", three[i % 3].base + V1_SMS, 201, json=V1_BODY, headers=V1)
                                      for i in range(30)))
    more = [int(body["id"]) for body in together]
    assert sorted(more) == list(range(ids[-1] + 1, ids[-1] + 31))  # none twice, none skipped


async def test_three_replicas_apply_each_transition_once_and_agree_on_every_history(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    three = await _start(replicas, redis.url, 3, tmp_path)
    sends = [call_json(http, "POST", three[i % 3].base + V2_SEND, 201, json=V2_BODY, headers=V2) for i in range(30)]
    ids = [body["id"] for body in await asyncio.gather(*sends)]
    for step in range(8):  # advances through every replica, some at once
        await asyncio.gather(*(call_json(http, "POST", f"{r.base}/_sim/clock/advance", json={"seconds": 0.5})
                               for r in three[: 1 + step % 3]))
    for message_id in ids:
        histories = [await _history(http, r, message_id) for r in three]
        assert histories[0] == histories[1] == histories[2]
        statuses = [status for status, _ in histories[0]]
        assert statuses == ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]
    stats = [await call_json(http, "GET", f"{r.base}/_sim/clock") for r in three]
    assert len({s["now"] for s in stats}) == 1


async def test_rate_limits_count_across_replicas_and_a_reload_reaches_every_replica(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    three = await _start(replicas, redis.url, 3, tmp_path, rate_limit=3)
    codes = []
    for replica in three + three[:1]:
        async with http.post(replica.base + V1_SMS, json=V1_BODY, headers=V1) as response:
            codes.append(response.status)
    assert codes == [201, 201, 201, 429]
    new = scenarios(tmp_path, 3, extra="\nfaults:\n  - {match: {face: v1}, error: 503}\n").read_bytes()
    await call_json(http, "POST", f"{three[1].base}/_sim/scenarios/reload", data=new)
    views = [await call_json(http, "GET", f"{r.base}/_sim/scenarios") for r in three]
    assert views[0] == views[1] == views[2]
    assert views[0]["loadedFrom"] == "request body"
    async with http.post(three[2].base + V1_SMS, json=V1_BODY, headers=V1) as response:
        assert response.status == 503  # the new fault is in force on every replica


async def test_latency_and_drop_faults_delay_only_their_own_requests_on_replicas(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    a, b = await _start(replicas, redis.url, 2, tmp_path)
    faults = ("\nfaults:\n  - {match: {face: v1, method: POST}, latency: 3s}\n"
              "  - {match: {face: v1, method: GET}, drop: true}\n")
    reload = scenarios(tmp_path, extra=faults).read_bytes()
    await call_json(http, "POST", f"{a.base}/_sim/scenarios/reload", data=reload)
    loop = asyncio.get_running_loop()
    started = loop.time()
    slow = asyncio.ensure_future(call_json(http, "POST", a.base + V1_SMS, 201, json=V1_BODY, headers=V1))
    await asyncio.sleep(0.2)  # the slow send is in the stream first
    await call_json(http, "POST", b.base + V2_SEND, 201, json=V2_BODY, headers=V2)
    assert loop.time() - started < 2.0  # not held behind the other tenant's 3 s of latency
    sent = await slow
    assert loop.time() - started >= 3.0  # the matched request itself still waited
    with pytest.raises(aiohttp.ServerDisconnectedError):  # the client sees the connection dropped
        (await http.get(f"{b.base}/v1/transactional/sms/{sent['id']}", headers=V1)).release()
    after = loop.time()
    listed = await call_json(http, "GET", f"{a.base}/_sim/messages")
    assert loop.time() - after < 2.0 and len(listed["data"]) == 2  # the stream went on at once
    journal = await call_json(http, "GET", f"{a.base}/_sim/requests?method=GET&face=v1")
    statuses = [e["status"] for e in journal["data"]]  # aiohttp's client retries a GET once on a dropped connection
    assert statuses and set(statuses) == {499}  # as one process records a dropped request


async def test_a_big_body_keeps_only_what_can_matter_in_the_shared_stream(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    (a,) = await _start(replicas, redis.url, 1, tmp_path)
    big = b"x" * (9 * 1024 * 1024)
    async with http.post(f"{a.base}/nowhere", data=io.BytesIO(big)) as response:
        assert response.status == 404  # no credentials, no route: 9 MiB must not stay in Redis for good
    sent = await call_json(http, "POST", a.base + V1_SMS, 201, json=V1_BODY, headers=V1)  # a served path: whole
    client = Redis.from_url(redis.url)
    try:
        entries = await client.xrange("{postman-sim}:log")
    finally:
        await client.aclose()
    bodies = {(fields or {}).get(b"p"): (fields or {}).get(b"b", b"") for _, fields in entries or []}
    assert len(bodies[b"/nowhere"]) == 16 * 1024 + 1  # the journal's excerpt and a byte
    assert json.loads(bodies[V1_SMS.encode()]) == V1_BODY and sent["id"]


async def test_workers_share_one_port_and_refuse_port_zero(redis: RedisServer, http: aiohttp.ClientSession) -> None:
    port = free_port()
    process = start(["postman-sim", "serve", "--port", str(port), "--state", redis.url, "--clock", "manual",
                     "--workers", "2", "--log-level", "warning"], {})
    try:
        banner = await asyncio.to_thread(wait_for_banner, process)
        assert "2 worker(s) here" in banner
        base = f"http://127.0.0.1:{port}"
        ids = [(await call_json(http, "POST", base + V2_SEND, 201, json=V2_BODY, headers=V2))["id"] for _ in range(10)]
        listed = await call_json(http, "GET", f"{base}/_sim/messages?limit=100")
        assert {m["id"] for m in listed["data"]} == set(ids)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    done = subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", "0", "--state", redis.url,
                           "--workers", "2"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "needs a fixed --port" in done.stderr
