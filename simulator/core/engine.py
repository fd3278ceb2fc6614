"""The core's single entry point: accept messages, walk their plans on the clock, emit events.

Faces call `accept`, `retry` and read the store; the admin surface calls `force`, `reset` and
`scheduler.advance`. Every status change goes through `_record`, which publishes one event.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from simulator.clock import Clock, wall_time
from simulator.core import gcpolicy
from simulator.core.events import EventBus, StatusEvent
from simulator.core.flows import Flows
from simulator.core.ids import IdFactory
from simulator.core.models import NO_FACTS, Attempt, ErrorInfo, Facts, Message, Plan
from simulator.core.planner import Planner
from simulator.core.ratelimit import RateLimiter
from simulator.core.scheduler import Scheduler
from simulator.core.store import Store
from simulator.core.trace import note_created, note_read

ResetHook = Callable[[str | None], None]


class Engine:
    def __init__(self, clock: Clock, planner: Planner, flows: Flows, seed: int | None = None) -> None:
        self.clock = clock
        self.planner = planner  # chooses each message's plan (scenarios.ScenarioPlanner)
        self.flows = flows      # "face.channel" -> Flow: the initial statuses recorded at acceptance
        self.seed = seed
        self.scheduler = Scheduler(clock)
        self.store = Store()
        self.events = EventBus()
        self.ids = IdFactory(seed)
        self.limiter = RateLimiter(clock)
        self.wall: Callable[[], float] = wall_time  # the journal's wall time (a replica: its stream entry's)
        self._reset_hooks: list[ResetHook] = []

    # -- messages -------------------------------------------------------------------------------

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str = "") -> Plan:
        """The planner's plan for one send (scenarios: drawn from its seeded weights, sequences, windows)."""
        return self.planner.plan(face, channel, tenant, recipient, content)

    def accept(self, *, face: str, channel: str, tenant: str, recipient: str, payload: Mapping[str, Any],
               content: str = "", message_id: str | None = None, batch_id: str | None = None,
               plan: Plan | None = None, facts: Facts | None = None) -> Message:
        """Store a new message, record its initial status(es) and start its plan. `facts` is what webhooks and
        the journal may read about it (None: nothing beyond the message itself)."""
        now = self.clock.now()
        recipient = sys.intern(recipient)  # load tests send to a few numbers again and again (the index's key too)
        if plan is None:
            plan = self.plan(face, channel, tenant, recipient, content)
        attempt = Attempt(id=self.ids.uuid(), number=1, created_at=now, plan=plan)
        message = Message(
            id=message_id or self.ids.uuid(), face=face, channel=channel, tenant=tenant,
            recipient=recipient, created_at=now, payload=payload, attempts=(attempt,), batch_id=batch_id,
            facts=NO_FACTS if facts is None else facts,
        )
        self.store.add(message)
        note_created(message.id, tenant, recipient, content)
        self._begin(message, attempt, now)
        return message

    def retry(self, message: Message, plan: Plan | None = None, content: str = "") -> Attempt:
        """Start a new attempt with a fresh plan; the message keeps its id and its history."""
        now = self.clock.now()
        if plan is None:
            plan = self.plan(message.face, message.channel, message.tenant, message.recipient, content)
        message.attempt.halted = True
        attempt = Attempt(id=self.ids.uuid(), number=len(message.attempts) + 1, created_at=now, plan=plan)
        message.attempts = (*message.attempts, attempt)
        note_read(message.id)
        self._begin(message, attempt, now)
        return attempt

    def force(self, message: Message, status: str, error: ErrorInfo | None = None) -> None:
        """Set a status by hand: the rest of the plan is dropped and the change is marked forced."""
        attempt = message.attempt
        attempt.halted = True
        now = self.clock.now()
        self._record(message, attempt, status, now, forced=True, error=error)
        self.store.settled(message, now)

    def _begin(self, message: Message, attempt: Attempt, now: float) -> None:
        for status in self.flows[message.flow].initial:
            self._record(message, attempt, status, now)
        self._continue(message, attempt, now)

    def _continue(self, message: Message, attempt: Attempt, at: float) -> None:
        """Apply every step due at `at`; schedule the next one that lies in the future."""
        steps = attempt.plan.steps
        while attempt.next_step < len(steps):
            step = steps[attempt.next_step]
            if step.after > 0:
                self.scheduler.call_at(at + step.after, _Due(self, message, attempt, attempt.next_step))
                return
            attempt.next_step += 1
            self._record(message, attempt, step.status, at, error=step.error)
        if not message.removed:
            self.store.settled(message, at)

    def _record(self, message: Message, attempt: Attempt, status: str, at: float,
                forced: bool = False, error: ErrorInfo | None = None) -> None:
        previous = attempt.changes[-1][0] if attempt.changes else None
        attempt.record(status, at, forced, error)
        self.store.status_changed(message, previous, status)
        events = self.events
        events.publish(StatusEvent(events.next_seq(), message, attempt.number, status, previous, at, forced, error))

    def resume(self) -> int:
        """After a snapshot is restored: schedule each held message's next due step again, from its own
        attempt (the step after its latest recorded change), as `_continue` scheduled it. Returns how many."""
        pending = 0
        for message in self.store.all():
            attempt = message.attempt
            if attempt.halted or attempt.next_step >= len(attempt.plan.steps):
                continue
            step = attempt.plan.steps[attempt.next_step]
            self.scheduler.call_at(attempt.updated_at + step.after, _Due(self, message, attempt, attempt.next_step))
            pending += 1
        return pending

    def catch_up(self) -> None:
        """Apply transitions already due (real clock) before a read, so reads are never stale."""
        self.scheduler.run_due_nowait()
        self.store.prune(self.clock.now())  # retention on the simulated clock, even when nothing settles

    # -- state ----------------------------------------------------------------------------------

    def on_reset(self, hook: ResetHook) -> None:
        """Faces and subscribers register here to forget their own state on reset."""
        self._reset_hooks.append(hook)

    def reset(self, tenant: str | None = None) -> int:
        """Forget everything (ids restart from the seed), or one tenant's messages only."""
        if tenant is None:
            removed = self.store.clear()
            self.scheduler.clear()
            self.limiter.clear()
            self.ids = IdFactory(self.seed)
        else:
            removed = self.store.remove_tenant(tenant)
        self.planner.reset(tenant)
        for hook in self._reset_hooks:
            hook(tenant)
        if tenant is None:
            gcpolicy.release()  # the store is empty now: unfreezing and collecting once is cheap
        return removed


class _Due:
    """The scheduler's job for an attempt's next step (step `index`, due at `when`). A slots object rather than a
    functools.partial: one is pending per message in flight, and it is half the size. It runs the step itself,
    and schedules itself again for the next one: one call and one object less per transition, and a million of
    them run in one advance."""

    __slots__ = ("attempt", "engine", "index", "message")

    def __init__(self, engine: Engine, message: Message, attempt: Attempt, index: int) -> None:
        self.engine, self.message, self.attempt, self.index = engine, message, attempt, index

    def __call__(self, when: float) -> None:
        message, attempt, index = self.message, self.attempt, self.index
        if message.removed or attempt.halted or attempt.next_step != index:
            return
        steps = attempt.plan.steps
        step = steps[index]
        index += 1
        attempt.next_step = index
        engine = self.engine
        engine._record(message, attempt, step.status, when, error=step.error)
        if index < len(steps) and (after := steps[index].after) > 0:  # the common case: this job, once more
            self.index = index
            engine.scheduler.call_at(when + after, self)
            return
        engine._continue(message, attempt, when)
