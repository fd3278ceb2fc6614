"""Webhook subscriptions, events and attempt records as plain data and back, for snapshots.

A subscription is kept as its spec (the keys as given, a signing secret included: the snapshot file is
written readable by its owner only) plus what happened to it since (disabled, verified); an event keeps its
id and exact body, so deliveries after a restart are the same bytes with the same id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from simulator.webhooks.records import AttemptRecord, WebhookEvent
from simulator.webhooks.subscription import Subscription, parse_subscription

_EVENT_FIELDS = tuple(f.name for f in fields(WebhookEvent) if f.name not in ("lane", "attempts", "body"))
_RECORD_FIELDS = frozenset(f.name for f in fields(AttemptRecord))


def subscription_data(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "spec": sub.spec, "source": sub.source, "created_at": sub.created_at,
            "updated_at": sub.updated_at, "verified": sub.verified, "disabled_reason": sub.disabled_reason}


def subscription_from(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> Subscription:
    """ValueError (SubscriptionError) when the saved spec no longer validates."""
    sub = parse_subscription(data["spec"], sub_id=str(data["id"]), source=str(data["source"]),
                             now=float(data["created_at"]), defaults=defaults)
    sub.updated_at, sub.verified = float(data["updated_at"]), bool(data["verified"])
    reason = data["disabled_reason"]
    sub.disabled_reason = None if reason is None else str(reason)
    return sub


def event_data(event: WebhookEvent) -> dict[str, Any]:
    return {**{name: getattr(event, name) for name in _EVENT_FIELDS}, "body": event.body.decode(),
            "attempts": [asdict(a) for a in event.attempts]}


def event_from(data: Mapping[str, Any]) -> WebhookEvent:
    """KeyError/TypeError on data of the wrong shape."""
    event = WebhookEvent(**{name: data[name] for name in _EVENT_FIELDS}, body=str(data["body"]).encode())
    event.attempts = [AttemptRecord(**{k: v for k, v in a.items() if k in _RECORD_FIELDS}) for a in data["attempts"]]
    return event


def record_id(record: AttemptRecord) -> int:
    return record.id
