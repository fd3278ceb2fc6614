"""Qlara's delivery-status webhook payloads, built from core status events (the dispatcher sends them).

The documented DELIVERY, READ and INBOUND shapes. Only statusCode 3 = "Message delivered" is
documented; the other codes are this simulator's choice (see the README).
"""

from __future__ import annotations

from typing import Any

from simulator.core.events import StatusEvent
from simulator.core.timefmt import iso_utc
from simulator.faces.qlara.face import Inbound
from simulator.faces.qlara.plans import FACE
from simulator.faces.qlara.serialise import CHANNEL_KEYS, DESCRIPTIONS

STATUS_CODES = {"SENT": 1, "RECEIVED": 2, "DELIVERED": 3, "ERROR": 4, "EXPIRED": 5}


def delivery_event(event: StatusEvent) -> dict[str, Any] | None:
    """The payload for one status change, or None (not Qlara, UNKNOWN, or notifications turned off)."""
    message = event.message
    if message.face != FACE or not message.payload.get("enableNotification", True):
        return None
    base = {"messageId": message.id, "customerMessageId": message.payload["customerMessageId"],
            "destination": message.recipient, "channel": CHANNEL_KEYS[message.channel]}
    if event.status == "READ":
        return {"eventType": "READ", **base, "timestamp": iso_utc(event.at)}
    code = STATUS_CODES.get(event.status)
    if code is None:
        return None
    description = DESCRIPTIONS[event.status]
    if event.status == "ERROR" and event.error is not None and event.error.description:
        description = event.error.description
    payload: dict[str, Any] = {"eventType": "DELIVERY", **base, "statusCode": code, "description": description}
    if event.status == "ERROR":
        payload["errorCode"] = None if event.error is None else event.error.code
    payload["timestamp"] = iso_utc(event.at)
    return payload


def inbound_event(inbound: Inbound) -> dict[str, Any]:
    """The INBOUND payload for a simulated message from a recipient."""
    return {"eventType": "INBOUND", "source": inbound.source, "destination": inbound.destination,
            "text": inbound.text, "channel": "WHATSAPP", "messageType": "TEXT", "timestamp": iso_utc(inbound.at)}
