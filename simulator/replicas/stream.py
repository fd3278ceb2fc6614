"""The Redis side of replication: the stream of entries, the genesis record and the webhook lease.

Keys share one hash tag, `{<group>}` (`{postman-sim}` unless the URL says ?group=), so on Redis Cluster they
live in one slot: the stream is one ordered log and cannot be split. Separate groups (one simulator each,
e.g. per team or tenant) spread over the cluster's slots (docs/deployment.md).
- `{group}:log`: the stream every replica applies
- `{group}:genesis`: how the first replica started: seed, clock, speed, settings digest
- `{group}:lease`: which replica sends webhooks and ticks the clock
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from simulator.replicas.target import RedisTarget

Fields = Mapping[bytes, bytes]

# Take the lease, or renew it if this replica holds it: one round trip, atomic.
_HOLD = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def connect(target: RedisTarget) -> Redis:
    return Redis(host=target.host, port=target.port, db=target.db, password=target.password,
                 socket_connect_timeout=3, socket_timeout=10, decode_responses=False)


def order(entry_id: bytes) -> tuple[int, int]:
    """A stream id (b"1712345678901-3") as a comparable pair."""
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq or 0)


class Stream:
    def __init__(self, target: RedisTarget) -> None:
        tag = "{" + target.group + "}"
        self.log, self.genesis_key, self.lease = f"{tag}:log", f"{tag}:genesis", f"{tag}:lease"
        self.redis = connect(target)
        self.reader = connect(target)  # its own connection: the blocking XREAD holds one
        self._queue: list[tuple[Mapping[str, bytes | str], asyncio.Future[bytes]]] = []
        self._flushing: set[asyncio.Future[None]] = set()

    async def genesis(self, wanted: Mapping[str, Any]) -> dict[str, Any]:
        """The record the first replica wrote (writing `wanted` if there is none yet)."""
        await self.redis.set(self.genesis_key, json.dumps(dict(wanted)), nx=True)
        raw: Any = await self.redis.get(self.genesis_key)
        found: dict[str, Any] = json.loads(raw)
        return found

    async def append(self, fields: Mapping[str, bytes | str]) -> bytes:
        """Append one entry; the appends made in one turn of the loop go to Redis as one pipeline."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._queue.append((fields, future))
        if len(self._queue) == 1:
            task = asyncio.ensure_future(self._flush())  # runs after this turn's other requests queued theirs
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)
        return await future

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for fields, _ in batch:
                    pipe.xadd(self.log, dict(fields))  # type: ignore[arg-type]
                ids: list[Any] = await pipe.execute()
        except Exception as exc:  # RedisError, OSError: each waiting request answers 503
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), entry_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(bytes(entry_id))

    async def read(self, after: bytes, count: int, block_ms: int) -> list[tuple[bytes, Fields]]:
        answer: Any = await self.reader.xread({self.log: after}, count=count, block=block_ms)
        return list(answer[0][1]) if answer else []

    async def head(self) -> bytes | None:
        """The id of the last entry (None: an empty stream)."""
        last: Any = await self.redis.xrevrange(self.log, count=1)
        return bytes(last[0][0]) if last else None

    async def hold_lease(self, me: str, ttl_ms: int) -> bool:
        return bool(await self.redis.eval(_HOLD, 1, self.lease, me, ttl_ms))

    async def release_lease(self, me: str) -> None:
        await self.redis.eval(_RELEASE, 1, self.lease, me)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.reader.aclose()
