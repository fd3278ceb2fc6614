"""In-memory message store, indexed the ways the faces read it.

Each (face, tenant) keeps its messages sorted by (created_at in ms, id), which is the order the
Postman v2 cursors use; the other faces read the same index newest first or oldest first.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from simulator.core.models import Message
from simulator.core.trace import note_read


def sort_key(message: Message) -> tuple[int, str]:
    return (round(message.created_at * 1000), message.id)


@dataclass(slots=True)
class _Index:
    keys: list[tuple[int, str]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def add(self, message: Message) -> None:
        key = sort_key(message)
        pos = bisect.bisect_right(self.keys, key)
        self.keys.insert(pos, key)
        self.messages.insert(pos, message)


class Store:
    def __init__(self) -> None:
        self._by_id: dict[str, Message] = {}
        self._by_tenant: dict[tuple[str, str], _Index] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, message: Message) -> None:
        self._seq += 1
        message.seq = self._seq
        self._by_id[message.id] = message
        index = self._by_tenant.get((message.face, message.tenant))
        if index is None:
            index = self._by_tenant[(message.face, message.tenant)] = _Index()
        index.add(message)

    def get(self, message_id: str) -> Message | None:
        message = self._by_id.get(message_id)
        if message is not None:
            note_read(message_id)  # the request journal's "messages it read"
        return message

    def tenant_messages(self, face: str, tenant: str) -> list[Message]:
        """A tenant's messages of one face, oldest first (do not mutate)."""
        index = self._by_tenant.get((face, tenant))
        return index.messages if index is not None else []

    def tenant_keys(self, face: str, tenant: str) -> list[tuple[int, str]]:
        index = self._by_tenant.get((face, tenant))
        return index.keys if index is not None else []

    def all(self) -> Iterator[Message]:
        """Every message, in acceptance order."""
        return iter(self._by_id.values())

    def newest_first(self) -> Iterator[Message]:
        """Every message, newest accepted first, without copying the store."""
        return reversed(self._by_id.values())

    def tenants(self) -> Iterable[tuple[str, str]]:
        return self._by_tenant.keys()

    def remove_tenant(self, tenant: str, face: str | None = None) -> int:
        """Forget a tenant's messages (all faces unless `face` is given). Returns how many."""
        removed = 0
        for key in [k for k in self._by_tenant if k[1] == tenant and (face is None or k[0] == face)]:
            for message in self._by_tenant.pop(key).messages:
                message.removed = True
                del self._by_id[message.id]
                removed += 1
        return removed

    def clear(self) -> int:
        count = len(self._by_id)
        for message in self._by_id.values():
            message.removed = True
        self._by_id.clear()
        self._by_tenant.clear()
        return count
