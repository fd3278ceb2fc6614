"""`qlara`: Qlara (Agile Telecom) delivery-status push, as in the new webhooks guide.

The one builder of Qlara's webhook payloads. DELIVERY events carry statusCode/description (only 3 =
"Message delivered" is documented; the other codes are this simulator's choice, see the README) and,
on failures, `errorCode` (the guide says the push carries "any error details"). READ events (WhatsApp
only) carry just the ids, destination, channel and timestamp, and INBOUND events the source,
destination and text, exactly like the guide's examples, timestamps in whole seconds as there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator.webhooks.formats.base import Rendering

STATUS_CODES: dict[str, tuple[int, str]] = {
    "sent": (1, "Message sent"),
    "received": (2, "Message received by the carrier"),
    "delivered": (3, "Message delivered"),
    "failed": (4, "Message not delivered"),
    "expired": (5, "Message expired"),
}


def _timestamp(at: float) -> str:
    """The guide's spelling: UTC, whole seconds, Z (2026-04-09T10:30:00Z)."""
    return datetime.fromtimestamp(int(at), UTC).isoformat().replace("+00:00", "Z")


def inbound_event(source: str, destination: str, text: str, at: float) -> dict[str, Any]:
    """The INBOUND payload: a recipient (`source`) wrote to the company's WhatsApp number (`destination`)."""
    return {"eventType": "INBOUND", "source": source, "destination": destination, "text": text,
            "channel": "WHATSAPP", "messageType": "TEXT", "timestamp": _timestamp(at)}


class QlaraFormat:
    name = "qlara"
    channels = frozenset({"whatsapp", "sms"})
    only_200 = False
    user_agent = "postman-sim-webhooks/0.1"

    def render(self, item: Rendering) -> dict[str, Any] | None:
        message = item.message
        destination = message.recipient if "@" in message.recipient else "+" + item.phone_digits
        channel = message.channel.upper()
        if item.canonical == "read":
            if message.channel != "whatsapp":
                return None
            return {"eventType": "READ", "messageId": message.id, "destination": destination,
                    "channel": channel, "timestamp": _timestamp(item.at)}
        coded = STATUS_CODES.get(item.canonical or "")
        if coded is None:
            return None
        code, description = coded
        if item.error is not None and item.error.description and item.canonical in ("failed", "expired"):
            description = item.error.description
        payload: dict[str, Any] = {
            "eventType": "DELIVERY", "messageId": message.id,
            "customerMessageId": str(message.payload.get("customerMessageId") or message.id),
            "destination": destination, "statusCode": code, "description": description}
        if item.canonical == "failed":
            payload["errorCode"] = None if item.error is None else item.error.code
        payload["channel"] = channel
        payload["timestamp"] = _timestamp(item.at)
        return payload
