"""v1 wire shapes, field for field as the real convertMessageModelToResponse functions build them."""

from __future__ import annotations

from typing import Any

from simulator.core.models import Message
from simulator.core.timefmt import iso_utc


def _ts(value: float | None) -> str | None:
    return None if value is None else iso_utc(value)


def _error_code(message: Message) -> str | None:
    """A delivery error from the lifecycle, else one recorded when the send was refused."""
    error = message.error
    return error.code if error is not None else message.payload.get("error_code")


CAMEL_ERRORS = {"error_code": "errorCode", "error_sub_type": "errorSubType"}  # seed 004's spelling


def email_view(message: Message, exclude_params: bool = False, error_fields: str = "snake") -> dict[str, Any]:
    """`error_fields="camel"` (v1.email.error_fields) renames the two error fields as seed 004 writes them."""
    p = message.payload
    error = message.error
    view: dict[str, Any] = {"id": p["id"], "from": p["from"], "recipient": message.recipient}
    if not exclude_params:
        view["params"] = p["params"]
    view.update({
        "attachments_metadata": p["attachments_metadata"],
        "status": message.status,
        "error_code": _error_code(message),
        "error_sub_type": None if error is None else error.sub_type,
        "accepted_at": _ts(message.first_at("ACCEPTED")),
        "sent_at": _ts(message.first_at("SENT")),
        "delivered_at": _ts(message.first_at("DELIVERED")),
        "opened_at": _ts(message.first_at("OPENED")),
        "created_at": iso_utc(message.created_at),
        "updated_at": iso_utc(message.updated_at),
        "classification": p["classification"],
        "tag": p["tag"],
        "cc": p["cc"],
        "bcc": p["bcc"],
    })
    if error_fields == "camel":
        view = {CAMEL_ERRORS.get(key, key): value for key, value in view.items()}
    return view


def sms_view(message: Message) -> dict[str, Any]:
    p = message.payload
    return {
        "id": p["id"],
        "credentialsLabel": p["label"],
        "recipient": message.recipient,
        "body": p["body"],
        "message_id": p["message_id"],
        "created_at": iso_utc(message.created_at),
        "updated_at": iso_utc(message.updated_at),
        "status": message.status,
        "error_code": _error_code(message),
        "accepted_at": iso_utc(message.created_at),
        "sent_at": _ts(message.first_at("SENT")),
        "delivered_at": _ts(message.first_at("DELIVERED")),
        "errored_at": _ts(message.first_at("ERROR")),
    }


def govsg_view(message: Message) -> dict[str, Any]:
    p = message.payload
    error = message.error
    errored = message.first_at("ERROR") or message.first_at("INVALID_RECIPIENT")
    return {
        "id": p["id"],
        "recipient": message.recipient,
        "template_id": p["template_id"],
        "params": p["params"],
        "language_code": p["language_code"],
        "created_at": iso_utc(message.created_at),
        "updated_at": iso_utc(message.updated_at),
        "accepted_at": _ts(message.first_at("ACCEPTED")),
        "sent_at": _ts(message.first_at("SENT")),
        "delivered_at": _ts(message.first_at("DELIVERED")),
        "read_at": _ts(message.first_at("READ")),
        "errored_at": _ts(errored),
        "error_code": None if error is None else error.code,
        "error_description": None if error is None else error.description,
        "status": message.status,
    }
