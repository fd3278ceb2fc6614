"""Store and RateLimiter without a server: sort keys, the tenant index, removal; fixed windows."""

from __future__ import annotations

import functools

from simulator.clock import ManualClock
from simulator.core.models import Attempt, Message, Plan
from simulator.core.ratelimit import Limit, RateLimiter
from simulator.core.store import Store, sort_key
from tests.core.conftest import START


def message(message_id: str, at: float, tenant: str = "t1", face: str = "v2") -> Message:
    attempt = Attempt(id=f"a-{message_id}", number=1, created_at=at, plan=Plan("none", ()))
    attempt.record("created", at)  # every stored message has its initial status
    return Message(id=message_id, face=face, channel="sms", tenant=tenant, recipient="+6590000001",
                   created_at=at, payload={}, attempts=(attempt,))


def test_a_tenant_reads_its_messages_by_millisecond_then_id() -> None:
    store = Store()
    for m in (message("b", START + 0.0004), message("a", START), message("c", START - 1),
              message("other", START, tenant="t2"), message("v1", START, face="v1")):
        store.add(m)
    assert [m.id for m in store.tenant_messages("v2", "t1")] == ["c", "a", "b"]  # a and b: the same ms
    assert store.tenant_keys("v2", "t1")[0] == sort_key(store.get("c"))  # type: ignore[arg-type]
    assert [m.id for m in store.all()] == ["b", "a", "c", "other", "v1"]  # acceptance order
    assert [m.seq for m in store.all()] == [1, 2, 3, 4, 5]
    assert store.tenant_messages("v2", "nobody") == []


def test_removing_a_tenant_marks_its_messages_removed_on_every_face() -> None:
    store = Store()
    mine = [message("a", START), message("b", START, face="v1")]
    theirs = message("c", START, tenant="t2")
    for m in [*mine, theirs]:
        store.add(m)
    assert store.remove_tenant("t1") == 2
    assert all(m.removed for m in mine) and not theirs.removed
    assert store.get("a") is None and len(store) == 1
    assert store.clear() == 1 and theirs.removed and len(store) == 0


def test_fixed_windows_on_the_manual_clock_and_refusals_not_counted() -> None:
    clock = ManualClock(start=START + 0.25)
    limiter = RateLimiter(clock)
    limits = (Limit(2, 1.0), Limit(3, 60.0))
    hit = functools.partial(limiter.hit, simulated=True)  # rate_limit_clock: simulated
    first, second = hit("k", limits), hit("k", limits)
    assert first is not None and first.allowed and first.remaining == 1 and first.limit == Limit(2, 1.0)
    assert second is not None and second.allowed and second.remaining == 0
    refused = hit("k", limits)
    assert refused is not None and not refused.allowed and refused.retry_after == 1
    assert refused.reset_in == 0.75
    clock.set(clock.now() + 1)
    third = hit("k", limits)  # the refusal did not use up the minute's third request
    assert third is not None and third.allowed and third.limit == Limit(3, 60.0) and third.remaining == 0
    minute = hit("k", limits)
    assert minute is not None and not minute.allowed and minute.retry_after == 59
    assert hit("other", limits) is not None and hit("k", ()) is None
    limiter.clear()
    again = hit("k", limits)
    assert again is not None and again.allowed


def test_wall_windows_open_at_the_first_request_and_ignore_the_simulated_clock() -> None:
    clock = ManualClock(start=START)
    wall = [100.7]
    limiter = RateLimiter(clock, wall=lambda: wall[0])
    limits = (Limit(2, 1.0),)
    assert [v.allowed for v in (limiter.hit("k", limits), limiter.hit("k", limits)) if v] == [True, True]
    clock.jump(3600)  # a simulated hour does not end a wall-time window
    refused = limiter.hit("k", limits)
    assert refused is not None and not refused.allowed and refused.retry_after == 1
    wall[0] = 101.6   # 0.9 s later: still the window that opened at 100.7
    assert not limiter.hit("k", limits).allowed  # type: ignore[union-attr]
    wall[0] = 101.7   # Retry-After's second of real waiting ends it
    again = limiter.hit("k", limits)
    assert again is not None and again.allowed and again.remaining == 1
