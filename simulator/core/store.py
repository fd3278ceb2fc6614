"""In-memory message store, indexed the ways the faces and /_sim read it, with bounded retention.

Each (face, tenant) keeps its messages sorted by (created_at in ms, id), which is the order the Postman v2
cursors use; the other faces read the same index newest first or oldest first. /_sim/messages lists newest
accepted first and filters by face, channel, tenant, status and recipient: it reads indexes kept on write
(per (face, channel, tenant) and per recipient, in acceptance order) and counts by (face, channel, tenant,
status) kept on every status change, never a scan of the whole store (DESIGN B5). No dict holds the whole
store (core/held.py: a million-entry dict's rebuild was a 130 ms stall), and eviction never moves a whole
index (the acceptance-order lists are deques; the tenant index keeps its evicted front until a read).

Retention: a message is *settled* once its current attempt has nothing left to do (its plan ran out, or a
status was forced). Settled messages are evicted oldest settled first when more than `max_messages` are held,
and once they have been settled for `retention` simulated seconds. Evictions happen in batches of 1/64 of
`max_messages`, at least one and at most 512, one batch per settle or read, so each costs about its size and no
request waits long behind one; a message that has not settled is never evicted.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

from simulator.core.held import Held
from simulator.core.models import Message
from simulator.core.timefmt import epoch_ms
from simulator.core.trace import note_read

Key = tuple[int, str]
EvictHook = Callable[[Sequence[Message]], None]
Combo = tuple[str, str, str, str]  # (face, channel, tenant, status)
DEFAULT_MAX_MESSAGES = 1_000_000


def sort_key(message: Message) -> Key:
    return (epoch_ms(message.created_at), message.id)


class _Keys(Sequence[Key]):
    """The sort keys of an index's messages, computed when read (bisect reads a handful): a stored tuple and
    int per message would cost about 90 bytes each."""

    __slots__ = ("_messages",)

    def __init__(self, messages: list[Message]) -> None:
        self._messages = messages

    def __len__(self) -> int:
        return len(self._messages)

    @overload
    def __getitem__(self, index: int) -> Key: ...
    @overload
    def __getitem__(self, index: slice) -> list[Key]: ...

    def __getitem__(self, index: int | slice) -> Key | list[Key]:
        if isinstance(index, slice):
            return [sort_key(m) for m in self._messages[index]]
        return sort_key(self._messages[index])


class _Index:
    """One (face, tenant)'s messages in sort_key order. Sends arrive in time order, so a new message goes at the
    end; one that shares its millisecond with the last is appended too, and that trailing same-millisecond run
    is put in id order when the index is next read (`ordered`). On the manual clock every send falls in the
    same millisecond: placing each one by bisect cost a dozen key computations and an O(n) list move per send."""

    __slots__ = ("_dirty", "_head", "_last_ms", "_messages", "_run")

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._head = 0      # evicted messages still at the front of _messages (see drop_removed)
        self._last_ms = 0   # the millisecond of the last message
        self._run = 0       # where the run of messages in that millisecond starts
        self._dirty = False  # whether that run may be out of id order

    def add(self, message: Message) -> None:
        messages = self._messages
        ms = epoch_ms(message.created_at)
        if not messages or ms > self._last_ms:  # the common case: the clock only moves forward
            if self._dirty:
                self._sort_run()
            self._run, self._last_ms = len(messages), ms
            messages.append(message)
        elif ms == self._last_ms:
            messages.append(message)
            self._dirty = True
        else:  # earlier than the last one (a clock set back): into place now
            self.ordered()
            messages.insert(bisect.bisect_right(messages, sort_key(message), key=sort_key), message)
            self._run += 1

    def restore(self, message: Message) -> None:
        """Hold a message read back from a snapshot, in any order: `restored()` sorts them all once."""
        self._messages.append(message)

    def restored(self) -> None:
        """Sort after `restore`: the index starts again from a fully ordered list."""
        messages = self._messages
        messages.sort(key=sort_key)
        self._dirty = False
        self._last_ms = epoch_ms(messages[-1].created_at) if messages else 0
        self._run = next((i for i in range(len(messages) - 1, -1, -1)
                          if epoch_ms(messages[i].created_at) != self._last_ms), -1) + 1

    def _sort_run(self) -> None:
        run = self._messages[self._run:]
        run.sort(key=_message_id)
        self._messages[self._run:] = run
        self._dirty = False

    def ordered(self) -> list[Message]:
        """The messages, oldest first (do not mutate)."""
        self._compact()
        if self._dirty:
            self._sort_run()
        return self._messages

    def _compact(self) -> None:
        """Delete the evicted messages left at the front (one move of the list's pointers for all of them)."""
        if self._head:
            del self._messages[:self._head]
            self._run -= self._head
            self._head = 0

    def drop_removed(self, count: int) -> None:
        """Forget the `count` messages marked removed. The trailing run is not put in order first: on the manual
        clock a million sends share one millisecond, and sorting them stalled the first eviction 170 ms.

        Eviction takes the oldest settled, which sit near the front: the messages kept among them move up to the
        last one's place and the front they leave stays in the list, dead, until the next read or until it is half
        the list. A batch then costs a walk to its last victim, not a move of a million pointers (1 ms a batch,
        a third of what evicting 512 messages cost)."""
        messages, end, found = self._messages, self._head, 0
        kept: list[Message] = []
        while found < count and end < self._run:  # the trailing run is left to the general case below
            message = messages[end]
            end += 1
            if message.removed:
                found += 1
            else:
                kept.append(message)
        if found == count:
            head, self._head = self._head, end - len(kept)
            messages[self._head:end] = kept  # the same length: nothing behind it moves
            # the evicted must not stay alive in the dead front: it points at a message still held instead
            messages[head:self._head] = [messages[self._head]] * (self._head - head)
            if self._head * 2 > len(messages):
                self._compact()
            return
        self._compact()
        self._run -= _drop_removed(messages, count, self._run)
        if not messages:
            self._run, self._last_ms, self._dirty = 0, 0, False
        elif self._run >= len(messages):  # the whole run went: what is left is in order
            self._last_ms = epoch_ms(messages[-1].created_at)
            self._run = bisect.bisect_left(messages, (self._last_ms, ""), key=sort_key)
            self._dirty = False

    def __len__(self) -> int:
        return len(self._messages) - self._head


def _message_id(message: Message) -> str:
    return message.id


def _batch_size(max_messages: int) -> int:
    """Evict this many at a time: a batch costs about 2.5 µs a message plus a move of each index list's pointers
    (0.35 ms for a million), so batches amortise that move. At most 512: a batch of a million-message store's
    is then a 2-3 ms pause (4,096 was 11-19 ms, every 1.6 s at 2,500 sends/s: the sustained-load p99)."""
    return max(1, min(max_messages // 64, 512))


def _drop_removed(messages: list[Message], count: int, mark: int = 0) -> int:
    """Remove the `count` messages marked removed, in place and keeping the others' order, looking only as far
    as the last of them; return how many stood before position `mark`. Eviction takes the oldest settled
    messages, which sit near the front, so a batch from a million-message index costs about the batch, not the
    index (a pass over the whole list stalled every request for a quarter second)."""
    end = found = before = 0
    for message in messages:
        end += 1
        if message.removed:
            found += 1
            if end <= mark:
                before += 1
            if found == count:
                break
    if found == end:  # a prefix: the usual case
        del messages[:end]
    else:
        messages[:end] = [m for m in messages[:end] if not m.removed]
    return before


def _drop_queued(queue: deque[Message], count: int) -> None:
    """Remove the `count` messages marked removed from an acceptance-order queue, keeping the others' order.
    They are usually its oldest (popped in O(count)); victims further in (a failure that settled before older
    deliveries) cost a walk to the last of them, as in `_drop_removed`."""
    found = 0
    while found < count and queue[0].removed:
        queue.popleft()
        found += 1
    if found < count:
        kept = []
        while found < count:
            message = queue.popleft()
            if message.removed:
                found += 1
            else:
                kept.append(message)
        queue.extendleft(reversed(kept))


class Store:
    def __init__(self, max_messages: int = DEFAULT_MAX_MESSAGES, retention: float | None = None) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        self.max_messages = max_messages
        self.retention = retention
        self._batch = _batch_size(max_messages)
        self._held = Held()  # by id and in acceptance order (core/held.py: no whole-store rebuilds)
        self._by_tenant: dict[tuple[str, str], _Index] = {}
        # acceptance order; deques, as eviction takes from the front (a list's front deletion moved a million
        # pointers a batch: 3 ms, two thirds of what evicting 512 messages cost)
        self._by_flow_tenant: dict[tuple[str, str, str], deque[Message]] = {}
        self._by_recipient: dict[str, deque[Message]] = {}
        self._counts: Counter[Combo] = Counter()  # held now, by current status
        self._settled: deque[Message] = deque()  # settled order; stale entries are skipped when popped
        self._seq = 0
        self.evicted = 0  # since start (a full reset does not zero it: metrics counters only go up)
        self._evict_hooks: list[EvictHook] = []

    def __len__(self) -> int:
        return len(self._held)

    # -- writes -------------------------------------------------------------------------------------

    def add(self, message: Message) -> None:
        self._hold(message).add(message)

    def _hold(self, message: Message) -> _Index:
        """File `message` everywhere but in its tenant index, which is returned (the caller places it there)."""
        self._seq += 1
        message.seq = self._seq
        self._held.add(message)
        index = self._by_tenant.get((message.face, message.tenant))
        if index is None:
            index = self._by_tenant[(message.face, message.tenant)] = _Index()
        flow = self._by_flow_tenant.get((message.face, message.channel, message.tenant))
        if flow is None:
            flow = self._by_flow_tenant[(message.face, message.channel, message.tenant)] = deque()
        flow.append(message)
        recipient = recipient_key(message.recipient)
        sent_to = self._by_recipient.get(recipient)
        if sent_to is None:
            sent_to = self._by_recipient[recipient] = deque()
        sent_to.append(message)
        return index

    def restore(self, messages: Iterable[Message], evicted: int = 0) -> None:
        """Hold messages read back from a snapshot (in acceptance order): every index and count is rebuilt
        from the messages themselves, never stored; settled ones queue for eviction in the order they settled."""
        settled = []
        for message in messages:
            self._hold(message).restore(message)  # sorted once below, not one bisect per message
            self._counts[(message.face, message.channel, message.tenant, message.status)] += 1
            if message.is_settled:
                settled.append(message)
        for index in self._by_tenant.values():
            index.restored()
        settled.sort(key=_updated_at)
        self._settled.extend(settled)
        self.evicted = evicted

    def status_changed(self, message: Message, previous: str | None, status: str) -> None:
        """Keep the counts by current status (the engine calls this on every change of a stored message)."""
        if message.removed:
            return
        counts = self._counts
        if previous is not None:
            combo = (message.face, message.channel, message.tenant, previous)
            left = counts[combo] - 1
            if left > 0:
                counts[combo] = left
            else:
                del counts[combo]
        counts[(message.face, message.channel, message.tenant, status)] += 1

    def settled(self, message: Message, now: float) -> None:
        """`message` has nothing left to do: it may be evicted from now on."""
        if message.removed:
            return
        self._settled.append(message)
        self.prune(now)

    def configure(self, max_messages: int | None = None, retention: float | None = None) -> None:
        """Set the bounds (`postman-sim serve --max-messages/--retention`); None keeps max_messages as it is."""
        if max_messages is not None:
            if max_messages < 1:
                raise ValueError("max_messages must be at least 1")
            self.max_messages = max_messages
            self._batch = _batch_size(max_messages)
        if retention is not None and retention <= 0:
            raise ValueError("retention must be positive")
        self.retention = retention

    def prune(self, now: float) -> int:
        """Evict what max_messages and retention ask for, one batch at most; returns how many.

        One batch a call, however far over the bounds the store is: the settles and reads that follow (each
        calls this) take the rest. A batch's victims need not be a prefix of each index (failures settle
        before deliveries), so a batch costs a walk to its last victim; 11,000 victims taken at once from a
        million-message advance's first settles were a walk over every index and a 150 ms stall."""
        victims: list[Message] = []
        settled = self._settled
        batch = self._batch
        if len(self._held) > self.max_messages:
            while settled and len(victims) < batch:
                self._take(settled.popleft(), victims)
        if self.retention is not None and settled and len(victims) < batch:
            cutoff = now - self.retention
            due = min(batch, max(1, len(self._held) // 64))
            if len(settled) >= due and settled[due - 1].updated_at <= cutoff:  # a batch is due
                while settled and settled[0].updated_at <= cutoff and len(victims) < batch:
                    self._take(settled.popleft(), victims)
        if victims:
            self._forget(victims)
            self.evicted += len(victims)
            for hook in self._evict_hooks:
                hook(victims)
        return len(victims)

    def on_evict(self, hook: EvictHook) -> None:
        """`hook(messages)` after each eviction batch (every face's messages in it), so whatever else points at
        them can let go and they are freed. Resets are not evictions: those go to the engine's reset hooks."""
        self._evict_hooks.append(hook)

    def _take(self, message: Message, victims: list[Message]) -> None:
        if message.removed or not message.is_settled:
            return  # evicted already, or a retry or forced status brought it back to life
        message.removed = True
        victims.append(message)

    def _forget(self, gone: list[Message]) -> None:
        """Drop messages already marked removed from every index."""
        counts = self._counts
        tenants: Counter[tuple[str, str]] = Counter()
        flows: Counter[tuple[str, str, str]] = Counter()
        recipients: Counter[str] = Counter()
        self._held.remove(gone)
        for message in gone:
            combo = (message.face, message.channel, message.tenant, message.status)
            left = counts[combo] - 1
            if left > 0:
                counts[combo] = left
            else:
                del counts[combo]
            tenants[(message.face, message.tenant)] += 1
            flows[(message.face, message.channel, message.tenant)] += 1
            recipients[recipient_key(message.recipient)] += 1
        for key, count in tenants.items():
            self._by_tenant[key].drop_removed(count)
            if not self._by_tenant[key]:
                del self._by_tenant[key]
        for flow, count in flows.items():
            _drop_queued(self._by_flow_tenant[flow], count)
            if not self._by_flow_tenant[flow]:
                del self._by_flow_tenant[flow]
        for recipient, count in recipients.items():
            _drop_queued(self._by_recipient[recipient], count)
            if not self._by_recipient[recipient]:
                del self._by_recipient[recipient]

    def remove_tenant(self, tenant: str, face: str | None = None) -> int:
        """Forget a tenant's messages (all faces unless `face` is given). Returns how many. Costs what the
        tenant holds (and a pass over the recipient lists it used), not the whole store."""
        gone: list[Message] = []
        for key in [k for k in self._by_tenant if k[1] == tenant and (face is None or k[0] == face)]:
            for message in self._by_tenant[key].ordered():
                message.removed = True
                gone.append(message)
        self._forget(gone)
        return len(gone)

    def clear(self) -> int:
        count = len(self._held)
        for message in self._held:
            message.removed = True
        self._held.clear()
        self._by_tenant.clear()
        self._by_flow_tenant.clear()
        self._by_recipient.clear()
        self._counts.clear()
        self._settled.clear()
        return count

    # -- reads --------------------------------------------------------------------------------------

    def get(self, message_id: str) -> Message | None:
        message = self._held.get(message_id)
        if message is not None:
            note_read(message_id)  # the request journal's "messages it read"
        return message

    def tenant_messages(self, face: str, tenant: str) -> list[Message]:
        """A tenant's messages of one face, oldest first (do not mutate)."""
        index = self._by_tenant.get((face, tenant))
        return index.ordered() if index is not None else []

    def tenant_keys(self, face: str, tenant: str) -> Sequence[Key]:
        """The sort keys of `tenant_messages`, position for position."""
        return _Keys(self.tenant_messages(face, tenant))

    def all(self) -> Iterator[Message]:
        """Every message, in acceptance order."""
        return iter(self._held)

    def newest_first(self) -> Iterator[Message]:
        """Every message, newest accepted first, without copying the store."""
        return self._held.newest_first()

    def tenants(self) -> Iterable[tuple[str, str]]:
        return self._by_tenant.keys()

    def counts(self) -> dict[Combo, int]:
        """How many messages are held, by (face, channel, tenant, current status)."""
        return dict(self._counts)

    def count(self, face: str | None = None, channel: str | None = None, tenant: str | None = None,
              status: str | None = None) -> int:
        return sum(n for (f, c, t, s), n in self._counts.items()
                   if (face is None or f == face) and (channel is None or c == channel)
                   and (tenant is None or t == tenant) and (status is None or s == status))

    def query(self, *, face: str | None = None, channel: str | None = None, tenant: str | None = None,
              status: str | None = None, recipient: str | None = None, offset: int = 0,
              limit: int = 100) -> tuple[list[Message], int]:
        """(newest accepted first: the page at `offset`, how many match in all), from indexes and counts."""
        def wanted(m: Message) -> bool:
            return ((face is None or m.face == face) and (channel is None or m.channel == channel)
                    and (tenant is None or m.tenant == tenant) and (status is None or m.status == status))

        if recipient is not None:
            held = self._by_recipient.get(recipient_key(recipient), deque())
            if face is None and channel is None and tenant is None and status is None:  # the page, read from the end
                return list(itertools.islice(reversed(held), offset, offset + limit)), len(held)
            matched = [m for m in held if wanted(m)]  # one recipient's list is short next to the store
            matched.reverse()
            return matched[offset:offset + limit], len(matched)
        total = self.count(face, channel, tenant, status)
        if total <= offset:
            return [], total
        lists = [messages for (f, c, t), messages in self._by_flow_tenant.items()
                 if (face is None or f == face) and (channel is None or c == channel)
                 and (tenant is None or t == tenant)]
        newest_first: Iterator[Message] = heapq.merge(*(reversed(ms) for ms in lists), key=_seq, reverse=True)
        if status is not None:
            newest_first = (m for m in newest_first if m.status == status)
        return list(itertools.islice(newest_first, offset, offset + limit)), total


_PHONE_PUNCTUATION = re.compile(r"[\s+\-().]")


def recipient_key(recipient: str) -> str:
    """The recipient index's key: a phone number by its digits alone, so `+65 8000 0001`, `6580000001` and
    `+65-8000-0001` find the same messages; anything else (an email address) as it is."""
    digits = _PHONE_PUNCTUATION.sub("", recipient)
    return digits if digits.isascii() and digits.isdigit() else recipient


def _updated_at(message: Message) -> float:
    return message.updated_at


def _seq(message: Message) -> int:
    return message.seq
