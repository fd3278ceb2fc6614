"""The Redis side of replication: the stream of entries, the genesis record and the webhook lease.

Keys share one hash tag, `{<group>}` (`{postman-sim}` unless the URL says ?group=), so on Redis Cluster they
live in one slot: the stream is one ordered log and cannot be split. Separate groups (one simulator each,
e.g. per team or tenant) spread over the cluster's slots (docs/deployment.md).
- `{group}:log`: the stream every replica applies
- `{group}:genesis`: how the first replica started: seed, clock, speed, settings digest
- `{group}:lease`: which replica sends webhooks and ticks the clock
- `{group}:checkpoint`: the newest checkpoint (a hash: `at`, the last entry it covers; `data`, its bytes)
- `{group}:trimmed`: every entry before `<this>-0` has been trimmed from the log
- `{group}:applied`: each live replica's applied position (`<entry id> <publish count> <its --replica-stale ms>`)
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
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
# positions let one that published between that read and the trim lose entries it had not applied). ARGV: the
# caller's id and its own position (ms, seq: it needs no publishing), the margin in ms, then (id, value) pairs:
# the replicas the caller found silent, each forgotten only if its value is still the one seen (one that
# published since is live). ARGV[4] ms of entries are kept before the oldest; never past the stored checkpoint
# (-1: there is none yet). The mark says how far it went.
_TRIM = """
local function before(ams, aseq, bms, bseq) return ams < bms or (ams == bms and aseq < bseq) end
local ms, seq, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if not ms or not seq or not keep or ms < 0 or seq < 0 then return redis.error_reply('trim before an invalid id') end
for i = 5, #ARGV - 1, 2 do
  if redis.call('hget', KEYS[4], ARGV[i]) == ARGV[i + 1] then redis.call('hdel', KEYS[4], ARGV[i]) end
end
local held = redis.call('hgetall', KEYS[4])
for i = 1, #held, 2 do
  if held[i] ~= ARGV[1] then
    local pms, pseq = string.match(held[i + 1], '^(%d+)-(%d+) ')
    if pms and before(tonumber(pms), tonumber(pseq), ms, seq) then ms, seq = tonumber(pms), tonumber(pseq) end
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
        when `after` is below it, entries may be missing from the answer; None: the mark is not a stream id);
        `with_mark=False`: one XREAD and no mark (a pipeline costs a replica about a fifth of its CPU per write
        under load)."""
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

    async def trim(self, me: str, mine: Order, keep_ms: int, silent: Sequence[tuple[bytes, bytes]] = ()) -> int:
        """Forget the `silent` replicas whose position is still the value given, then drop the entries before
        the oldest position a live replica (or `me`, at `mine`) has applied, less `keep_ms`, never past the
        stored checkpoint. How many entries went; -1 when there is no checkpoint yet (nothing is trimmed)."""
        pairs = [item for replica, value in silent for item in (replica, value)]
        return int(await self.redis.eval(_TRIM, 4, self.log, self.checkpoint, self.trimmed, self.applied, me,
                                         *mine, keep_ms, *pairs))

    async def trim_mark(self) -> Order | None:
        mark: Any = await self.redis.get(self.trimmed)
        return self._mark(mark)

    def _mark(self, mark: bytes | None) -> Order | None:
        """The trim mark ((0, 0): no trim yet); one that is not a stream id (written by hand, or by an older
        version's trim) says nothing: it is logged and None, never a reason to stop applying."""
        found = mark_order(mark)
        if found is None and mark is not None and mark != self._bad_mark:
            self._bad_mark = mark
            log.error("ignoring the trim mark %s = %r: not a stream id", self.trimmed,
                      mark.decode("utf-8", "replace")[:40])
        return found

    async def publish_position(self, me: str, at: bytes, count: int, stale_ms: int) -> bool:
        """Say where this replica is: `<at> <count> <stale_ms>` (the count changes with every publish, so a
        holder sees it is alive even when `at` stays put; `stale_ms`: how long it may be silent before it is
        forgotten, its own --replica-stale). True when the field was not there (first, or forgotten)."""
        return bool(await self.redis.hset(self.applied, me, b"%s %d %d" % (at, count, stale_ms)))

    async def positions(self) -> dict[bytes, bytes]:
        """Every replica's published value, by replica id, as stored (bytes: the trim script gets them back)."""
        found: Any = await self.redis.hgetall(self.applied)
        return {bytes(me): bytes(value) for me, value in found.items()}

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
