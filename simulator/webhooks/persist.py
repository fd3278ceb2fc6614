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
from simulator.webhooks.subscription import Subscription, SubscriptionError, parse_subscription

_EVENT_FIELDS = tuple(f.name for f in fields(WebhookEvent) if f.name not in ("lane", "attempts", "body"))
_RECORD_FIELDS = frozenset(f.name for f in fields(AttemptRecord))


def subscription_data(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "spec": sub.spec, "source": sub.source, "created_at": sub.created_at,
            "updated_at": sub.updated_at, "verified": sub.verified, "disabled_reason": sub.disabled_reason}


# Stands in for a saved URL that no longer passes the checks while the rest of the spec is checked.
_STAND_IN_URL = "http://127.0.0.1:9/"


def subscription_from(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[Subscription, str | None]:
    """The subscription, and why its URL cannot be used (else None). ValueError (SubscriptionError) when the saved
    spec no longer validates. One whose URL alone no longer passes (saved before the checks grew stricter, e.g. a
    host `a..b`) comes back disabled, saying why, rather than failing the whole restore: its events are kept, and
    a PATCH with a new url and enabled: true revives it."""
    spec, unusable = data["spec"], None
    try:
        sub = parse_subscription(spec, sub_id=str(data["id"]), source=str(data["source"]),
                                 now=float(data["created_at"]), defaults=defaults)
    except SubscriptionError as exc:
        url = spec.get("url") if isinstance(spec, Mapping) else None
        if not isinstance(url, str) or not url or not all(p.startswith("url:") for p in exc.problems):
            raise
        sub = parse_subscription({**spec, "url": _STAND_IN_URL}, sub_id=str(data["id"]), source=str(data["source"]),
                                 now=float(data["created_at"]), defaults=defaults)
        sub.url, sub.spec = url, {**sub.spec, "url": url, "enabled": False}  # stays off until enabled: true
        unusable = "; ".join(p.removeprefix("url:").strip() for p in exc.problems)
    sub.updated_at, sub.verified = float(data["updated_at"]), bool(data["verified"])
    reason = data["disabled_reason"]
    sub.disabled_reason = None if reason is None else str(reason)
    if unusable is not None:
        sub.enabled, sub.verified = False, False
        sub.disabled_reason = (f"restored with a URL that cannot be used ({unusable}); PATCH a new url with "
                               "enabled: true")
    return sub, unusable


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
