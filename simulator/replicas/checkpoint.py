"""A replica's checkpoint: the whole simulator as applied up to one stream entry, so the log before it can go.

The payload is the snapshot's (simulator.snapshot.state: every holder's part) in the snapshot's envelope
(magic, format, SHA-256; simulator.snapshot.envelope), plus what only a replica holds: the entry time, the
clock's bases, the rate-limit windows, the webhook attempts noted due, and the order of every pending job.
That order matters: equal times run in the order they were scheduled, and webhook event ids are drawn in
firing order, while a restore alone would schedule in acceptance order. A checkpoint is loaded whole or not
at all: the checksum and the shape are checked before anything is changed, and a failure is an error.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from functools import partial
from typing import Any

import orjson
from aiohttp import web

from simulator.core.scheduler import Job
from simulator.replicas.clocks import EntryTime, ReplicatedManualClock, ReplicatedSystemClock
from simulator.snapshot import envelope, state
from simulator.state import ENGINE
from simulator.webhooks import DISPATCHER
from simulator.webhooks.dispatcher import CONFIG_SOURCES
from simulator.webhooks.replicated import ReplicatedDispatcher


class CheckpointError(Exception):
    """A stored checkpoint that cannot be used (the reason in one phrase)."""


async def capture(app: web.Application, entry: EntryTime, at: bytes) -> list[bytes]:
    """The checkpoint's JSON payload in pieces (see simulator.snapshot.state.capture), state as applied up to
    entry `at`. The caller must not apply entries meanwhile."""
    engine = app[ENGINE]
    engine.catch_up()  # what is due by now runs here, not in a read in the middle of the capture
    replica = state.dumps(_replica_state(app, entry))
    pieces = await state.capture(app)
    return [b'{"at":' + orjson.dumps(at.decode()) + b',"replica":' + replica + b',"state":', *pieces, b"}"]


def encode(pieces: Iterable[bytes], seed: int | None) -> bytes:
    """The stored bytes (run it off the event loop: compression and hashing)."""
    return b"".join(envelope.encode(pieces, seed))


def decode(raw: bytes) -> tuple[bytes, dict[str, Any]]:
    """(the last entry it covers, the payload); CheckpointError when it is not a whole checkpoint of ours."""
    try:
        _, payload = envelope.read_bytes(raw)
    except envelope.SnapshotError as exc:
        raise CheckpointError(exc.reason) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("at"), str) \
            or not isinstance(payload.get("replica"), dict) or not isinstance(payload.get("state"), dict):
        raise CheckpointError("corrupt: its content does not have the expected shape")
    return payload["at"].encode(), payload


def restore(app: web.Application, payload: dict[str, Any], entry: EntryTime) -> None:
    """Put a decoded checkpoint into the app: a fresh one, or a running one after `wipe`. CheckpointError when
    its content has the wrong shape."""
    try:
        state.restore(app, payload["state"])
        _restore_replica_state(app, payload["replica"], entry)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise CheckpointError(f"corrupt: its content does not have the expected shape ({exc!s:.200})") from None


def wipe(app: web.Application) -> None:
    """Forget every piece of state a checkpoint restores (a running replica that fell behind the trim)."""
    engine = app[ENGINE]
    dispatcher = app[DISPATCHER]
    engine.reset()  # messages, jobs, windows, ids, each face's state, events and the log, the journal
    for sub in list(dispatcher.subscriptions()):
        if sub.source not in CONFIG_SOURCES:
            dispatcher.remove_subscription(sub.id)
    if isinstance(dispatcher, ReplicatedDispatcher):
        dispatcher.due.clear()


# -- what only a replica holds ------------------------------------------------------------------------

def _replica_state(app: web.Application, entry: EntryTime) -> dict[str, Any]:
    engine = app[ENGINE]
    dispatcher = app[DISPATCHER]
    clock = engine.clock
    clock_data: dict[str, Any] = {"now": clock.now()}
    if isinstance(clock, ReplicatedSystemClock):
        clock_data = clock.bases()
    due = list(dispatcher.due.items()) if isinstance(dispatcher, ReplicatedDispatcher) else []
    manual = dispatcher.manual_seq if isinstance(dispatcher, ReplicatedDispatcher) else 0
    return {"wall": entry(), "clock": clock_data, "manual": manual, "limits": engine.limiter.export_state(),
            "due": [[key, *value] for key, value in due],
            "jobs": [[when, *key] for when, job in engine.scheduler.pending() if (key := _job_key(job)) is not None]}


def _job_key(job: Job) -> list[Any] | None:
    """What names a pending job across processes: a message's step, or a webhook attempt."""
    if isinstance(job, partial) and len(job.args) == 2:  # Dispatcher._schedule's job: (event id, trigger)
        return ["w", *job.args]
    message, attempt, index = (getattr(job, name, None) for name in ("message", "attempt", "index"))
    if message is not None and attempt is not None and isinstance(index, int):  # the engine's step job
        return ["m", message.id, attempt.number, index]
    return None


def _restore_replica_state(app: web.Application, data: dict[str, Any], entry: EntryTime) -> None:
    engine = app[ENGINE]
    dispatcher = app[DISPATCHER]
    entry.enter(float(data["wall"]))
    clock = engine.clock
    if isinstance(clock, ReplicatedSystemClock):
        clock.set_bases(data["clock"])
    elif isinstance(clock, ReplicatedManualClock):
        clock.set(float(data["clock"]["now"]))
    engine.limiter.import_state(data["limits"])
    if isinstance(dispatcher, ReplicatedDispatcher):
        dispatcher.manual_seq = int(data["manual"])
        dispatcher.due = OrderedDict((str(key), (str(event_id), str(trigger), float(when)))
                                     for key, event_id, trigger, when in data["due"])
        _reorder(app, data["jobs"], dispatcher)


def _reorder(app: web.Application, jobs: list[list[Any]], dispatcher: ReplicatedDispatcher) -> None:
    """The restored jobs in the order the checkpointed replica would run them (webhook attempts other than
    the automatic ones, which no event records, are made again here)."""
    scheduler = app[ENGINE].scheduler
    by_key: dict[tuple[Any, ...], list[tuple[float, Job]]] = {}
    for when, job in scheduler.pending():
        key = _job_key(job)
        by_key.setdefault(tuple(key) if key is not None else ("?", id(job)), []).append((when, job))
    ordered: list[tuple[float, Job]] = []
    for when, *key in jobs:
        found = by_key.get(tuple(key))
        if found:
            ordered.append((float(when), found.pop(0)[1]))
        elif key[0] == "w":
            ordered.append((float(when), dispatcher.job(str(key[1]), str(key[2]))))
    ordered += [item for rest in by_key.values() for item in rest]  # none expected: kept, run last
    scheduler.replace(ordered)
