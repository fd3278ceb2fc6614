"""Every held message by id and in acceptance order, without a rebuild of the whole store at any one moment.

A single dict of a million messages rebuilds its whole table when it fills up: 27 ms at 699,000 entries and
50 ms at 1.4 million in a tight loop, 130 ms and more in a server under load, and with eviction keeping a
million held that happens again every 1.8 million sends (the sustained-load p99 of 205 ms in the minute one
fell in). So the ids are spread over SHARDS dicts by their hash (a rebuild is a sixty-fourth of the store),
and acceptance order is kept by `seq` in chunks of CHUNK messages (a dict of chunk number to list, in
increasing order because `seq` only grows). A removed message leaves its chunk lazily: a chunk is dropped
once every message in it is removed and compacted once over an eighth of it is, so a removal costs O(1)
amortised however the removed messages are spread (a tenant reset stays proportional to the tenant), the
removed messages still listed (and so still alive) are at most an eighth of the store, and readers skip them.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator

from simulator.core.models import Message

SHARDS = 64  # a power of two: a shard is picked by the low bits of the id's hash
_MASK = SHARDS - 1
CHUNK_BITS = 12  # 4,096 messages a chunk: compacting one costs about 0.1 ms
_removed = operator.attrgetter("removed")


class Held:
    """The messages the store holds: `get` by id, iteration in acceptance (`seq`) order. A message must have its
    `seq` before `add`, and be marked `removed` before `remove`."""

    __slots__ = ("_chunks", "_dead", "_ids", "_size")

    def __init__(self) -> None:
        self._ids: list[dict[str, Message]] = [{} for _ in range(SHARDS)]
        self._chunks: dict[int, list[Message]] = {}  # seq >> CHUNK_BITS -> that range's messages, in seq order
        self._dead: dict[int, int] = {}  # chunk number -> how many of its listed messages are removed
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, message: Message) -> None:
        self._ids[hash(message.id) & _MASK][message.id] = message
        number = message.seq >> CHUNK_BITS
        chunk = self._chunks.get(number)
        if chunk is None:
            chunk = self._chunks[number] = []
        chunk.append(message)
        self._size += 1

    def get(self, message_id: str) -> Message | None:
        return self._ids[hash(message_id) & _MASK].get(message_id)

    def remove(self, gone: Iterable[Message]) -> None:
        """Forget messages already marked removed (every message marked removed must be passed here before the
        next call: a compaction drops whatever is marked)."""
        ids, chunks, dead = self._ids, self._chunks, self._dead
        touched: dict[int, None] = {}
        for message in gone:
            del ids[hash(message.id) & _MASK][message.id]
            self._size -= 1
            number = message.seq >> CHUNK_BITS
            dead[number] = dead.get(number, 0) + 1
            touched[number] = None
        for number in touched:
            chunk, count = chunks[number], dead[number]
            if count == len(chunk):
                del chunks[number], dead[number]
            elif count * 8 > len(chunk):  # a removed message stays alive while listed: at most an eighth
                chunk[:] = itertools.filterfalse(_removed, chunk)
                del dead[number]

    def clear(self) -> None:
        for shard in self._ids:
            shard.clear()
        self._chunks.clear()
        self._dead.clear()
        self._size = 0

    def __iter__(self) -> Iterator[Message]:
        """Oldest accepted first."""
        return itertools.filterfalse(_removed, itertools.chain.from_iterable(self._chunks.values()))

    def newest_first(self) -> Iterator[Message]:
        return itertools.filterfalse(_removed, itertools.chain.from_iterable(
            map(reversed, reversed(self._chunks.values()))))
