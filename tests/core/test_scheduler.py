"""Scheduler without a server: order, ties, the clock each job sees, catch-up and clear."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

import pytest

from simulator.clock import ManualClock
from simulator.core.scheduler import Detached, Scheduler
from tests.core.conftest import START


def scheduler() -> tuple[Scheduler, ManualClock, list[tuple[str, float]]]:
    clock = ManualClock(start=START)
    return Scheduler(clock), clock, []


def us(at: float) -> int:
    """Microseconds after START."""
    return round((at - START) * 1e6)


async def test_jobs_run_in_time_order_ties_in_the_order_added_each_at_its_time() -> None:
    jobs, clock, ran = scheduler()
    def job(name: str) -> Callable[[float], None]:
        return lambda at: ran.append((name, clock.now() - START))

    for name, when in (("c", 3), ("a", 1), ("b1", 2), ("b2", 2)):
        jobs.call_at(START + when, job(name))
    assert jobs.next_due() == START + 1
    assert await jobs.advance(2) == 3
    assert ran == [("a", 1.0), ("b1", 2.0), ("b2", 2.0)]
    assert clock.now() == START + 2 and len(jobs) == 1


async def test_async_jobs_due_at_one_instant_run_together() -> None:
    jobs, clock, ran = scheduler()
    both_started = asyncio.Event()
    started = 0

    async def job(at: float) -> None:
        nonlocal started
        started += 1
        if started == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), timeout=1)  # one alone would time out
        ran.append(("job", at - START))

    jobs.call_at(START + 5, job)
    jobs.call_at(START + 5, job)
    assert await jobs.advance(5) == 2
    assert ran == [("job", 5.0), ("job", 5.0)]


async def test_a_job_scheduled_by_a_job_runs_in_the_same_advance_when_due() -> None:
    jobs, clock, ran = scheduler()
    jobs.call_at(START + 1, lambda at: jobs.call_at(at + 1, lambda at2: ran.append(("second", at2 - START))))
    assert await jobs.advance(10) == 2
    assert ran == [("second", 2.0)] and clock.now() == START + 10


async def test_time_only_moves_forward() -> None:
    jobs, _, _ = scheduler()
    with pytest.raises(ValueError, match="seconds must be >= 0"):
        await jobs.advance(-1)


async def test_run_due_nowait_is_skipped_while_an_advance_steps_through_time() -> None:
    jobs, clock, ran = scheduler()
    nested: list[int] = []
    jobs.call_at(START + 1, lambda at: nested.append(jobs.run_due_nowait()))
    jobs.call_at(START + 1, lambda at: ran.append(("tie", at - START)))
    await jobs.advance(1)
    assert nested == [0] and ran == [("tie", 1.0)]
    jobs.call_at(START, lambda at: ran.append(("late", clock.now() - START)))  # already due
    assert jobs.run_due_nowait() == 1 and ran[-1] == ("late", 1.0)
    assert jobs.lag_seconds == 1.0


async def test_clear_drops_every_job() -> None:
    jobs, _, ran = scheduler()
    jobs.call_at(START + 1, lambda at: ran.append(("x", at)))
    jobs.clear()
    assert len(jobs) == 0 and jobs.next_due() is None
    assert await jobs.advance(5) == 0 and ran == []


async def test_a_job_added_for_the_running_instant_runs_after_the_others_of_that_instant() -> None:
    jobs, _, ran = scheduler()

    def first(at: float) -> None:
        ran.append(("first", at - START))
        jobs.call_at(at, lambda at2: ran.append(("added", at2 - START)))

    jobs.call_at(START + 1, first)
    jobs.call_at(START + 1, lambda at: ran.append(("second", at - START)))
    jobs.call_at(START + 2, lambda at: ran.append(("later", at - START)))
    assert await jobs.advance(5) == 4
    assert ran == [("first", 1.0), ("second", 1.0), ("added", 1.0), ("later", 2.0)]
    assert len(jobs) == 0 and jobs.next_due() is None


async def test_a_failing_job_does_not_run_the_jobs_before_it_again() -> None:
    jobs, clock, ran = scheduler()

    def boom(at: float) -> None:
        raise RuntimeError("job failed")

    jobs.call_at(START + 1, lambda at: ran.append(("a", at - START)))
    jobs.call_at(START + 1, boom)
    jobs.call_at(START + 1, lambda at: ran.append(("c", at - START)))
    clock.set(START + 1)
    with pytest.raises(RuntimeError, match="job failed"):
        jobs.run_due_nowait()
    assert len(jobs) == 1 and jobs.next_due() == START + 1
    assert jobs.run_due_nowait() == 1
    assert ran == [("a", 1.0), ("c", 1.0)] and len(jobs) == 0


async def test_a_reset_during_a_long_advance_stops_it_and_an_earlier_time_added_meanwhile_still_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.core import scheduler as module
    monkeypatch.setattr(module, "PAUSE_CHECK", 1)
    monkeypatch.setattr(module, "PAUSE_EVERY", 0.0)  # pause after every job
    jobs, clock, ran = scheduler()
    def job(name: str) -> Callable[[float], None]:
        return lambda at: ran.append((name, at - START))

    for index in range(1000):
        jobs.call_at(START + 10, job(f"job{index}"))
    advance = asyncio.create_task(jobs.advance(20))
    while len(ran) < 3:
        await asyncio.sleep(0)
    jobs.clear()  # what a reset does while the advance is paused between two jobs
    jobs.call_at(START + 15, lambda at: ran.append(("after reset", at - START)))
    assert await advance < 1000
    assert ran[-1] == ("after reset", 15.0) and len(jobs) == 0 and jobs.next_due() is None
    # an earlier instant added while a later one is being worked through runs, and the later one is not lost
    jobs.call_at(clock.now() + 10, lambda at: jobs.call_at(at - 5, lambda at2: ran.append(("earlier", at2 - START))))
    jobs.call_at(clock.now() + 10, lambda at: ran.append(("same", at - START)))
    assert await jobs.advance(10) == 3
    assert ran[-2:] == [("same", 30.0), ("earlier", 25.0)]  # a job sees its own due time; the clock stays
    assert clock.now() == START + 30 and len(jobs) == 0


async def test_pending_lists_jobs_in_run_order_and_replace_keeps_that_order() -> None:
    jobs, _, ran = scheduler()

    def job(name: str) -> Callable[[float], None]:
        return lambda at: ran.append((name, at - START))

    for name, when in (("late", 3), ("tie1", 2), ("early", 1), ("tie2", 2)):
        jobs.call_at(START + when, job(name))
    listed = jobs.pending()
    assert [when - START for when, _ in listed] == [1, 2, 2, 3]
    copy, _, _ = scheduler()
    copy.replace(listed)  # what a replica's checkpoint restores
    assert len(copy) == 4 and copy.next_due() == START + 1
    assert await copy.advance(5) == 4
    assert [name for name, _ in ran] == ["early", "tie1", "tie2", "late"]


async def test_an_advance_lets_go_of_the_jobs_it_has_run_at_each_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """A million messages' last steps can fall due at one instant: the jobs run leave the schedule a pause at a
    time (freeing them all at the end of the instant stalled every other request for 130-250 ms), and what
    `pending()` lists mid-advance (a replica's checkpoint) is only what has not run."""
    from simulator.core import scheduler as module
    monkeypatch.setattr(module, "PAUSE_CHECK", 1)
    monkeypatch.setattr(module, "PAUSE_EVERY", 0.0)  # pause after every job
    jobs, _, _ = scheduler()
    ran: list[int] = []

    class Job:
        def __init__(self, number: int) -> None:
            self.number = number

        def __call__(self, at: float) -> None:
            ran.append(self.number)

    refs = []
    for number in range(100):
        job = Job(number)
        refs.append(weakref.ref(job))
        jobs.call_at(START + 10, job)
    del job
    advance = asyncio.create_task(jobs.advance(20))
    while len(ran) < 50:
        await asyncio.sleep(0)
    listed = [job for _, job in jobs.pending()]
    assert [j.number for j in listed] == list(range(len(ran), 100))  # type: ignore[attr-defined]
    del listed
    assert all(ref() is None for ref in refs[:len(ran) - 1])  # run and let go (the loop holds the last one)
    assert await advance == 100 and ran == list(range(100))


async def test_a_short_request_during_a_long_advance_finishes_within_one_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request takes a few turns of the loop (its bytes read, its handler, its answer written). A pause that
    handed over one turn made it wait a whole slice of jobs per turn (23-33 ms for /_sim/health during a big
    advance); a pause hands over several, so a three-turn request finishes while the advance runs one slice."""
    from simulator.core import scheduler as module
    monkeypatch.setattr(module, "PAUSE_CHECK", 1)
    monkeypatch.setattr(module, "PAUSE_EVERY", 0.0)  # a slice is one job
    jobs, _, _ = scheduler()
    ran: list[float] = []
    for _ in range(1000):
        jobs.call_at(START + 10, ran.append)
    advance = asyncio.create_task(jobs.advance(20))
    while not ran:
        await asyncio.sleep(0)
    seen = len(ran)
    for _ in range(3):  # the request's three turns
        await asyncio.sleep(0)
    assert len(ran) - seen <= 1
    assert await advance == 1000


async def test_jobs_within_one_millisecond_run_in_time_order_each_at_its_own_exact_time() -> None:
    """The heap holds milliseconds; inside one, times added out of order still run in order, at their own time."""
    jobs, clock, ran = scheduler()

    def job(name: str) -> Callable[[float], None]:
        return lambda at: ran.append((name, round((clock.now() - START) * 1e6)))

    for name, micros in (("c", 1700), ("a", 1200), ("b1", 1500), ("d", 2100), ("b2", 1500), ("a0", 1000)):
        jobs.call_at(START + micros / 1e6, job(name))
    assert jobs.next_due() == START + 0.001
    assert await jobs.advance(0.0016) == 4  # the target falls inside the millisecond: only what is due runs
    assert ran == [("a0", 1000), ("a", 1200), ("b1", 1500), ("b2", 1500)]
    assert jobs.next_due() == START + 0.0017 and len(jobs) == 2
    assert await jobs.advance(1) == 2
    assert ran[4:] == [("c", 1700), ("d", 2100)]


async def test_catch_up_inside_a_millisecond_runs_only_what_is_due_and_later_jobs_keep_their_order() -> None:
    jobs, clock, _ = scheduler()
    ran: list[int] = []  # microseconds after START
    for micros in (300, 100, 700, 500):
        jobs.call_at(START + micros / 1e6, lambda at: ran.append(round((at - START) * 1e6)))
    clock.set(START + 0.0004)
    assert jobs.run_due_nowait() == 2 and ran == [100, 300]
    jobs.call_at(START + 0.0006, lambda at: ran.append(round((at - START) * 1e6)))  # between the two left
    clock.set(START + 0.001)
    assert jobs.run_due_nowait() == 3 and ran == [100, 300, 500, 600, 700] and len(jobs) == 0


async def test_a_job_adding_a_later_time_in_its_own_millisecond_runs_it_before_the_later_ones() -> None:
    jobs, clock, ran = scheduler()

    def chain(at: float) -> None:
        ran.append(("first", round((at - START) * 1e6)))
        jobs.call_at(at + 0.0002, lambda at2: ran.append(("added", round((at2 - START) * 1e6))))
        jobs.call_at(at - 0.0001, lambda at2: ran.append(("past", round((at2 - START) * 1e6))))

    jobs.call_at(START + 0.0001, chain)
    jobs.call_at(START + 0.0009, lambda at: ran.append(("last", round((at - START) * 1e6))))
    assert await jobs.advance(1) == 4
    # a time before the running one (never asked for in practice) runs next, at the time it was given
    assert ran == [("first", 100), ("past", 0), ("added", 300), ("last", 900)]


async def test_a_job_reading_inside_a_catch_up_does_not_run_the_jobs_around_it_again() -> None:
    jobs, clock, ran = scheduler()

    def reader(at: float) -> None:
        ran.append(("reader", jobs.run_due_nowait()))  # a job that reads, like a request would

    jobs.call_at(START + 1, reader)
    jobs.call_at(START + 1, lambda at: ran.append(("other", 0)))
    clock.set(START + 2)
    assert jobs.run_due_nowait() == 2
    assert ran == [("reader", 0), ("other", 0)]


async def test_a_step_that_never_falls_due_is_held_and_never_run() -> None:
    jobs, clock, ran = scheduler()
    jobs.call_at(float("inf"), lambda at: ran.append(("never", at)))
    jobs.call_at(START + 1, lambda at: ran.append(("due", at - START)))
    assert await jobs.advance(10**9) == 1 and ran == [("due", 1.0)]
    assert len(jobs) == 1 and jobs.next_due() == float("inf")


async def test_a_late_job_for_an_earlier_millisecond_runs_before_the_later_instants_of_the_running_one() -> None:
    jobs, clock, ran = scheduler()

    def first(at: float) -> None:
        ran.append(("first", us(at)))
        jobs.call_at(at - 0.0004, lambda at2: ran.append(("late", us(at2))))  # START+0.0008: the millisecond before

    jobs.call_at(START + 0.0012, first)
    jobs.call_at(START + 0.0015, lambda at: ran.append(("later", us(at))))
    assert await jobs.advance(1) == 3
    assert ran == [("first", 1200), ("late", 800), ("later", 1500)]


async def test_a_detached_attempt_that_finishes_late_is_not_held_behind_later_instants() -> None:
    """The realistic way to schedule in the past: a webhook attempt (Detached, or one that outlived its share of
    advance_wait) schedules its retry at `record.at + delay`, record.at being the clock when it started; the
    advance has moved on meanwhile."""
    jobs, clock, ran = scheduler()
    gate = asyncio.Event()

    async def attempt(at: float) -> None:
        await gate.wait()
        jobs.call_at(at + 0.0008, lambda at2: ran.append(("retry", us(at2))))  # START+0.0009: ms 0, before 1.2 ms

    def webhook(at: float) -> Detached:
        ran.append(("attempt", us(at)))
        return Detached(attempt(at))

    async def release(at: float) -> None:  # an async job at 1.2 ms: the advance waits for it (and the loop turns)
        ran.append(("release", us(at)))
        gate.set()
        await asyncio.sleep(0)

    jobs.call_at(START + 0.0001, webhook)
    jobs.call_at(START + 0.0012, release)
    jobs.call_at(START + 0.0015, lambda at: ran.append(("b", us(at))))  # same ms as "release", later instant
    jobs.call_at(START + 0.0018, lambda at: ran.append(("c", us(at))))
    await jobs.advance(1)
    # the retry (due at 0.9 ms, added while 1.2 ms waited) runs next, as before
    assert ran == [("attempt", 100), ("release", 1200), ("retry", 900), ("b", 1500), ("c", 1800)]



async def test_a_finite_far_time_is_not_held_behind_a_never_due_one() -> None:
    jobs, clock, ran = scheduler()
    jobs.call_at(float("inf"), lambda at: ran.append(("never", at)))
    jobs.call_at(START + 1e17, lambda at: ran.append(("far", at - START)))  # past a machine word of milliseconds
    assert jobs.next_due() == START + 1e17
    assert [when for when, _ in jobs.pending()] == [START + 1e17, float("inf")]
    assert await jobs.advance(1e18) == 1 and ran == [("far", 1e17)]


async def test_times_too_far_for_a_key_run_in_time_order() -> None:
    jobs, clock, ran = scheduler()
    jobs.call_at(1e306, lambda at: ran.append(("later", at)))  # when * 1000 overflows a float: the bucket of far times
    jobs.call_at(1e300, lambda at: ran.append(("earlier", at)))
    assert jobs.next_due() == 1e300
    assert await jobs.advance(1e307) == 2
    assert ran == [("earlier", 1e300), ("later", 1e306)]



@pytest.mark.parametrize("run", ["catch-up", "advance"])
async def test_a_reset_inside_a_job_does_not_run_the_later_instants_of_its_millisecond(run: str) -> None:
    jobs, clock, ran = scheduler()

    def reset(at: float) -> None:
        ran.append(("reset", us(at)))
        jobs.clear()

    jobs.call_at(START + 0.0001, reset)
    jobs.call_at(START + 0.0005, lambda at: ran.append(("cleared", us(at))))
    jobs.call_at(START + 0.0009, lambda at: ran.append(("cleared too", us(at))))
    if run == "advance":
        await jobs.advance(1)
    else:
        clock.set(START + 0.001)
        jobs.run_due_nowait()
    assert ran == [("reset", 100)] and len(jobs) == 0


async def test_lag_is_that_of_the_last_job_run() -> None:
    jobs, clock, ran = scheduler()
    jobs.call_at(START + 0.0001, lambda at: ran.append(("a", us(at))))
    jobs.call_at(START + 0.0009, lambda at: ran.append(("b", us(at))))
    clock.set(START + 0.001)
    assert jobs.run_due_nowait() == 2
    assert abs(jobs.lag_seconds - 0.0001) < 1e-6
