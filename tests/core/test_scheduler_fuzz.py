"""Scheduler against a reference model: every pending job as (when, seq), the next to run always the smallest.

Random sequences of call_at / advance / run_due_nowait / clear / replace(pending()) on the ManualClock, with
jobs that schedule further jobs (at their own time, within their millisecond, in the next ones, further on),
async jobs (awaitables and Detached) that schedule once they resume, jobs that raise, and, in half the
seeds, an advance that pauses after every job while another coroutine adds jobs, reads, clears and replaces.

Invariants checked at every job run: the job is pending (never run twice, never run after a clear), it is
the smallest (when, seq) pending (time order, ties in the order added), it is due (not after the target or
now), it gets its own `when`, and the clock reads max(clock before, when) during an advance (unchanged in a
catch-up); no async job of an earlier instant is still running when a later instant starts (budget = inf).
After each operation (and at each pause): len(), next_due() and pending() agree with the model, and nothing
due is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.core import scheduler as module
from simulator.core.scheduler import Detached, Scheduler
from tests.core.conftest import START

# Offsets (seconds) chosen to land on equal times, inside one millisecond, on its edges and beyond.
OFFSETS = (0.0, 0.0, 0.0001, 0.0003, 0.0005, 0.0009, 0.00099, 0.001, 0.0011, 0.0015, 0.002, 0.0025, 0.01, 0.5, 1.0)


class Model:
    def __init__(self, clock: ManualClock, jobs: Scheduler, rng: random.Random) -> None:
        self.clock, self.jobs, self.rng = clock, jobs, rng
        self.pending: dict[int, tuple[float, int]] = {}  # seq -> (when, seq)
        self.seq = 0
        self.mode = "idle"  # "advance" | "catchup" | "idle"
        self.limit = 0.0  # the target of the advance, or now for a catch-up
        self.model_clock = clock.now()
        self.waited: list[tuple[float, asyncio.Future[Any]]] = []  # (instant, task) of awaitable jobs in an advance
        self.log: list[tuple[str, Any]] = []
        self.errors: list[str] = []

    def offset(self) -> float:
        if self.rng.random() < 0.2:
            return self.rng.uniform(0, 0.003)
        return self.rng.choice(OFFSETS)

    def add(self, when: float) -> None:
        self.seq += 1
        seq = self.seq
        self.pending[seq] = (when, seq)
        kind = self.rng.choices(("sync", "children", "async", "detached", "raise"), (45, 30, 10, 8, 2))[0]
        self.jobs.call_at(when, Job(self, seq, when, kind))
        self.log.append(("add", (seq, when - START, kind)))

    def fail(self, message: str) -> None:
        self.errors.append(message)
        raise AssertionError(message)

    def check_state(self, where: str) -> None:
        expected = sorted(self.pending.values())
        if len(self.jobs) != len(expected):
            self.fail(f"{where}: len() {len(self.jobs)} != {len(expected)}")
        due = self.jobs.next_due()
        want = expected[0][0] if expected else None
        if due != want:
            self.fail(f"{where}: next_due() {due!r} != {want!r}")
        listed = [(when, job.seq) for when, job in self.jobs.pending() if isinstance(job, Job)]
        if listed != expected:
            self.fail(f"{where}: pending() {listed} != model {expected}")
        if len(listed) != len(self.jobs):
            self.fail(f"{where}: pending() holds jobs the model did not add")


class Job:
    def __init__(self, model: Model, seq: int, when: float, kind: str) -> None:
        self.model, self.seq, self.when, self.kind = model, seq, when, kind

    def __repr__(self) -> str:
        return f"Job({self.seq}, {self.when - START:.6f}, {self.kind})"

    def __call__(self, at: float) -> Any:
        m = self.model
        m.log.append(("run", (self.seq, at - START)))
        if self.seq not in m.pending:
            m.fail(f"{self!r} ran but is not pending (ran twice, or after a clear)")
        if at != self.when:
            m.fail(f"{self!r} got when={at!r}")
        smallest = min(m.pending.values())
        if smallest != (self.when, self.seq):
            m.fail(f"{self!r} ran before {smallest} (out of order)")
        if not self.when <= m.limit:
            m.fail(f"{self!r} ran before it was due (limit {m.limit - START})")
        if m.mode == "advance":
            expected_clock = max(m.model_clock, self.when)
            if m.clock.now() != expected_clock:
                m.fail(f"{self!r}: clock {m.clock.now() - START} != {expected_clock - START}")
            m.model_clock = expected_clock
            late = [inst for inst, task in m.waited if inst < self.when and not task.done()]
            if late:
                m.fail(f"{self!r} ran while async jobs of instant {late[0] - START} still run")
        elif m.clock.now() != m.model_clock:
            m.fail(f"{self!r}: catch-up moved the clock")
        del m.pending[self.seq]
        kind = self.kind
        if kind == "raise":
            raise RuntimeError(f"job {self.seq} failed")
        if kind == "children":
            for _ in range(m.rng.choice((1, 1, 2, 3))):
                m.add(at + m.offset())
            return None
        if kind in ("async", "detached"):
            offsets = [m.offset() for _ in range(m.rng.choice((0, 1, 2)))]
            turns = m.rng.choice((0, 1, 3))

            async def work() -> None:
                for _ in range(turns):
                    await asyncio.sleep(0)
                for off in offsets:  # never before the instant being run (the clock is at least there)
                    m.add(max(at + off, m.clock.now()))

            coro = work()
            if kind == "detached":
                return Detached(coro)
            if m.mode == "advance":
                fut = asyncio.ensure_future(coro)
                m.waited.append((at, fut))
                return fut
            return coro
        return None


async def intruder(model: Model, stop: asyncio.Event, rng: random.Random) -> None:
    """Another request during an advance's pauses: reads, adds jobs at or after now, sometimes resets."""
    while not stop.is_set():
        await asyncio.sleep(0)
        if stop.is_set() or model.errors:
            return
        model.check_state("during a pause")
        roll = rng.random()
        if roll < 0.25:
            model.add(model.clock.now() + model.offset())
        elif roll < 0.27:
            model.jobs.replace(model.jobs.pending())  # a replica restoring its own checkpoint
        elif roll < 0.28:
            model.jobs.clear()
            model.pending.clear()
            model.log.append(("clear in pause", None))
        elif roll < 0.30 and model.jobs.run_due_nowait() != 0:
            model.fail("run_due_nowait ran jobs during an advance")


async def run_seed(seed: int, pausing: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    if pausing:
        monkeypatch.setattr(module, "PAUSE_CHECK", 1)
        monkeypatch.setattr(module, "PAUSE_EVERY", 0.0)
    clock = ManualClock(start=START)
    jobs = Scheduler(clock)
    model = Model(clock, jobs, rng)
    try:
        for _ in range(rng.randint(1, 6)):
            model.add(clock.now() + model.offset())
        for _ in range(60):
            op = rng.choices(("add", "advance", "catchup", "clear", "replace"), (40, 35, 20, 1, 4))[0]
            if op == "add":
                for _ in range(rng.randint(1, 4)):
                    base = clock.now() + (rng.choice((0.0, 0.0, 0.001, 0.0005)) if rng.random() < 0.5 else 0.0)
                    model.add(base + model.offset())
            elif op == "advance":
                seconds = rng.choice((0.0, 0.0001, 0.0004, 0.0007, 0.001, 0.0012, 0.002, 0.003, 0.01, 1.0))
                if rng.random() < 0.3:
                    seconds = rng.uniform(0, 0.004)
                model.mode, model.limit = "advance", clock.now() + seconds
                model.waited = []
                stop = asyncio.Event()
                side = asyncio.ensure_future(intruder(model, stop, rng)) if pausing else None
                failed = False
                try:
                    await jobs.advance(seconds)
                    added_by_then = model.seq  # what others add after it answered is not its to run
                except RuntimeError as exc:
                    if "failed" not in str(exc):
                        raise
                    failed = True
                    stop.set()  # the advance is over: what runs now is not inside it
                    await asyncio.gather(*(t for _, t in model.waited), return_exceptions=True)
                finally:
                    stop.set()
                    if side is not None:
                        await side
                if model.errors:
                    raise AssertionError(model.errors[0])
                model.mode = "idle"
                if not failed:
                    model.model_clock = max(model.model_clock, model.limit)
                    assert clock.now() == model.model_clock
                    left = [p for p in model.pending.values() if p[0] <= model.limit and p[1] <= added_by_then]
                    assert not left, f"due jobs left after advance to {model.limit - START}: {left}"
                model.model_clock = clock.now()
            elif op == "catchup":
                clock.set(clock.now() + rng.choice((0.0, 0.0001, 0.0005, 0.001, 0.0013, 0.002)))
                model.model_clock = clock.now()
                model.mode, model.limit = "catchup", clock.now()
                try:
                    jobs.run_due_nowait()
                    failed = False
                except RuntimeError as exc:
                    if "failed" not in str(exc):
                        raise
                    failed = True
                model.mode = "idle"
                if not failed:
                    left = [p for p in model.pending.values() if p[0] <= model.limit]
                    assert not left, f"due jobs left after catch-up at {model.limit - START}: {left}"
                for _ in range(rng.choice((0, 1, 3))):  # let spawned async jobs go on (they may add)
                    await asyncio.sleep(0)
            elif op == "clear":
                jobs.clear()
                model.pending.clear()
            elif op == "replace":
                listed = jobs.pending()
                if rng.random() < 0.5:  # given out of time order; equal times keep their order (replace's contract)
                    groups: dict[float, list[float]] = {}
                    for when, _ in listed:
                        groups.setdefault(when, []).append(rng.random())
                    for keys in groups.values():
                        keys.sort(reverse=True)
                    listed = [item for _, item in sorted(((groups[w].pop(), (w, j)) for w, j in listed),
                                                         key=lambda pair: pair[0])]
                jobs.replace(listed)
            model.check_state(f"after {op}")
            assert not model.errors, model.errors[0]
        # drain
        model.mode, model.limit = "advance", clock.now() + 10.0
        model.waited = []
        with contextlib.suppress(RuntimeError):  # a job that raises
            await jobs.advance(10.0)
        model.mode = "idle"
        await jobs.close()
    except AssertionError as exc:
        tail = "\n".join(f"  {kind}: {detail}" for kind, detail in model.log[-25:])
        raise AssertionError(f"seed {seed} pausing={pausing}: {exc}\nlast events:\n{tail}") from None


@pytest.mark.parametrize("pausing", [False, True], ids=["no-pause", "pause-every-job"])
@pytest.mark.parametrize("seed", range(150))
async def test_scheduler_matches_the_reference_model(seed: int, pausing: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    await run_seed(seed, pausing, monkeypatch)
