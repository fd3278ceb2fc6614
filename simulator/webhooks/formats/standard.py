"""`standard`: the simulator's own face-neutral event in the Standard Webhooks payload shape.

The only format that can carry every channel (SMS, email) with the face's own status names; it
reports every change, the initial status included.
"""

from __future__ import annotations

from typing import Any

from simulator.core.timefmt import iso_utc
from simulator.telemetry.secrets import mask_tenant
from simulator.webhooks.formats.base import Rendering


class StandardFormat:
    name = "standard"
    channels = frozenset({"whatsapp", "sms", "email"})
    only_200 = False
    user_agent = "postman-sim-webhooks/0.1"

    def render(self, item: Rendering) -> dict[str, Any] | None:
        message = item.message
        # message_id is the id the face's own API answered with; journal_id the one of /_sim/messages/{id};
        # tenant masked: a v1 tenant is the API key, and a webhook receiver is another system.
        data: dict[str, Any] = {
            "message_id": item.api_id, "journal_id": message.id, "face": message.face, "channel": message.channel,
            "tenant": mask_tenant(message.tenant), "recipient": message.recipient, "status": item.status,
            "previous_status": item.previous, "canonical_status": item.canonical,
            "error": None if item.error is None else item.error.as_dict(),
        }
        if message.facts.wamid is not None:
            data["wamid"] = item.wamid
        return {"type": "message.status.updated", "timestamp": iso_utc(item.at), "data": data}
