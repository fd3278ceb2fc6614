"""Due work on the Clock: a heap of the milliseconds that have work due, each millisecond holding its jobs in
time order (equal times in the order they were added), every job keeping its exact due time.

Messages sent at one simulated instant (a test's sends on the manual clock) fall due together, so their
millisecond is pushed and popped once for all of them: a million-message advance pops a few heap entries
instead of a million. On the real clock under load every message's next step falls due at its own instant;
a millisecond gathers the ~20 of them that fall in it, so a step costs an append to a short list instead of
a push and a pop on a heap of ~20,000 distinct times (and a list and a dict entry of its own).

`advance()` (manual time) runs every entry that falls due, in time order, with the clock placed
at each entry's due time, before it returns; async entries due at the same instant run together. A long
advance pauses every PAUSE_EVERY of real time to let other requests in.

Async entries (webhook deliveries) talk to real receivers, so an advance bounds its real-time wait for
them by `wait_budget` (webhooks.advance_wait): at each instant it waits until that instant's entries are
done or half the budget left is spent, so one receiver that never answers cannot use up the time the
deliveries of later instants need; whatever is still running then carries on in the background (an entry
returned as `Detached` is never waited for at its instant). After the last instant the advance waits what
is left of the budget for those, running what they schedule up to the target, and then answers.
With a real clock `run_forever()` sleeps until the next due time; it also runs entries already due
on a manual clock (work scheduled "now").
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from simulator.clock import Clock, ManualClock, monotonic


@dataclass(frozen=True, slots=True)
class Detached:
    """What a job returns for work that must run now but must not hold the clock (a webhook attempt for a
    subscription whose earlier attempt is still hanging)."""

    work: Awaitable[None]


Job = Callable[[float], Awaitable[None] | Detached | None]
# A long advance (a million transitions) hands the loop back this often (real seconds), so no other request
# waits behind it for long (DESIGN B5). Jobs still run in time order; the clock stays at the current instant.
PAUSE_EVERY = 0.01
PAUSE_CHECK = 256  # jobs between two looks at the time
# Turns of the loop each pause hands over. A short request needs a few (its bytes read, its handler, its answer
# written); with one turn a pause it waited a whole slice of jobs per turn: 23-33 ms for /_sim/health during
# an advance over 200,000 messages, against 0.7 ms (p50) and 11.5 ms (max) with four. Idle turns cost microseconds.
PAUSE_TURNS = 4
REAL_GAP = 0.001  # real seconds between two background runs on the real clock (see run_forever)


async def hand_over(turns: int = PAUSE_TURNS) -> None:
    """Let the loop run `turns` turns of other work: the pause of every long loop (advance, batch, snapshot)."""
    for _ in range(turns):
        await asyncio.sleep(0)


BUCKETS_A_SECOND = 1000  # the heap holds milliseconds with work due, not every distinct due time
_FAR = math.inf  # the bucket of times too far for a whole number of milliseconds (inf, or over ~1.8e305 s)


class _Bucket:
    """One millisecond's due work in time order: the due times and their jobs side by side, equal times in the
    order added (two lists, not a tuple a job: a million jobs at one instant share one float)."""

    __slots__ = ("jobs", "whens")

    def __init__(self, when: float, job: Job) -> None:
        self.whens = [when]
        self.jobs = [job]


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._keys: list[float] = []  # heap of the milliseconds that have work due (each once; whole numbers or _FAR)
        self._buckets: dict[float, _Bucket] = {}
        self._running: _Bucket | None = None  # the bucket a run is going through, and
        self._cursor = 0  # in it, the index of the next job to run (the ones before it ran)
        self._tail: _Bucket | None = None  # the bucket the last job was appended to, while it is held
        self._pending = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self.lag_seconds = 0.0  # how late the last job ran, in simulated seconds
        self.wait_budget = math.inf  # real seconds an advance may wait for async jobs (webhooks.advance_wait)

    def __len__(self) -> int:
        return self._pending

    def call_at(self, when: float, job: Job) -> None:
        """Run `job(when)` once simulated time reaches `when` (after the jobs added before it for that time)."""
        self._pending += 1
        bucket = self._tail
        if bucket is not None and (whens := bucket.whens)[-1] == when:  # the time of the call before: its bucket
            whens.append(whens[-1])
            bucket.jobs.append(job)
            return
        try:
            key: float = int(when * BUCKETS_A_SECOND)
        except (OverflowError, ValueError):  # too far to count in milliseconds: after every other time
            key = _FAR
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = self._tail = _Bucket(when, job)
            keys = self._keys
            first = not keys or key < keys[0]
            heapq.heappush(keys, key)
            if first:
                self._wake.set()
            return
        whens = bucket.whens
        last = whens[-1]
        if when >= last:  # the usual case: at or after the bucket's latest time
            whens.append(last if when == last else when)
            bucket.jobs.append(job)
            self._tail = bucket
            return
        cursor = self._cursor if bucket is self._running else 0
        if cursor:  # among the jobs not yet run; a time before the running one goes after that instant's jobs
            at = bisect.bisect_right(whens, max(when, whens[cursor - 1]), cursor)
        else:
            at = bisect.bisect_right(whens, when)
        whens.insert(at, when)
        bucket.jobs.insert(at, job)
        if at == 0 and self._keys[0] == key:
            self._wake.set()

    def next_due(self) -> float | None:
        if not self._keys:
            return None
        return self._buckets[self._keys[0]].whens[0]  # (inside a job: a time at or before the running one)

    def clear(self) -> None:
        running = self._running
        if running is not None:  # a job resets: the run it is part of stops after it, having nothing left
            del running.whens[:], running.jobs[:]
        self._tail = None
        self._keys.clear()
        self._buckets.clear()
        self._pending = 0

    def _ran(self, key: float, bucket: _Bucket, index: int) -> None:
        """The first `index` of the bucket's jobs ran: forget them, and the bucket once none is left (an
        exception or a cancelled advance stops part-way; a reset may have emptied the schedule meanwhile)."""
        if self._running is bucket:
            self._running = None
        if self._buckets.get(key) is not bucket:
            return
        if index < len(bucket.jobs):
            del bucket.whens[:index]
            del bucket.jobs[:index]
            return
        del self._buckets[key]
        if self._tail is bucket:
            self._tail = None
        keys = self._keys
        if keys[0] == key:
            heapq.heappop(keys)
        else:  # a job or a request during a pause added an earlier millisecond meanwhile (rare)
            keys.remove(key)
            heapq.heapify(keys)

    def _start(self, limit: float) -> tuple[float, _Bucket] | None:
        """The first millisecond, made the running one, if its first job is due by `limit`."""
        if not self._keys:
            return None
        key = self._keys[0]
        bucket = self._buckets[key]
        if not bucket.whens[0] <= limit:
            return None
        self._running, self._cursor = bucket, 0
        return key, bucket

    def _forget_run(self, key: float, bucket: _Bucket, index: int) -> None:
        """Drop the jobs of the running bucket that have run, before the run lets go of the loop: a pause's
        worth freed at a time, and `pending()` and `next_due()` see only what has not run. A bucket that has
        all run goes (the run sees it gone, as after a reset, and goes on to the next)."""
        if index >= len(bucket.jobs):
            self._ran(key, bucket, index)
            return
        del bucket.whens[:index]
        del bucket.jobs[:index]
        self._cursor = 0

    def pending(self) -> list[tuple[float, Job]]:
        """Every job not yet run, in the order they will run (a replica's checkpoint keeps that order: equal
        times run in the order they were scheduled, which a restore could not otherwise rebuild)."""
        ordered = [self._buckets[key] for key in sorted(self._keys)]
        return [item for bucket in ordered for item in zip(bucket.whens, bucket.jobs, strict=True)]

    def replace(self, jobs: Iterable[tuple[float, Job]]) -> None:
        """Hold exactly `jobs`, equal times to run in the order given."""
        self.clear()
        for when, job in jobs:
            self.call_at(when, job)

    def clock_changed(self) -> None:
        """Tell the background loop that time jumped or changed speed."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """Async jobs the clock started (in this advance or before) that are still running."""
        return sum(1 for task in self._background if not task.done())

    async def advance(self, seconds: float) -> int:
        """Move time forward by `seconds`, running every due job in order. Returns the count run."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        async with self._lock:
            deadline = monotonic() + self.wait_budget
            target = self.clock.now() + seconds
            started: list[asyncio.Task[None]] = []  # this advance's async jobs
            ran = await self._run_until(target, deadline, started)
            while (running := [t for t in started if not t.done()]) and monotonic() < deadline:
                # What was set aside may still finish within the budget; what it schedules up to the target runs.
                await asyncio.wait(running, timeout=deadline - monotonic(), return_when=asyncio.FIRST_COMPLETED)
                ran += await self._run_until(target, deadline, started)
            self._move_to(target)
        self._wake.set()
        return ran

    async def _run_until(self, target: float, deadline: float, started: list[asyncio.Task[None]]) -> int:
        ran = 0
        last_pause = monotonic()
        keys, buckets = self._keys, self._buckets
        while (head := self._start(target)) is not None:
            key, bucket = head
            whens, jobs = bucket.whens, bucket.jobs
            instant: float | None = None  # the due time whose jobs are running
            waiting: list[asyncio.Task[None]] = []  # async jobs due at the same instant run together
            index = 0
            try:
                while index < len(jobs):  # jobs a job adds for this same instant run in this pass too
                    when = whens[index]
                    if when != instant:
                        if not when <= target:  # the rest of this millisecond is after the target
                            break
                        if keys[0] != key:  # a job added an earlier millisecond (a time now past): it runs first
                            break
                        if waiting:  # the instant before had async jobs: wait for them before time moves
                            self._forget_run(key, bucket, index)
                            index = 0
                            await self._wait(waiting, deadline)
                            waiting = []
                            if buckets.get(key) is not bucket:  # a reset emptied the schedule meanwhile
                                break
                            continue
                        self._move_to(when)
                        instant = when
                    job = jobs[index]
                    index += 1
                    self._cursor = index
                    self._pending -= 1
                    ran += 1
                    result = job(when)
                    if result is not None:  # most jobs return None
                        detached = isinstance(result, Detached)
                        task = self._spawn(result.work if isinstance(result, Detached) else result)
                        started.append(task)
                        if not detached:
                            waiting.append(task)
                    if not ran % PAUSE_CHECK and monotonic() - last_pause >= PAUSE_EVERY:
                        # Let other requests in; the clock stays at `when` and reads skip catch-up meanwhile.
                        # The jobs run so far leave the bucket first: freed a pause's worth at a time, not a
                        # million at the end of the instant (a 130-250 ms stall when a million messages' last
                        # steps fell due at once).
                        self._forget_run(key, bucket, index)
                        index = 0
                        await self._wait(waiting, deadline)
                        waiting = []
                        await hand_over()
                        last_pause = monotonic()
                        if buckets.get(key) is not bucket:  # all of it ran, or a reset emptied the schedule
                            break
            finally:
                self._ran(key, bucket, index)
            await self._wait(waiting, deadline)
        return ran

    @staticmethod
    async def _wait(tasks: list[asyncio.Task[None]], deadline: float) -> None:
        """Wait for one instant's async jobs: until they are done, or half the budget left is spent (the rest
        is for later instants); jobs still running carry on in the background."""
        if not tasks:
            return
        patience = (deadline - monotonic()) / 2
        await asyncio.wait(tasks, timeout=None if math.isinf(patience) else max(patience, 0.0))

    async def run_due(self) -> int:
        """Run every job already due now (a cheap no-op when none is)."""
        due = self.next_due()
        if due is None or due > self.clock.now():
            return 0
        async with self._lock:
            return self._run_due_now()

    def run_due_nowait(self) -> int:
        """Synchronous catch-up for readers; skipped while an advance is stepping through time, and inside a
        job (a job that reads must not run the jobs around it again)."""
        keys = self._keys
        if not keys or self._running is not None or self._lock.locked():
            return 0
        if self._buckets[keys[0]].whens[0] > self.clock.now():
            return 0
        return self._run_due_now()

    def _run_due_now(self) -> int:
        ran = 0
        now = self.clock.now()
        keys = self._keys
        while (head := self._start(now)) is not None:
            key, bucket = head
            whens, jobs = bucket.whens, bucket.jobs
            instant: float | None = None
            index = 0
            try:
                while index < len(jobs):
                    when = whens[index]
                    if when != instant:
                        if not when <= now:  # the rest of this millisecond is still to come
                            break
                        if keys[0] != key:  # a job added an earlier millisecond (a time now past): it runs first
                            break
                        instant = when
                    job = jobs[index]
                    index += 1
                    self._cursor = index
                    self._pending -= 1
                    ran += 1
                    result = job(when)
                    if result is not None:  # most jobs return None
                        self._spawn(result.work if isinstance(result, Detached) else result)
            finally:
                if 0 < index <= len(whens):  # (a job that resets empties the bucket)
                    self.lag_seconds = now - whens[index - 1]
                self._ran(key, bucket, index)
        return ran

    def _spawn(self, awaitable: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _move_to(self, when: float) -> None:
        clock = self.clock
        if isinstance(clock, ManualClock):
            if when > clock.now():
                clock.set(when)
        elif when > clock.now():
            clock.jump(when - clock.now())

    async def run_forever(self) -> None:
        """Background loop: sleep until the next due job, run what is due, repeat. A timer wakes it (not
        asyncio.wait_for, which makes a task per wait); on the real clock, after a run it lets REAL_GAP pass
        before the next, so under load one wake runs the jobs of a millisecond, not one each. Requests never
        see the gap: each runs what is due before it reads (`run_due_nowait`), and a job's time is its due
        time, whenever it runs."""
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            due = self.next_due()
            delay = float("inf") if due is None else self.clock.real_seconds_until(due)
            if delay > 0:
                timer = loop.call_later(min(delay, 3600.0), self._wake.set)
                try:
                    await self._wake.wait()
                finally:
                    timer.cancel()
                continue
            if await self.run_due() and self.clock.kind == "real":
                await asyncio.sleep(REAL_GAP)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
