"""The tenant index keeps (millisecond, id) order however sends interleave: many in one millisecond (the manual
clock), a clock set back, evictions in between; reads always see the order a full sort would give."""

from __future__ import annotations

import random
import sys

from simulator.core.models import Message
from simulator.core.store import Store, sort_key
from tests.core.conftest import START
from tests.core.test_store_ratelimit import message


def _expected(store: Store) -> list[str]:
    return [m.id for m in sorted((m for m in store.all() if m.face == "v2" and m.tenant == "t1"), key=sort_key)]


def test_reads_see_millisecond_then_id_order_after_any_mix_of_sends() -> None:
    rng = random.Random(7)
    store = Store()
    at = START
    for n in range(400):
        step = rng.random()
        if step < 0.5:
            pass  # the same millisecond as the last send
        elif step < 0.9:
            at += rng.choice((0.001, 0.0004, 1.0))
        else:
            at -= 0.5  # a clock set back: this one goes before others
        store.add(message(f"{rng.getrandbits(32):08x}-{n}", at))
        if n % 37 == 0:
            assert [m.id for m in store.tenant_messages("v2", "t1")] == _expected(store)
    assert [m.id for m in store.tenant_messages("v2", "t1")] == _expected(store)
    assert list(store.tenant_keys("v2", "t1")) == sorted(store.tenant_keys("v2", "t1"))


def test_the_order_holds_after_evictions_and_later_sends() -> None:
    store = Store(max_messages=50)
    for n in range(120):
        m = message(f"{(n * 7919) % 1000:04d}", START + (n // 30) * 0.001)
        store.add(m)
        store.settled(m, START)  # settled at once: the oldest are evicted past 50
    assert len(store) <= 50 + 1
    assert [m.id for m in store.tenant_messages("v2", "t1")] == _expected(store)
    for n in range(5):
        store.add(message(f"late-{4 - n}", START + 0.003))  # the last millisecond again, after the evictions
    assert [m.id for m in store.tenant_messages("v2", "t1")] == _expected(store)


def test_evictions_out_of_send_order_leave_every_index_exact() -> None:
    """Messages settle out of the order they were sent (a stuck one stays at the front, failures settle first):
    each eviction batch removes exactly its victims from the tenant, flow and recipient indexes, in order."""
    rng = random.Random(11)
    store = Store(max_messages=256)  # batches of 4
    held: list[str] = []
    sent = []
    for n in range(1200):
        m = message(f"m{n:04d}", START + n * 0.001)
        store.add(m)
        store.status_changed(m, None, m.status)  # what the engine does as it records the initial status
        sent.append(m)
        if n % 40 == 0:
            continue  # never settles: it must outlive every message sent after it
        if rng.random() < 0.5:
            store.settled(m, START + n * 0.001)
        else:  # settles later, after some sent after it
            late = sent[rng.randrange(max(0, n - 20), n + 1)]
            if not late.removed and late.id not in held and int(late.id[1:]) % 40:
                held.append(late.id)
                store.settled(late, START + n * 0.001)
    kept = [m for m in sent if not m.removed]
    assert store.evicted > 400 and len(store) == len(kept)
    assert all(m.id in {k.id for k in kept} for m in sent if int(m.id[1:]) % 40 == 0)  # the unsettled stay
    assert [m.id for m in store.tenant_messages("v2", "t1")] == _expected(store) == [m.id for m in kept]
    page, total = store.query(face="v2", channel="sms", tenant="t1", limit=1000)
    assert total == len(kept) and [m.id for m in page] == [m.id for m in reversed(kept)]
    by_recipient, total = store.query(recipient="+65 9000 0001", limit=1000)
    assert total == len(kept) and [m.id for m in by_recipient] == [m.id for m in reversed(kept)]


def test_a_recipients_pages_read_from_the_end_match_the_filtered_reading() -> None:
    """With only a recipient given, a page is sliced from the end of its list (no pass over 20,000 matches);
    it must be the page the filtered reading gives, at every offset."""
    store = Store()
    for n in range(10):
        m = message(f"m{n}", START + n)
        store.add(m)
        store.status_changed(m, None, m.status)
    store.add(message("other", START, tenant="t2"))  # another tenant, same recipient
    for offset, limit in ((0, 3), (2, 3), (9, 5), (11, 2), (12, 1), (0, 100)):
        fast = store.query(recipient="+65 9000 0001", offset=offset, limit=limit)
        filtered = store.query(recipient="+65 9000 0001", face="v2", offset=offset, limit=limit)
        assert [m.id for m in fast[0]] == [m.id for m in filtered[0]] and fast[1] == filtered[1] == 11
    assert [m.id for m in store.query(recipient="6590000001", limit=2)[0]] == ["other", "m9"]


def test_the_order_holds_when_evictions_fall_inside_an_unsorted_run() -> None:
    """Evictions no longer sort the trailing run of one millisecond first: whatever mix of sends (same
    millisecond, later, a clock set back) and evictions (in the run, before it, all of it), reads see the
    order a full sort gives."""
    for seed in range(20):
        rng = random.Random(seed)
        store = Store(max_messages=rng.choice((5, 17, 40)))
        at = START
        for n in range(300):
            step = rng.random()
            if step < 0.6:
                pass  # the same millisecond: the run grows unsorted
            elif step < 0.95:
                at += rng.choice((0.001, 1.0))
            else:
                at -= 0.5
            m = message(f"{rng.getrandbits(32):08x}-{n}", at)
            store.add(m)
            store.status_changed(m, None, m.status)
            held = [h for h in store.all() if not h.is_settled or rng.random() < 0.7]
            for victim in held[:rng.randrange(0, 3)]:
                store.settled(victim, at)
            if n % 23 == 0:
                assert [x.id for x in store.tenant_messages("v2", "t1")] == _expected(store)
        assert [x.id for x in store.tenant_messages("v2", "t1")] == _expected(store)


def test_a_store_far_over_its_bound_sheds_one_batch_per_call() -> None:
    """However far over --max-messages the store is (a bound lowered, a million in flight settling at once),
    one call evicts one batch, oldest settled first; the calls that follow take the rest. Taking the whole
    excess at once walked every index in one go (a 150 ms stall in a million-message advance)."""
    store = Store(max_messages=10_000)
    sent = []
    for n in range(700):
        m = message(f"m{n:04d}", START + n * 0.001)
        store.add(m)
        store.status_changed(m, None, m.status)
        store.settled(m, START)
        sent.append(m)
    store.configure(max_messages=640)  # batches of 10, 60 over
    shed = [store.prune(START) for _ in range(8)]
    assert shed == [10, 10, 10, 10, 10, 10, 0, 0] and len(store) == 640
    assert [m.id for m in store.all()] == [m.id for m in sent[60:]]


def test_lookups_and_both_orders_stay_exact_across_chunks_after_evictions_and_tenant_resets() -> None:
    """The held messages live in chunks of 4,096 by acceptance order (core/held.py) and leave them lazily:
    after evictions out of send order, a tenant reset spread over every chunk and more sends, every read by id
    and every walk in either order must match a plain list of what is still held."""
    rng = random.Random(5)
    store = Store(max_messages=9_000)
    sent: list[Message] = []
    late: list[Message] = []
    for n in range(30_000):
        m = message(f"m{n:05d}", START + n * 0.001, tenant=rng.choice(("t1", "t2", "t3")))
        store.add(m)
        store.status_changed(m, None, m.status)
        sent.append(m)
        if n % 97 and rng.random() < 0.9:  # every 97th never settles; the rest mostly settle at once
            store.settled(m, START + n * 0.001)
        elif n % 97:
            late.append(m)
        if late and rng.random() < 0.1:  # and some after others sent later
            store.settled(late.pop(0), START + n * 0.001)
        if n == 20_000:
            assert store.remove_tenant("t3") > 0
    outside = message("never-held", START)  # referenced by `sent` alone, as an evicted message should be
    sent.append(outside)
    alive = [m.id for m in sent if m.removed and sys.getrefcount(m) > sys.getrefcount(outside)]
    sent.pop()
    kept = [m for m in sent if not m.removed]
    assert store.evicted > 10_000 and len(store) == len(kept)
    # a chunk may list removed messages up to an eighth of it (146 here); evicted messages left in the tenant
    # index's dead front kept 569 alive, chunks compacted only at half 770
    assert len(alive) <= len(kept) // 32, f"{len(alive)} evicted messages kept alive by the store's lists"
    assert [m.id for m in store.all()] == [m.id for m in kept]
    assert [m.id for m in store.newest_first()] == [m.id for m in reversed(kept)]
    assert all(store.get(m.id) is m for m in kept)
    assert all(store.get(m.id) is None for m in sent if m.removed)
    assert [m.id for m in store.tenant_messages("v2", "t1")] == [m.id for m in kept if m.tenant == "t1"]
    store.clear()
    assert len(store) == 0 and list(store.all()) == [] and store.get(kept[-1].id) is None
