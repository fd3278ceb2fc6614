"""`chuanglan`: the seed's `whatsapp_message_status_updated` event (Chuanglan / TIG, YCloud-like).

Statuses: delivered, read, failed, SMECL:FAILED. There is no `sent`. `conversation` only on
delivered, `errorData` only on failures, `currency` on delivered (as in the seed's example).
A failure whose error type or code is `SMECL:FAILED` is reported with that status.
`uid` is in every event (the seed's examples all carry it): the client's own reference where the face has
one (Facts.uid, Qlara's customerMessageId, a batch id, the id the API answered with, v1's "42"), else the
message id. `conversation.initiateType` is the seed's `customer_initiated` when the send fell inside a 24 h
window the recipient opened (Facts.user_initiated, filled by the face at acceptance), else
`business_initiated`.
"""

from __future__ import annotations

from typing import Any

from simulator.core.timefmt import iso_utc
from simulator.webhooks.canonical import meta_error
from simulator.webhooks.formats import meta_errors
from simulator.webhooks.formats.base import Rendering, conversation_id

SMECL = "SMECL:FAILED"
# conversation.initiateType, as seed 003 spells them (referral_conversion, a free entry point, never arises here)
BUSINESS_INITIATED, CUSTOMER_INITIATED = "business_initiated", "customer_initiated"
STATUSES = {"delivered": "delivered", "read": "read", "failed": "failed", "expired": "failed"}


class ChuanglanFormat:
    name = "chuanglan"
    channels = frozenset({"whatsapp"})
    only_200 = False
    user_agent = "postman-sim-webhooks/0.1"

    def render(self, item: Rendering) -> dict[str, Any] | None:
        status = STATUSES.get(item.canonical or "")
        if status is None:
            return None
        if status == "failed" and item.error is not None and SMECL in (item.error.type, item.error.code):
            status = SMECL
        message = item.message
        body: dict[str, Any] = {
            "id": item.api_id,
            "accountName": item.account,
            "wabaId": item.identity["waba_id"],
            "wamid": item.wamid,
            "status": status,
        }
        facts = message.facts
        body["uid"] = facts.uid or facts.customer_message_id or message.batch_id or item.api_id
        body["sendPhone"] = item.phone_digits
        if status == "delivered":
            initiated = CUSTOMER_INITIATED if facts.user_initiated else BUSINESS_INITIATED
            body["conversation"] = {"id": conversation_id(item), "initiateType": initiated,
                                    "expireAt": iso_utc(item.at + 86400)}
        elif status != "read" and _has_error_data(status, item):
            code, description = meta_error(item.status, item.error)
            body["errorData"] = {"errorCode": str(code), "errorMessage": description or meta_errors.title(code)}
        if status == "delivered":
            body["currency"] = "USD"
        return {"id": item.event_id, "type": "whatsapp_message_status_updated",
                "eventTime": iso_utc(item.at), "body": body}


def _has_error_data(status: str, item: Rendering) -> bool:
    """SMECL:FAILED without a Meta code comes without errorData (the docs say nothing more about it)."""
    return status != SMECL or (item.error is not None and item.error.code.isdigit())
