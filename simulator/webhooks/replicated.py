"""The dispatcher of a replica on Redis: every replica keeps the same events, one replica sends them.

Replicas apply one stream of requests in the same order (simulator.replicas), so each one's scheduler fires
the same due jobs at the same points. Here a due job only notes the attempt as due. The replica holding the
lease sends what is due (`send_forever`) and appends each outcome to the stream; every replica settles the
outcome in stream order through the dispatcher's own `_settle`, so delivery logs, retries and dead letters
agree everywhere. A replica that takes the lease over sends whatever is still due: the same event id and
body again (at least once; never twice without a crash).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
import random
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from simulator.core.scheduler import Job
from simulator.webhooks.dispatcher import Conflict, Dispatcher
from simulator.webhooks.records import AttemptRecord

log = logging.getLogger("postman_sim.webhooks")

Publish = Callable[[dict[str, Any]], Awaitable[None]]
Ready = Callable[[], Awaitable[bool]]
SEND_POLL = 0.1  # real seconds between two looks at the due attempts when nothing wakes the sender
OUTCOME_WITHIN = 50.0  # real seconds a manual attempt's request waits for its outcome (below the front's WAIT)
# Set by the replica while it applies an entry: called, it lets the replica apply the next entries while this
# request's handler waits on (an outcome entry further down the stream; see `redeliver`).
RELEASE: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("release_apply", default=None)


class ReplicatedDispatcher(Dispatcher):
    """`Dispatcher` with the sending taken off the apply path (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.due: OrderedDict[str, tuple[str, str, float]] = OrderedDict()  # key -> (event id, trigger, due at)
        self._sending: dict[str, str] = {}  # key -> subscription id, on the lease holder
        self._tasks: set[asyncio.Task[None]] = set()
        self._due_added = asyncio.Event()
        self._local = random.SystemRandom()  # the handshake's challenge: drawn on one replica only
        self.manual_seq = 0  # manual attempts asked for so far (in stream order: the same on every replica)
        self._manual: dict[str, asyncio.Future[AttemptRecord | None]] = {}  # key -> its outcome, awaited here

    # -- every replica, in stream order ---------------------------------------------------------

    def _job(self, event_id: str, trigger: str, when: float) -> Awaitable[None] | None:
        if self._ready(event_id, trigger) is not None:
            self.due[f"{trigger} {event_id}"] = (event_id, trigger, when)
            self._due_added.set()
        return None

    def job(self, event_id: str, trigger: str) -> Job:
        """The scheduler's job for one attempt (a checkpoint's restore makes again those no event records)."""
        return partial(self._job, event_id, trigger)

    def apply_outcome(self, outcome: dict[str, Any]) -> None:
        """Settle one attempt the lease holder made (an outcome entry of the stream)."""
        key = str(outcome.get("key"))
        self._sending.pop(key, None)
        due = self.due.pop(key, None)
        fields = outcome.get("record")
        waiting = self._manual.pop(key, None)
        settled = self._apply_record(key, due, fields, outcome.get("retry_after"))
        if waiting is not None and not waiting.done():
            waiting.set_result(settled)

    def _apply_record(self, key: str, due: tuple[str, str, float] | None, fields: Any,
                      retry_after: Any) -> AttemptRecord | None:
        if due is None or not isinstance(fields, dict):
            return None  # settled already (an old holder's late copy) or nothing was sent
        event_id, trigger, _ = due
        event = self._events.get(event_id)
        sub = self._subs.get(event.subscription_id) if event is not None else None
        lane = self._lanes.get(sub.id) if sub is not None else None
        if event is None or sub is None or lane is None or lane.closed or event.lane is not lane \
                or (trigger == "auto" and event.state != "pending"):
            return None
        record = AttemptRecord(**fields)
        if record.verification and record.verification.get("ok"):
            sub.verified = True
        self._settle(sub, event, record, retry_after)
        return record

    # -- the lease holder ------------------------------------------------------------------------

    async def send_forever(self, ready: Ready, publish: Publish) -> None:
        """Send each due attempt once while `ready()` (this replica holds the lease and has applied the stream
        so far), within max_in_flight and subscription_in_flight; `publish` appends the outcome."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SEND_POLL):  # not wait_for: on 3.11 it can swallow a cancel
                    await self._due_added.wait()
            self._due_added.clear()
            if not self.due or not await ready():
                continue
            per_sub = Counter(self._sending.values())
            for key, (event_id, trigger, when) in list(self.due.items()):
                if len(self._sending) >= self.max_in_flight:
                    break
                event = self._events.get(event_id)
                sub_id = event.subscription_id if event is not None else ""
                if key in self._sending or per_sub[sub_id] >= self.subscription_in_flight:
                    continue
                self._sending[key] = sub_id
                per_sub[sub_id] += 1
                task = asyncio.create_task(self._send_one(key, event_id, trigger, when, publish))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _send_one(self, key: str, event_id: str, trigger: str, when: float, publish: Publish) -> None:
        try:
            event = self._events.get(event_id)
            sub = self._subs.get(event.subscription_id) if event is not None else None
            outcome: dict[str, Any] = {"key": key}
            if event is not None and sub is not None and sub.enabled:
                record, retry_after = await self._send(sub, event, trigger, when)
                outcome.update(record=dataclasses.asdict(record), retry_after=retry_after)
            await publish(outcome)
        except Exception:  # Redis away, a bug: try again on the next look
            self._sending.pop(key, None)
            if not self._closed:
                log.exception("webhook attempt for event %s not recorded; it stays due", event_id)

    def _challenge(self) -> str:
        return str(self._local.randrange(10**9, 10**10))

    # -- manual attempts ----------------------------------------------------------------------------

    async def redeliver(self, event_id: str) -> AttemptRecord:
        """One manual attempt with the same id and body, answered with its outcome as in memory: every replica
        notes it due as it applies the request, the lease holder sends it and appends the outcome, and each
        replica's request waits for that outcome (letting the replica apply the entries meanwhile, the
        outcome's among them). Replay of dead letters runs through here too (Dispatcher.replay_dead)."""
        event, _ = self.manual_target(event_id)
        self.manual_seq += 1
        key = f"manual {event_id} {self.manual_seq}"
        self.due[key] = (event_id, "manual", self.engine.clock.now())
        waiting: asyncio.Future[AttemptRecord | None] = asyncio.get_running_loop().create_future()
        self._manual[key] = waiting
        self._due_added.set()
        release = RELEASE.get()
        if release is not None:
            release()
        try:
            async with asyncio.timeout(OUTCOME_WITHIN):
                record = await waiting
        except TimeoutError:
            self._manual.pop(key, None)
            raise Conflict(f"no outcome within {OUTCOME_WITHIN:g}s (no replica holds the webhook lease?); the "
                           "attempt stays due and is made when one does") from None
        if record is None:
            raise Conflict("the attempt was cancelled: the subscription was deleted or disabled, or the "
                           "dispatcher is shutting down")
        return record

    async def drain(self) -> None:
        """Wait until no attempt is due now or being sent: the lease holder sends and the stream settles them
        (a due job needs a tick first, which the lease holder appends)."""
        scheduler = self.engine.scheduler
        while True:
            due = scheduler.next_due()
            if not self.due and (due is None or due > self.engine.clock.now()):
                return
            await asyncio.sleep(0.005)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "in_flight": len(self._sending), "waiting": len(self.due) - len(self._sending)}

    async def shutdown(self, grace: float | None = None) -> dict[str, int]:
        """Nothing to hand over: what is due stays in the stream for the next lease holder."""
        for waiting in self._manual.values():
            waiting.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.close()
        return {}
