"""Engine without a server: acceptance, due steps on the manual clock, retry, force, reset, events."""

from __future__ import annotations

from simulator.core.events import StatusEvent
from simulator.core.models import ErrorInfo
from tests.core.conftest import INITIAL, START, make_engine, plan, send, statuses

TWO_STEPS = plan((0, "sent"), (5, "delivered"), (10, "read"))


async def test_zero_delay_steps_are_recorded_at_acceptance() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    message = send(engine)
    assert statuses(message) == [(s, 0.0) for s in INITIAL] + [("sent", 0.0)]
    assert message.created_at == START
    assert len(engine.scheduler) == 1


async def test_due_steps_happen_at_their_exact_times_and_publish_events() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    seen: list[StatusEvent] = []
    engine.events.subscribe(seen.append)
    message = send(engine)
    assert await engine.scheduler.advance(4.999) == 0
    assert await engine.scheduler.advance(20) == 2
    assert statuses(message)[-2:] == [("delivered", 5.0), ("read", 15.0)]
    assert [(e.status, e.previous, e.at - START) for e in seen[-2:]] == [("delivered", "sent", 5.0),
                                                                       ("read", "delivered", 15.0)]
    assert [e.seq for e in seen] == list(range(1, len(seen) + 1))


async def test_retry_halts_the_old_attempt_and_keeps_the_id() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    message = send(engine)
    attempt = engine.retry(message, plan((1, "failed")))
    await engine.scheduler.advance(60)
    assert message.attempts[0].history[-1].status == "sent"  # its 5 s step never ran
    assert attempt.number == 2 and message.attempt is attempt
    assert statuses(message) == [(s, 0.0) for s in INITIAL] + [("failed", 1.0)]
    assert engine.store.get(message.id) is message


async def test_force_drops_the_rest_of_the_plan() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    message = send(engine)
    error = ErrorInfo(code="E1")
    engine.force(message, "failed", error)
    await engine.scheduler.advance(60)
    assert message.status == "failed" and message.error == error
    assert message.attempt.history[-1].forced


async def test_a_reset_restarts_the_seeded_ids_and_forgets_everything() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    first = send(engine).id
    send(engine)
    assert engine.reset() == 2
    assert len(engine.store) == 0 and len(engine.scheduler) == 0
    assert send(engine).id == first


async def test_a_tenant_reset_spares_other_tenants_and_their_plans() -> None:
    engine = make_engine({"+6590000001": TWO_STEPS})
    gone = send(engine, tenant="a")
    kept = send(engine, tenant="b")
    heard: list[str | None] = []
    engine.on_reset(heard.append)
    assert engine.reset("a") == 1
    await engine.scheduler.advance(60)
    assert heard == ["a"]
    assert gone.removed and gone.status == "sent"  # a removed message's due steps do nothing
    assert engine.store.get(kept.id) is kept and kept.status == "read"


async def test_a_raising_subscriber_is_kept_in_errors_and_others_still_hear() -> None:
    engine = make_engine()
    boom = RuntimeError("subscriber bug")

    def broken(event: StatusEvent) -> None:
        raise boom

    seen: list[str] = []
    engine.events.subscribe(broken)
    engine.events.subscribe(lambda event: seen.append(event.status))
    message = send(engine)
    assert message.status == INITIAL[-1]
    assert seen == list(INITIAL)
    assert engine.events.errors == [boom] * len(INITIAL)


async def test_seeded_engines_give_the_same_ids_and_unseeded_ones_do_not() -> None:
    assert send(make_engine(seed=7)).id == send(make_engine(seed=7)).id
    assert send(make_engine(seed=None)).id != send(make_engine(seed=None)).id
