"""The message model shared by every face.

A face owns its wire shapes; the core keeps only what every face needs: who sent what to whom,
the plan it follows and every timestamped status change, grouped by attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(slots=True)
class StatusChange:
    status: str
    at: float
    forced: bool = False
    error: ErrorInfo | None = None


@dataclass(slots=True)
class Attempt:
    """One try at delivering a message; a retry starts a new attempt with a fresh plan."""

    id: str
    number: int
    created_at: float
    plan: Plan
    history: list[StatusChange] = field(default_factory=list)
    next_step: int = 0
    halted: bool = False

    @property
    def status(self) -> str:
        return self.history[-1].status

    @property
    def updated_at(self) -> float:
        return self.history[-1].at

    @property
    def error(self) -> ErrorInfo | None:
        for change in reversed(self.history):
            if change.error is not None:
                return change.error
        return None

    def first_at(self, status: str) -> float | None:
        """When this attempt first reached `status`, if it did."""
        for change in self.history:
            if change.status == status:
                return change.at
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
    uid: str | None = None                  # chuanglan `uid` (else the batch id)
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
    payload: dict[str, Any]
    attempts: list[Attempt]
    batch_id: str | None = None
    seq: int = 0
    removed: bool = False
    facts: Facts = NO_FACTS

    @property
    def flow(self) -> str:
        return f"{self.face}.{self.channel}"

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
