"""The Redis side of replication: the stream of entries, the genesis record and the webhook lease.

Keys share one hash tag, `{<group>}` (`{postman-sim}` unless the URL says ?group=), so on Redis Cluster they
live in one slot: the stream is one ordered log and cannot be split. Separate groups (one simulator each,
e.g. per team or tenant) spread over the cluster's slots (docs/deployment.md).
- `{group}:log`: the stream every replica applies
- `{group}:genesis`: how the first replica started: seed, clock, speed, settings digest
- `{group}:lease`: which replica sends webhooks and ticks the clock
- `{group}:checkpoint`: the newest checkpoint (a hash: `at`, the last entry it covers; `data`, its bytes)
- `{group}:trimmed`: every entry before `<this>-0` has been trimmed from the log
- `{group}:applied`: each live replica's applied position and when it said so (`<entry id> <unix ms>`, Redis's
  clock)
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import redis
from redis.asyncio import Redis

from simulator.replicas.target import RedisTarget

Fields = Mapping[bytes, bytes]
log = logging.getLogger("postman_sim.replicas")
_ID = re.compile(rb"[0-9]{1,20}-[0-9]{1,20}")

# Take the lease, or renew it if this replica holds it: one round trip, atomic.
_HOLD = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
# A checkpoint replaces the stored one only if it covers more of the stream (an old lease holder's late write
# never goes back); `at` and `data` change together.
_SAVE = """
local old = redis.call('hget', KEYS[1], 'at')
if old then
  local oms, oseq = string.match(old, '(%d+)-(%d+)')
  local nms, nseq = string.match(ARGV[1], '(%d+)-(%d+)')
  if tonumber(nms) < tonumber(oms) or (tonumber(nms) == tonumber(oms) and tonumber(nseq) <= tonumber(oseq)) then
    return 0
  end
end
redis.call('hset', KEYS[1], 'at', ARGV[1], 'data', ARGV[2])
return 1
"""
# Trim up to the oldest position a live replica has applied, in one atomic step with reading those positions:
# a replica whose position is in `applied` when the trim runs is never trimmed past (a separate read of the
# positions let one that published between the read and the trim lose entries it had not applied). A position
# said more than ARGV[4] ms ago (by Redis's own clock, as when it was said) is forgotten; ARGV[5] ms of entries
# are kept before the oldest as a margin; never past the stored checkpoint. The mark says how far it went.
# ARGV: the caller's id and its own position (ms, seq), which needs no publishing.
_TRIM = """
local function before(ams, aseq, bms, bseq) return ams < bms or (ams == bms and aseq < bseq) end
local ms, seq = tonumber(ARGV[2]), tonumber(ARGV[3])
local stale, keep = tonumber(ARGV[4]), tonumber(ARGV[5])
if not ms or not seq or ms < 0 or seq < 0 then return redis.error_reply('trim before an invalid id') end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('hgetall', KEYS[4])
for i = 1, #held, 2 do
  local pms, pseq, said = string.match(held[i + 1], '^(%d+)-(%d+) (%d+)$')
  if pms then  -- an unreadable position is left alone: it neither holds the trim back nor is forgotten
    if now - tonumber(said) > stale then
      redis.call('hdel', KEYS[4], held[i])
    elseif held[i] ~= ARGV[1] and before(tonumber(pms), tonumber(pseq), ms, seq) then
      ms, seq = tonumber(pms), tonumber(pseq)
    end
  end
end
if keep > 0 then ms, seq = math.max(ms - keep, 0), 0 end
local at = redis.call('hget', KEYS[2], 'at')
if not at then return -1 end
local cms, cseq = string.match(at, '^(%d+)-(%d+)$')
if not cms then return redis.error_reply('the checkpoint covers an invalid id') end
if before(tonumber(cms), tonumber(cseq), ms, seq) then ms, seq = tonumber(cms), tonumber(cseq) end
local old = redis.call('get', KEYS[3])
if old then
  local oms, oseq = string.match(old, '^(%d+)-(%d+)$')
  if oms and not before(tonumber(oms), tonumber(oseq), ms, seq) then return 0 end
end
local mark = string.format('%d-%d', ms, seq)
redis.call('set', KEYS[3], mark)
return redis.call('xtrim', KEYS[1], 'MINID', mark)
"""
# A replica's applied position, said at Redis's own time (the trim judges staleness by the same clock).
_PUBLISH = """
local t = redis.call('time')
return redis.call('hset', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. string.format('%d', tonumber(t[1]) * 1000 +
  math.floor(tonumber(t[2]) / 1000)))
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def connect(target: RedisTarget) -> Redis:
    return Redis(host=target.host, port=target.port, db=target.db, password=target.password,
                 socket_connect_timeout=3, socket_timeout=10, decode_responses=False)


def connect_sync(target: RedisTarget) -> redis.Redis:
    """A blocking client, for a replica's start (before its event loop runs)."""
    return redis.Redis(host=target.host, port=target.port, db=target.db, password=target.password,
                       socket_connect_timeout=3, socket_timeout=30, decode_responses=False)


class Keys:
    """The group's key names (see the module's docstring)."""

    def __init__(self, target: RedisTarget) -> None:
        tag = "{" + target.group + "}"
        self.log, self.genesis_key, self.lease = f"{tag}:log", f"{tag}:genesis", f"{tag}:lease"
        self.checkpoint, self.trimmed, self.applied = f"{tag}:checkpoint", f"{tag}:trimmed", f"{tag}:applied"


Order = tuple[int, int]


def order(entry_id: bytes) -> Order:
    """A stream id (b"1712345678901-3") as a comparable pair."""
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq or 0)


def mark_order(mark: bytes | None) -> Order | None:
    """The trim mark as an order ((0, 0): none yet); None when it is not a stream id."""
    if mark is None:
        return 0, 0
    return order(mark) if _ID.fullmatch(mark) else None


class Stream(Keys):
    def __init__(self, target: RedisTarget) -> None:
        super().__init__(target)
        self.redis = connect(target)
        self.reader = connect(target)  # its own connection: the blocking XREAD holds one
        self._queue: list[tuple[Mapping[str, bytes | str], asyncio.Future[bytes]]] = []
        self._flushing: set[asyncio.Future[None]] = set()
        self._bad_mark = b""

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

    async def read(self, after: bytes, count: int, block_ms: int,
                   with_mark: bool = True) -> tuple[list[tuple[bytes, Fields]], Order | None]:
        """Entries after `after`, and the trim mark read just after them (entries before the mark are gone:
        when `after` is below it, entries may be missing from the answer); `with_mark=False`: one XREAD and no
        mark (a pipeline costs a replica about a fifth of its CPU per write under load)."""
        if not with_mark:
            found: Any = await self.reader.xread({self.log: after}, count=count, block=block_ms)
            return (list(found[0][1]) if found else []), None
        async with self.reader.pipeline(transaction=False) as pipe:
            pipe.xread({self.log: after}, count=count, block=block_ms)
            pipe.get(self.trimmed)
            answer, mark = await pipe.execute()
        return (list(answer[0][1]) if answer else []), self._mark(mark)

    async def save_checkpoint(self, at: bytes, data: bytes) -> bool:
        """Store a checkpoint covering the log up to `at`; False when a newer one is there already."""
        return bool(await self.redis.eval(_SAVE, 1, self.checkpoint, at, data))

    async def load_checkpoint(self) -> tuple[bytes, bytes] | None:
        """(at, data) of the stored checkpoint, None when there is none."""
        found: Any = await self.redis.hmget(self.checkpoint, ["at", "data"])
        at, data = found
        return None if at is None or data is None else (bytes(at), bytes(data))

    async def trim(self, me: str, mine: Order, stale_ms: int, keep_ms: int) -> int:
        """Drop the entries before the oldest position a live replica (or `me`, at `mine`) has applied, less
        `keep_ms` (never past the stored checkpoint); forget positions said over `stale_ms` ago; how many went."""
        return int(await self.redis.eval(_TRIM, 4, self.log, self.checkpoint, self.trimmed, self.applied, me,
                                         *mine, stale_ms, keep_ms))

    async def trim_mark(self) -> Order:
        mark: Any = await self.redis.get(self.trimmed)
        return self._mark(mark)

    def _mark(self, mark: bytes | None) -> Order:
        """The trim mark; one that is not a stream id (written by hand, or by an older version's trim) says
        nothing: it is logged and ignored, never a reason to stop applying."""
        found = mark_order(mark)
        if found is None and mark is not None and mark != self._bad_mark:
            self._bad_mark = mark
            log.error("ignoring the trim mark %s = %r: not a stream id", self.trimmed,
                      mark.decode("utf-8", "replace")[:40])
        return found or (0, 0)

    async def publish_position(self, me: str, at: bytes) -> None:
        await self.redis.eval(_PUBLISH, 1, self.applied, me, at)

    async def forget_position(self, me: str) -> None:
        await self.redis.hdel(self.applied, me)

    async def length(self) -> int:
        return int(await self.redis.xlen(self.log))

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
