"""Review findings on the replicas' compaction (issue 16): the first trim of a group where a replica has applied
nothing yet, a trim mark that is not a stream id, a replica started after a trim of rate-limited traffic.

Real `postman-sim serve --state redis://...` processes over a real redis-server.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.process.replicas import (
    V2_BODY,
    V2_KEY,
    V2_SEND,
    RedisServer,
    Replica,
    call_json,
    scenarios,
    start_replica,
)
from tests.process.test_replicas_compaction import _redis

V2 = {"Authorization": f"Bearer {V2_KEY}"}
TRIMMED = "{postman-sim}:trimmed"
QUICK = aiohttp.ClientTimeout(total=15)  # a wedged replica answers after 60 s: far past this


async def _start(started: list[Replica], url: str, path: Path | None, count: int, *extra: str) -> list[Replica]:
    for _ in range(count):
        started.append(await asyncio.to_thread(start_replica, url, *extra, scenarios=path))
    return started[-count:]


async def _checkpointed(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await _redis(url, "HEXISTS", "{postman-sim}:checkpoint", "at"):
        assert time.monotonic() < deadline, f"no checkpoint after {seconds} s"
        await asyncio.sleep(0.05)


async def test_the_first_checkpoint_with_a_margin_does_not_freeze_the_group(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    a, b = await _start(replicas, redis.url, scenarios(tmp_path), 2, "--checkpoint-entries", "0",
                        "--checkpoint-every", "1s", "--checkpoint-keep", "1s")
    await asyncio.sleep(1.2)  # real time: the first applied entry is then due for a checkpoint at once
    await call_json(http, "POST", a.base + V2_SEND, 201, json=V2_BODY, headers=V2)  # b still says 0-0
    await _checkpointed(redis.url)
    await asyncio.sleep(1.5)  # the lease holder trims every second: give it two goes
    for replica in (a, b, a):
        async with http.post(replica.base + V2_SEND, json=V2_BODY, headers=V2, timeout=QUICK) as response:
            assert response.status == 201, await response.text()
    messages = await call_json(http, "GET", f"{b.base}/_sim/messages?limit=100", timeout=QUICK)
    assert len(messages["data"]) == 4


async def test_a_trim_mark_that_is_not_a_stream_id_is_ignored_not_fatal(
        redis: RedisServer, replicas: list[Replica], http: aiohttp.ClientSession, tmp_path: Path) -> None:
    a, b = await _start(replicas, redis.url, scenarios(tmp_path), 2)
    await _redis(redis.url, "SET", TRIMMED, "-60000-0")  # what an old replica's trim could leave behind
    for replica in (a, b):
        async with http.post(replica.base + V2_SEND, json=V2_BODY, headers=V2, timeout=QUICK) as response:
            assert response.status == 201, await response.text()
    assert len((await call_json(http, "GET", f"{a.base}/_sim/messages", timeout=QUICK))["data"]) == 2
    assert any("trim mark" in line and "-60000-0" in line for line in a.output + b.output)
