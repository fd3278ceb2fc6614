"""The whole simulator as one plain-data payload, and back: every holder exports and imports its own part.

Holders: the clock, the id streams, the messages (simulator.snapshot.messages), the event numbers, the
scenarios in force with their seeded draws and counters, each face's own state, the webhook dispatcher
(subscriptions, events, the delivery log) and the request journal. What is derived is rebuilt on load,
never stored: the store's indexes and counts, the scheduler's due jobs (from each message's own attempt and
each pending webhook event's next attempt).

`capture` builds the payload in chunks of messages and hands the loop back between them, so a large store
does not stall other requests for the whole write (each chunk is serialised as it is built). Other holders
are small and captured at once, after the messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from simulator.clock import Clock, ManualClock, SystemClock, ahead_of_wall, check_lead, check_speed, check_time
from simulator.core import gcpolicy
from simulator.core.engine import Engine
from simulator.core.models import Message
from simulator.core.scheduler import hand_over
from simulator.faces.base import FACE_APPS, FaceApp
from simulator.journal import JOURNAL
from simulator.journal.entries import export_entries, well_formed
from simulator.runtime.reload import SCENARIO_RUNTIME
from simulator.snapshot.messages import Tables, message_from, message_row, read_tables
from simulator.state import ENGINE
from simulator.webhooks import DISPATCHER

CHUNK = 2_000  # messages serialised between two hand-backs to the event loop
JOURNAL_CHUNK = 500  # journal entries likewise (each has its credentials masked: ~50 µs)


def dumps(data: Any) -> bytes:
    """JSON of `data`; a string no UTF-8 file can hold (a lone surrogate from a request's JSON, "\\ud800") is
    written with U+FFFD in its place rather than failing the snapshot: request data never stops a write."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: surrogates somewhere (rare; the slow path walks the data)
        return orjson.dumps(_well_formed(data))


def _well_formed(data: Any) -> Any:
    if isinstance(data, str):
        return well_formed(data)
    if isinstance(data, dict):
        return {_well_formed(k): _well_formed(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_well_formed(v) for v in data]
    return data


def clock_data(clock: Clock) -> dict[str, Any]:
    if isinstance(clock, ManualClock):
        return {"kind": "manual", "now": clock.now()}
    return {"kind": clock.kind, "ahead": ahead_of_wall(clock), "speed": clock.speed}


def restore_clock(clock: Clock, data: Mapping[str, Any]) -> str | None:
    """Put the clock where it was; a note when the snapshot's clock is of another kind (then it is left as
    the flags set it: the messages keep their times)."""
    if data["kind"] != clock.kind:
        return f"it was taken with the {data['kind']} clock; the clock starts as --clock {clock.kind} says"
    if isinstance(clock, ManualClock):
        clock.set(check_time(float(data["now"]), "the clock's time"))
    elif isinstance(clock, SystemClock):
        clock.set_speed(check_speed(float(data["speed"])))
        behind = check_lead(float(data["ahead"]), "the clock's lead") - ahead_of_wall(clock)
        if behind > 0:  # it had been advanced past the wall clock: it stays as far ahead
            clock.jump(behind)
    return None


async def capture(app: web.Application, chunk: int = CHUNK) -> list[bytes]:
    """The JSON payload of the whole simulator, in pieces that joined are its text (see the module docstring
    for how it yields; the pieces are never joined here: a copy of tens of MB would stall the loop too)."""
    engine = app[ENGINE]
    faces = app[FACE_APPS]
    tables = Tables()

    def payload(message: Message) -> Any:
        face = faces.get(message.face)
        return dict(message.payload) if face is None else face.export_payload(message.payload)

    held = list(engine.store.all())  # acceptance order
    parts: list[bytes] = [b'{"messages":[']
    for start in range(0, len(held), chunk):
        with gcpolicy.no_full_collections():  # no full collection walks the store in the middle of a chunk
            rows = [message_row(m, tables, payload) for m in held[start:start + chunk] if not m.removed]
            if rows:
                parts += (b"," if len(parts) > 1 else b"", dumps(rows)[1:-1])  # the rows, no brackets
            del rows
        await hand_over()
    rest = dumps(_rest(app, engine, faces, tables))
    return [*parts, b"],", rest[1:-1], b',"journal":', *await _journal(app, chunk=JOURNAL_CHUNK), b"}"]


async def _journal(app: web.Application, chunk: int) -> list[bytes]:
    """The journal's part, its entries serialised a chunk at a time like the messages."""
    journal = app.get(JOURNAL)
    if journal is None:
        return [b"null"]
    held = list(journal)
    parts = [dumps(journal.export_head())[:-1], b',"entries":[']
    for start in range(0, len(held), chunk):
        parts += (b"," if start else b"", dumps(export_entries(held[start:start + chunk]))[1:-1])
        await hand_over()
    return [*parts, b"]}"]


def _rest(app: web.Application, engine: Engine, faces: Mapping[str, FaceApp[Any, Any]],
          tables: Tables) -> dict[str, Any]:
    return {**tables.data(), "clock": clock_data(engine.clock), "ids": engine.ids.export_state(),
            "event_seq": engine.events.seq, "evicted": engine.store.evicted,
            "scenarios": app[SCENARIO_RUNTIME].export_state(),
            "faces": {face_id: face.export_state() for face_id, face in faces.items()},
            "webhooks": app[DISPATCHER].export_state()}


def restore(app: web.Application, data: Any) -> list[str]:
    """Put a payload back into a freshly built app (before it serves anything). Raises ValueError, KeyError,
    TypeError or IndexError on data of the wrong shape: the caller refuses to start then, so a half-restored
    simulator never serves. Returns notes for the user (e.g. the clock kind changed)."""
    if not isinstance(data, dict):
        raise TypeError("the payload is not an object")
    engine = app[ENGINE]
    faces = app[FACE_APPS]
    notes = []
    note = restore_clock(engine.clock, data["clock"])
    if note is not None:
        notes.append(note)
    app[SCENARIO_RUNTIME].import_state(data["scenarios"])  # a reload body first: it is what the rest ran under
    engine.ids.import_state(data["ids"])
    for face_id, face_data in data["faces"].items():
        if face_id in faces:
            faces[face_id].import_state(face_data)  # before the messages: v2 payloads need their campaigns

    def payload(face: str, payload_data: Any, tenant: str) -> Mapping[str, Any]:
        runtime = faces.get(face)
        if runtime is None:
            raise ValueError(f"a message of face {face!r}, which this simulator does not have")
        return runtime.import_payload(payload_data, tenant)

    plans, paths = read_tables(data)
    messages = [message_from(row, plans, paths, payload) for row in data["messages"]]
    seen: set[str] = set()
    for message in messages:
        if message.id in seen:
            raise ValueError(f"message id {message.id} appears twice")
        seen.add(message.id)
    engine.store.restore(messages, int(data["evicted"]))
    for message in messages:
        faces[message.face].message_restored(message)
    engine.events.restore_seq(int(data["event_seq"]))
    engine.resume()
    app[DISPATCHER].import_state(data["webhooks"], notes)
    journal = app.get(JOURNAL)
    if journal is not None and data["journal"] is not None:
        journal.import_state(data["journal"])
    return notes
