"""The trim and the replicas' published positions (issue 16; found as a one-in-many CI failure of
test_a_replica_that_fell_behind_the_trim_loads_the_checkpoint_and_carries_on: the replica that came back read
on from the checkpoint it loaded, while the holder, which had read the positions before it published its own,
trimmed past it; it skipped 40 entries).

A real redis-server. The holder's Redis client can act for another replica just before any command the trim
sends, so "the other replica publishes" lands between each two of the trim's steps in turn.
"""

from __future__ import annotations

import asyncio
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

MINUTE_MS = 60_000


class _Hooked(Redis):
    """A client that awaits `before()` ahead of every command it sends."""

    before: Callable[[], Awaitable[None]] | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.before is not None:
            await self.before()
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


class _Group:
    """Ten entries and a checkpoint at the last (a trim may go that far); a holder whose client is hooked, and
    another replica's stream to publish with."""

    def __init__(self, target: RedisTarget, stale: float) -> None:
        self.holder, self.other = Stream(target), Stream(target)
        self.hooked = _Hooked(host=target.host, port=target.port, db=target.db)
        self.policy = Compaction(entries=40, every=math.inf, keep=0.0, stale=stale)
        self.ids: list[bytes] = []

    async def __aenter__(self) -> _Group:
        await self.holder.redis.aclose()
        self.holder.redis = self.hooked
        await self.hooked.flushdb()
        self.ids = [await self.holder.append({"k": "t", "o": "x", "w": "0"}) for _ in range(10)]
        assert await self.holder.save_checkpoint(self.ids[-1], b"state")
        self.checkpointer = Checkpointer(web.Application(), self.holder, EntryTime(0.0), self.policy, None)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.holder.close()
        await self.other.close()

    async def trim(self) -> None:
        await self.checkpointer.trim("holder", self.ids[-1])

    async def kept_after(self, position: int) -> bool:
        """Whether every entry after the `position`-th is still in the log."""
        found: Any = await self.other.redis.xrange(self.holder.log)
        return set(self.ids[position + 1:]) <= {entry_id for entry_id, _ in found}


async def _publish_before_command(target: RedisTarget, step: int) -> bool:
    """The other replica (at the third entry) publishes just before the trim's command number `step`. Whether
    that happened within the trim; if so, the entries after its position must all be there."""
    async with _Group(target, stale=60.0) as group:
        sent = 0

        async def before() -> None:
            nonlocal sent
            if sent == step:
                await group.other.publish_position("other", group.ids[2], 1, MINUTE_MS)
            sent += 1

        group.hooked.before = before
        await group.trim()
        if sent <= step:  # the trim sent fewer commands: the publish comes after it, nothing to check here
            return False
        assert await group.kept_after(2), f"publishing before command {step}: trimmed past the replica"
        return True


async def test_a_position_published_while_the_holder_trims_is_never_trimmed_past(redis: RedisServer) -> None:
    target = parse_state(redis.url)
    assert isinstance(target, RedisTarget)
    within = [await _publish_before_command(target, step) for step in range(4)]
    assert within[:2] == [True, True]  # before the positions are read, and between that and the trim


async def test_a_replica_is_forgotten_by_its_own_stale_bound_not_the_holders(redis: RedisServer) -> None:
    target = parse_state(redis.url)
    assert isinstance(target, RedisTarget)
    async with _Group(target, stale=0.0) as group:  # the holder would forget anyone silent at all
        await group.other.publish_position("patient", group.ids[2], 1, MINUTE_MS)
        await group.trim()  # first seen
        await group.trim()  # unchanged since, but it said a minute
        assert await group.kept_after(2)
        assert await group.other.positions() != {}
    async with _Group(target, stale=MINUTE_MS / 1000) as group:  # the holder would wait a minute
        await group.other.publish_position("hasty", group.ids[2], 1, 0)
        await group.trim()
        await group.trim()  # unchanged since, and it said 0 s: forgotten, and the log trimmed past it
        assert await group.other.positions() == {}
        assert not await group.kept_after(2)


async def test_a_replica_that_publishes_just_before_it_would_be_forgotten_is_kept(redis: RedisServer) -> None:
    """The holder decides who is silent from what it read; the script forgets one only if its value is still
    the one read."""
    target = parse_state(redis.url)
    assert isinstance(target, RedisTarget)
    async with _Group(target, stale=0.0) as group:
        await group.other.publish_position("late", group.ids[2], 1, 0)
        await group.trim()  # first seen: count 1
        sent = 0

        async def before() -> None:
            nonlocal sent
            if sent == 1:  # after the holder read the positions and found "late" silent, before the script
                await group.other.publish_position("late", group.ids[2], 2, 0)
            sent += 1

        group.hooked.before = before
        await group.trim()
        assert sent >= 2
        assert await group.kept_after(2)
        assert set(await group.other.positions()) == {b"late"}


async def test_a_late_answer_to_the_holders_read_does_not_date_what_it_saw_too_early(redis: RedisServer) -> None:
    """The holder's read of the positions can be answered long after it was sent (a retry): a value it finds
    is timed from when the answer came back, never from before the replica could have published it."""
    target = parse_state(redis.url)
    assert isinstance(target, RedisTarget)
    async with _Group(target, stale=60.0) as group:
        await group.other.publish_position("slow", group.ids[2], 1, 500)  # it may be forgotten after 0.5 s
        sent = 0

        async def before() -> None:
            nonlocal sent
            if sent == 0:  # the read is held up a second, and the replica publishes again meanwhile
                await asyncio.sleep(1.0)
                await group.other.publish_position("slow", group.ids[2], 2, 500)
            sent += 1

        group.hooked.before = before
        await group.trim()
        group.hooked.before = None
        await group.trim()  # at once: the value it saw was published a moment ago
        assert await group.kept_after(2)
        assert set(await group.other.positions()) == {b"slow"}
