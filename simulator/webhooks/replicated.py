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
import dataclasses
import logging
import random
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from simulator.core.scheduler import Job
from simulator.webhooks.dispatcher import Conflict, Dispatcher
from simulator.webhooks.records import AttemptRecord

log = logging.getLogger("postman_sim.webhooks")

Publish = Callable[[dict[str, Any]], Awaitable[None]]
Ready = Callable[[], Awaitable[bool]]
SEND_POLL = 0.1  # real seconds between two looks at the due attempts when nothing wakes the sender
NOT_HERE = ("manual redelivery and dead-letter replay are not available with --state redis yet: "
            "replicas deliver only what falls due on the clock")


class ReplicatedDispatcher(Dispatcher):
    """`Dispatcher` with the sending taken off the apply path (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.due: OrderedDict[str, tuple[str, str, float]] = OrderedDict()  # key -> (event id, trigger, due at)
        self._sending: dict[str, str] = {}  # key -> subscription id, on the lease holder
        self._tasks: set[asyncio.Task[None]] = set()
        self._due_added = asyncio.Event()
        self._local = random.SystemRandom()  # the handshake's challenge: drawn on one replica only

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
        if due is None or not isinstance(fields, dict):
            return  # settled already (an old holder's late copy) or nothing was sent
        event_id, trigger, _ = due
        event = self._events.get(event_id)
        sub = self._subs.get(event.subscription_id) if event is not None else None
        lane = self._lanes.get(sub.id) if sub is not None else None
        if event is None or sub is None or lane is None or lane.closed or event.lane is not lane \
                or (trigger == "auto" and event.state != "pending"):
            return
        record = AttemptRecord(**fields)
        if record.verification and record.verification.get("ok"):
            sub.verified = True
        self._settle(sub, event, record, outcome.get("retry_after"))

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

    # -- what replicas do not do (yet) -----------------------------------------------------------

    async def redeliver(self, event_id: str) -> AttemptRecord:
        self.event(event_id)  # 404 first for an unknown id
        raise Conflict(NOT_HERE)

    async def replay_dead(self, event_ids: Iterable[str] | None = None,
                          subscription_id: str | None = None) -> list[AttemptRecord]:
        raise Conflict(NOT_HERE)

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
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.close()
        return {}
