"""The trim and a replica's published position race (issue 16; found as a one-in-many CI failure of
test_a_replica_that_fell_behind_the_trim_loads_the_checkpoint_and_carries_on: the replica that came back read
on from the checkpoint it loaded, while the holder, which had read the positions before it published its own,
trimmed past it; it skipped 40 entries).

A real redis-server; the holder's Redis client acts for the late replica just before each command the trim
sends, so every interleaving of "the late replica publishes" with the trim's steps is tried.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from simulator.replicas.clocks import EntryTime
from simulator.replicas.compaction import Checkpointer, Compaction
from simulator.replicas.stream import Stream
from simulator.replicas.target import RedisTarget, parse_state
from tests.process.replicas import RedisServer


class _Hooked(Redis):
    """A client that awaits `before()` ahead of every command it sends."""

    before: Callable[[], Awaitable[None]] | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.before is not None:
            await self.before()
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


async def _trim_with_a_publish_before(target: RedisTarget, url: str, step: int) -> bool:
    """Ten entries, a checkpoint at the last; the holder trims while the late replica (at the third entry)
    publishes its position just before the trim's command number `step`. Whether it published within the trim;
    if it did, the entries after its position must all be there."""
    holder, late = Stream(target), Stream(target)
    await holder.redis.aclose()
    hooked = _Hooked(host=target.host, port=target.port, db=target.db)
    holder.redis = hooked
    try:
        await hooked.flushdb()
        ids = [await holder.append({"k": "t", "o": "x", "w": "0"}) for _ in range(10)]
        assert await holder.save_checkpoint(ids[-1], b"state")  # the trim may go as far as the last entry
        sent = 0

        async def before() -> None:
            nonlocal sent
            if sent == step:
                await late.publish_position("late", ids[2])
            sent += 1

        hooked.before = before
        policy = Compaction(entries=40, every=math.inf, keep=0.0, stale=60.0)
        await Checkpointer(web.Application(), holder, EntryTime(0.0), policy, None).trim("holder", ids[-1])
        if sent <= step:  # the trim sent fewer commands: the publish comes after it, nothing to check here
            return False
        found: Any = await late.redis.xrange(holder.log)
        kept = [entry_id for entry_id, _ in found]
        assert set(ids[3:]) <= set(kept), f"publishing before command {step}: trimmed past the replica"
        return True
    finally:
        await holder.close()
        await late.close()


async def test_a_position_published_while_the_holder_trims_is_never_trimmed_past(redis: RedisServer) -> None:
    target = parse_state(redis.url)
    assert isinstance(target, RedisTarget)
    within = [await _trim_with_a_publish_before(target, redis.url, step) for step in range(4)]
    assert within[0]  # at least the first interleaving put the publish inside the trim
