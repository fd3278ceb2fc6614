"""The message model shared by every face.

A face owns its wire shapes; the core keeps only what every face needs: who sent what to whom,
the plan it follows and every timestamped status change, grouped by attempt.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An error in the face's own vocabulary (v2: type/code; v1 email: code/sub_type; ...)."""

    code: str
    type: str | None = None
    description: str | None = None
    sub_type: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"type": self.type, "code": self.code, "description": self.description,
                "sub_type": self.sub_type}


@dataclass(frozen=True, slots=True)
class Step:
    """One planned status change, `after` seconds after the previous step (or acceptance)."""

    after: float
    status: str
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The lifecycle a message will follow, and the scenario rule that chose it."""

    rule: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status change as readers see it (built on demand from an attempt's compact history)."""

    status: str
    at: float
    forced: bool = False
    error: ErrorInfo | None = None


# (status, forced, error): what a status change is besides its time. Each sequence of them that attempts take
# is built once and shared by every attempt that took the same path (a trie keyed on the shorter sequence), so
# an attempt's history costs a pointer to a shared tuple plus an array of its times (8 bytes a change, no GC
# object). Forced statuses can make new paths: past _PATHS_MAX known ones, new paths are built unshared.
Change = tuple[str, bool, "ErrorInfo | None"]
_PATHS: dict[tuple[int, str, bool, ErrorInfo | None], tuple[Change, ...]] = {}
_KNOWN: set[int] = {id(())}  # ids of the shared paths (kept alive by _PATHS, so an id is never reused)
_PATHS_MAX = 20_000


def _extend(changes: tuple[Change, ...], status: str, forced: bool, error: ErrorInfo | None) -> tuple[Change, ...]:
    """`changes` plus one change, shared with every other attempt that made the same changes."""
    known = id(changes) in _KNOWN
    key = (id(changes), status, forced, error)
    if known:
        path = _PATHS.get(key)
        if path is not None:
            return path
    path = (*changes, (sys.intern(status), forced, error))
    if known and len(_PATHS) < _PATHS_MAX:
        _PATHS[key] = path
        _KNOWN.add(id(path))
    return path


_TIME = struct.Struct("d")


def pack_times(times: Iterable[float]) -> bytes:
    """Change times as `Attempt.times` holds them (a snapshot reads them back with this)."""
    return b"".join(_TIME.pack(float(at)) for at in times)


@dataclass(slots=True)
class Attempt:
    """One try at delivering a message; a retry starts a new attempt with a fresh plan."""

    id: str
    number: int
    created_at: float
    plan: Plan
    changes: tuple[Change, ...] = ()
    # The time of each change, packed as doubles: 8 bytes a change and no object of its own (an array('d') cost
    # 144 bytes an attempt, and one more object for the cyclic collector to walk).
    times: bytes = b""
    next_step: int = 0
    halted: bool = False

    def record(self, status: str, at: float, forced: bool = False, error: ErrorInfo | None = None) -> None:
        self.changes = _extend(self.changes, status, forced, error)
        self.times += _TIME.pack(at)

    def _times(self) -> Iterator[float]:
        return (at for (at,) in _TIME.iter_unpack(self.times))

    def change_times(self) -> list[float]:
        """The time of each change, in order (what `times` packs)."""
        return list(self._times())

    @property
    def history(self) -> tuple[StatusChange, ...]:
        return tuple(StatusChange(status, at, forced, error)
                     for (status, forced, error), at in zip(self.changes, self._times(), strict=True))

    @property
    def status(self) -> str:
        return self.changes[-1][0]

    @property
    def updated_at(self) -> float:
        at: float = _TIME.unpack_from(self.times, len(self.times) - 8)[0]
        return at

    @property
    def error(self) -> ErrorInfo | None:
        for _status, _forced, error in reversed(self.changes):
            if error is not None:
                return error
        return None

    def first_at(self, status: str) -> float | None:
        """When this attempt first reached `status`, if it did."""
        for index, (reached, _forced, _error) in enumerate(self.changes):
            if reached == status:
                at: float = _TIME.unpack_from(self.times, 8 * index)[0]
                return at
        return None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rest of the simulator (webhooks, the journal) may know about a message, typed, so no one reads
    a face's payload by string key. Its face fills it at acceptance. Never a secret."""

    api_id: str | None = None               # the id its API answered with (v1 serial "42"); None: message.id
    customer_message_id: str | None = None  # Qlara: the caller's own id
    wamid: str | None = None                # Meta-style WhatsApp id
    notify: bool | None = None              # False: no provider pushes statuses; None: not stated (= True)
    account: str | None = None              # account name for webhooks (v1: the key's name part)
    uid: str | None = None                  # chuanglan `uid` (else the client's reference, else the message id)
    user_initiated: bool | None = None      # sent inside a 24 h window the recipient opened; None: no window
    opaque: str | None = None               # Meta biz_opaque_callback_data
    pricing_category: str | None = None     # Meta pricing category (else "utility")


NO_FACTS = Facts()


@dataclass(slots=True)
class Message:
    id: str
    face: str
    channel: str
    tenant: str
    recipient: str
    created_at: float
    payload: Mapping[str, Any]  # the face's own fields (v2: a compact V2Payload), read-only once stored
    attempts: tuple[Attempt, ...]  # a retry replaces the tuple: one attempt is the common case
    batch_id: str | None = None
    seq: int = 0
    removed: bool = False
    facts: Facts = NO_FACTS

    @property
    def flow(self) -> str:
        return f"{self.face}.{self.channel}"

    @property
    def is_settled(self) -> bool:
        """Nothing left to do: the current attempt's plan ran out or a status was forced (retention may evict)."""
        attempt = self.attempts[-1]
        return attempt.halted or attempt.next_step >= len(attempt.plan.steps)

    @property
    def attempt(self) -> Attempt:
        """The current (newest) attempt."""
        return self.attempts[-1]

    @property
    def status(self) -> str:
        return self.attempts[-1].status

    @property
    def updated_at(self) -> float:
        return self.attempts[-1].updated_at

    @property
    def error(self) -> ErrorInfo | None:
        return self.attempts[-1].error

    def first_at(self, status: str) -> float | None:
        return self.attempts[-1].first_at(status)
