"""Qlara wire shapes: DeliveryStatusResponse, the send responses and the webhook registration."""

from __future__ import annotations

from typing import Any

from simulator.core.models import Message
from simulator.core.timefmt import iso_utc
from simulator.faces.base import Registration

# Channel keys as the partner gateway spells them, and the core's channel names.
CHANNEL_KEYS = {"sms": "SMS", "whatsapp": "WHATSAPP"}
CHANNELS = {"SMS": "sms", "RCS": "rcs", "WHATSAPP": "whatsapp"}

# Descriptions for statuses that carry no error. DELIVERED's is the webhook docs' wording.
DESCRIPTIONS = {
    "UNKNOWN": "No status information is available yet",
    "SENT": "Message sent, awaiting delivery confirmation",
    "RECEIVED": "Message received by the downstream system, delivery to the handset not yet confirmed",
    "DELIVERED": "Message delivered",
    "READ": "Message read",
    "EXPIRED": "Message expired: not delivered within its validity period",
    "ERROR": "Message could not be delivered",
}


def _ts(value: float | None) -> str | None:
    return None if value is None else iso_utc(value)


def description(message: Message) -> str:
    error = message.error if message.status == "ERROR" else None
    if error is not None and error.description:
        return error.description
    return DESCRIPTIONS.get(message.status, message.status)


def status_view(message: Message) -> dict[str, Any]:
    """DeliveryStatusResponse: the documented fields plus the send and delivery timestamps."""
    payload = message.payload
    delivered = message.first_at("DELIVERED")
    if delivered is None:
        delivered = message.first_at("READ")
    view: dict[str, Any] = {
        "customerMessageId": payload["customerMessageId"],
        "messageId": message.id,
        "channel": CHANNEL_KEYS[message.channel],
        "destination": message.recipient,
        "sender": payload.get("sender"),
        "deliveryStatus": message.status,
        "deliveryStatusDescription": description(message),
        "sendDate": iso_utc(message.created_at),
        "deliveryDate": _ts(delivered),
        "statusDate": iso_utc(message.updated_at),
        "campaignId": payload.get("campaignId"),
        "errorCode": message.error.code if message.status == "ERROR" and message.error else None,
    }
    if message.channel == "whatsapp":
        view["readDate"] = _ts(message.first_at("READ"))
    return view


def send_view(message_id: str, simulation: bool, channel: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"messageId": message_id, "simulation": simulation, "results": {channel: result}}


def registration_view(sub: Registration) -> dict[str, Any]:
    """The body the webhook registration endpoints (POST/PUT/GET) answer with."""
    return {"callbackUrl": sub.url, "createdAt": iso_utc(sub.created_at), "updatedAt": iso_utc(sub.updated_at)}
