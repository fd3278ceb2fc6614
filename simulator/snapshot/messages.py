"""Messages as compact JSON-able rows and back.

Plans and status paths are shared by many messages (every message on a timeline has the same Plan object;
attempts that took the same statuses share one path tuple), so a snapshot stores each once in a table and
a row names it by index. Payloads go through their face (`FaceApp.export_payload` / `import_payload`), so a
face with a compact payload class (v2) keeps it compact on disk too. Indexes are never stored: the store
rebuilds them on load.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from simulator.clock import check_time
from simulator.core.models import NO_FACTS, Attempt, ErrorInfo, Facts, Message, Plan, Step, pack_times

Row = list[Any]
Change = tuple[str, bool, ErrorInfo | None]
_FACTS = tuple(f.name for f in fields(Facts))


def error_data(error: ErrorInfo | None) -> list[str | None] | None:
    return None if error is None else [error.code, error.type, error.description, error.sub_type]


def error_from(data: Any) -> ErrorInfo | None:
    if data is None:
        return None
    code, kind, description, sub_type = data
    return ErrorInfo(code=str(code), type=kind, description=description, sub_type=sub_type)


class Tables:
    """Plans and status paths met while writing rows, each stored once (objects kept alive while writing,
    so an id is never reused for another one meanwhile)."""

    def __init__(self) -> None:
        self.plans: list[Plan] = []
        self.paths: list[tuple[Change, ...]] = []
        self._plan_index: dict[int, int] = {}
        self._path_index: dict[int, int] = {}

    def plan(self, plan: Plan) -> int:
        index = self._plan_index.get(id(plan))
        if index is None:
            index = self._plan_index[id(plan)] = len(self.plans)
            self.plans.append(plan)
        return index

    def path(self, path: tuple[Change, ...]) -> int:
        index = self._path_index.get(id(path))
        if index is None:
            index = self._path_index[id(path)] = len(self.paths)
            self.paths.append(path)
        return index

    def data(self) -> dict[str, Any]:
        return {"plans": [[p.rule, [[s.after, s.status, error_data(s.error)] for s in p.steps]] for p in self.plans],
                "paths": [[[status, forced, error_data(error)] for status, forced, error in path]
                          for path in self.paths]}


def message_row(message: Message, tables: Tables, payload: Callable[[Message], Any]) -> Row:
    facts = None if message.facts is NO_FACTS else {
        name: value for name in _FACTS if (value := getattr(message.facts, name)) is not None}
    return [message.id, message.face, message.channel, message.tenant, message.recipient, message.created_at,
            payload(message), message.batch_id, facts,
            [[a.id, a.number, a.created_at, tables.plan(a.plan), tables.path(a.changes), a.change_times(),
              a.next_step, a.halted] for a in message.attempts]]


def step(after: Any, status: Any, error: Any) -> Step:
    return Step(after=check_time(float(after), "a plan step's delay"), status=str(status), error=error_from(error))


def read_tables(data: Mapping[str, Any]) -> tuple[list[Plan], list[tuple[Change, ...]]]:
    """The plans and the status paths, each path built once through `Attempt.record`, so restored attempts
    share it with each other and with attempts made later (as the core shares them)."""
    plans = [Plan(rule=str(rule), steps=tuple(step(*item) for item in steps)) for rule, steps in data["plans"]]
    paths = []
    for path in data["paths"]:
        builder = Attempt(id="", number=0, created_at=0.0, plan=Plan("", ()))
        for status, forced, error in path:
            builder.record(str(status), 0.0, bool(forced), error_from(error))
        paths.append(builder.changes)
    return plans, paths


def message_from(row: Row, plans: list[Plan], paths: list[tuple[Change, ...]],
                 payload: Callable[[str, Any, str], Mapping[str, Any]]) -> Message:
    """`payload(face, data, tenant)`: the face's own payload object. ValueError/KeyError/TypeError/IndexError
    on a row of the wrong shape."""
    message_id, face, channel, tenant, recipient, created_at, payload_data, batch_id, facts, attempts = row
    restored = []
    for attempt_id, number, attempt_created, plan, path, times, next_step, halted in attempts:
        changes = paths[path]
        if len(changes) != len(times) or not changes:
            raise ValueError(f"message {message_id}: an attempt's statuses and times do not pair up")
        for at in times:
            check_time(float(at), f"message {message_id}: a status change time")
        restored.append(Attempt(id=str(attempt_id), number=int(number),
                                created_at=check_time(float(attempt_created), f"message {message_id}: an attempt's "
                                                                              "created_at"),
                                plan=plans[plan], changes=changes, times=pack_times(times),
                                next_step=int(next_step), halted=bool(halted)))
    if not restored:
        raise ValueError(f"message {message_id}: no attempt")
    return Message(id=str(message_id), face=str(face), channel=str(channel), tenant=str(tenant),
                   recipient=sys.intern(str(recipient)),
                   created_at=check_time(float(created_at), f"message {message_id}: created_at"),
                   payload=payload(str(face), payload_data, str(tenant)), attempts=tuple(restored),
                   batch_id=None if batch_id is None else str(batch_id),
                   facts=NO_FACTS if facts is None else Facts(**facts))
