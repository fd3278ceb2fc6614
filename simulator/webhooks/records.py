"""What the dispatcher keeps: each webhook event (one body, one id for every retry) and each attempt."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.core.timefmt import iso_utc
from simulator.telemetry.secrets import masked_url

if TYPE_CHECKING:
    from simulator.webhooks.lanes import Lane

BODY_EXCERPT = 1024


def _iso(ts: float | None) -> str | None:
    """ISO 8601 of a simulated time; None for none (or NaN). iso_utc prints any other time, clamped to the
    clock's range, so a bad one (inf, 1e300) can never break a listing."""
    if ts is None or math.isnan(ts):
        return None
    return iso_utc(ts)


def _masked_verification(info: dict[str, Any] | None) -> dict[str, Any] | None:
    if info is None or not isinstance(info.get("url"), str):
        return info
    return {**info, "url": masked_url(info["url"])}


@dataclass(slots=True)
class AttemptRecord:
    """One HTTP attempt (or a refusal to try), as the delivery log shows it."""

    id: int
    event_id: str
    subscription_id: str
    number: int
    trigger: str                      # auto | manual | chaos_duplicate
    scheduled_at: float
    at: float
    url: str
    request_headers: dict[str, str]
    request_body: str
    response_status: int | None = None
    response_body: str | None = None
    latency_ms: float | None = None
    error_class: str | None = None    # None on success; timeout, connection_refused, http_5xx, ...
    error: str | None = None
    outcome: str = "failed"           # delivered | failed | gone | skipped
    next_attempt_at: float | None = None
    verification: dict[str, Any] | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id, "event_id": self.event_id, "subscription_id": self.subscription_id,
            "attempt": self.number, "trigger": self.trigger, "scheduled_at": _iso(self.scheduled_at),
            "at": _iso(self.at), "url": masked_url(self.url),  # user:***@: the attempt used the real one
            "request": {"method": "POST", "headers": self.request_headers, "body": self.request_body},
            "response": None if self.response_status is None else {
                "status": self.response_status, "body": self.response_body},
            "latency_ms": self.latency_ms, "error_class": self.error_class, "error": self.error,
            "outcome": self.outcome, "next_attempt_at": _iso(self.next_attempt_at),
            "verification": _masked_verification(self.verification),
        }


@dataclass(slots=True)
class WebhookEvent:
    """One status change for one subscription: persisted before the first attempt, body fixed."""

    id: str
    subscription_id: str
    message_id: str | None            # None for a face's ready-made event (e.g. Qlara INBOUND)
    face: str
    channel: str
    tenant: str
    status: str
    at: float
    body: bytes
    state: str = "pending"            # pending | delivered | dead | dropped
    auto_attempts: int = 0
    attempts: list[AttemptRecord] = field(default_factory=list)
    next_attempt_at: float | None = None
    dead_reason: str | None = None
    dead_at: float | None = None
    lane: Lane | None = None          # its subscription's lane (counters); not shown

    def view(self, with_attempts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "subscription_id": self.subscription_id, "message_id": self.message_id,
            "face": self.face, "channel": self.channel, "tenant": self.tenant, "status": self.status,
            "at": _iso(self.at), "state": self.state, "attempts": len(self.attempts),
            "next_attempt_at": _iso(self.next_attempt_at), "dead_reason": self.dead_reason,
            "dead_at": _iso(self.dead_at), "body": self.body.decode(),
        }
        if with_attempts:
            out["attempt_log"] = [a.view() for a in self.attempts]
        return out
