"""v2 wire shapes. The three message shapes differ on purpose: they follow the three documented ones."""

from __future__ import annotations

from typing import Any

from simulator.core.models import Attempt, Message
from simulator.core.timefmt import iso_sgt
from simulator.faces.v2.config import Campaign, Template
from simulator.faces.v2.state import Batch


def _ts(value: float | None) -> str | None:
    return None if value is None else iso_sgt(value)


def created_view(message: Message, campaign: Campaign, full_message: str | None = None) -> dict[str, Any]:
    """The single-send (and retry) response. `full_message`: the text just rendered, when the caller has it."""
    payload = message.payload
    language = payload["language"]
    created = iso_sgt(message.created_at)
    updated = message.updated_at
    return {
        "createdAt": created,
        "updatedAt": created if updated == message.created_at else iso_sgt(updated),
        "id": message.id,
        "recipient": message.recipient,
        "values": payload["values"],
        "fullMessage": payload["fullMessage"] if full_message is None else full_message,
        "latestStatus": message.status,
        "templateBodyId": campaign.templates[language].id,
        "campaignId": campaign.id,
        "language": language,
        "creatorId": campaign.creator_id,
    }


def template_view(template: Template, campaign: Campaign) -> dict[str, Any]:
    return {
        "createdAt": iso_sgt(template.created_at),
        "updatedAt": iso_sgt(template.created_at),
        "id": template.id,
        "templateId": template.template_id,
        "language": template.language,
        "body": template.body,
        "creatorId": campaign.creator_id,
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    view: dict[str, Any] = {
        "status": attempt.status,
        "createdAt": iso_sgt(attempt.created_at),
        "sentAt": _ts(attempt.first_at("sent")),
        "deliveredAt": _ts(attempt.first_at("success")),
    }
    if attempt.status == "failure" and attempt.error is not None:
        view["error"] = {"type": attempt.error.type, "code": attempt.error.code}
    return view


def batch_view(batch: Batch, message: Message) -> dict[str, Any]:
    return {
        "createdAt": iso_sgt(batch.created_at),
        "updatedAt": iso_sgt(batch.updated_at),
        "id": batch.id,
        "campaignId": batch.campaign_id,
        "status": batch.status,
        "BatchMessage": {
            "batchId": batch.id,
            "messageId": message.id,
            "createdAt": iso_sgt(message.created_at),
            "updatedAt": iso_sgt(message.created_at),
        },
    }


def message_view(message: Message, campaign: Campaign, batch: Batch | None) -> dict[str, Any]:
    """Retrieve one message: adds templateBody, batches, creator and attempts (newest first)."""
    view = created_view(message, campaign)
    view["templateBody"] = template_view(campaign.templates[message.payload["language"]], campaign)
    view["batches"] = [] if batch is None else [batch_view(batch, message)]
    view["creatorEmail"] = campaign.creator_email
    view["attempts"] = [attempt_view(a) for a in reversed(message.attempts)]
    return view


def list_item_view(message: Message, campaign: Campaign, batch: Batch | None) -> dict[str, Any]:
    """An item of "retrieve all campaign messages": the message plus its batchId."""
    view = message_view(message, campaign, batch)
    view["batchId"] = None if batch is None else batch.id
    return view


def message_attempt_view(attempt: Attempt, message: Message, campaign: Campaign) -> dict[str, Any]:
    error = attempt.error if attempt.status == "failure" else None
    return {
        "sentAt": _ts(attempt.first_at("sent")),
        "deliveredAt": _ts(attempt.first_at("success")),
        "createdAt": iso_sgt(attempt.created_at),
        "updatedAt": iso_sgt(attempt.updated_at),
        "id": attempt.id,
        "messageId": message.id,
        "externalAttemptId": "",
        "status": attempt.status,
        "errorType": None if error is None else error.type,
        "errorCode": None if error is None else error.code,
        "metadata": {},
        "creatorId": campaign.creator_id,
        "creator": {"email": campaign.creator_email},
    }


def batch_item_view(message: Message, campaign: Campaign) -> dict[str, Any]:
    """An item of "retrieve batch messages": flat messageAttempts and numAttempts."""
    view = created_view(message, campaign)
    del view["creatorId"]
    view["templateBody"] = template_view(campaign.templates[message.payload["language"]], campaign)
    view["messageAttempts"] = [message_attempt_view(a, message, campaign) for a in reversed(message.attempts)]
    view["creatorEmail"] = campaign.creator_email
    view["numAttempts"] = len(message.attempts)
    return view
