"""`meta`: the WhatsApp Cloud API `statuses` notification (object=whatsapp_business_account).

Statuses: sent, delivered, read, failed (expired -> failed). Pricing follows the per-message model
(PMP, v24.0+: no `conversation`) unless the subscription asks for the older CBP shape, where `sent`
carries conversation with expiration_timestamp and `delivered` carries conversation without it.
`read` and `failed` carry neither; `failed` carries errors[].
"""

from __future__ import annotations

from typing import Any

from simulator.webhooks.canonical import meta_error
from simulator.webhooks.formats import meta_errors
from simulator.webhooks.formats.base import Rendering, conversation_id

STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "expired": "failed"}


class MetaFormat:
    name = "meta"
    channels = frozenset({"whatsapp"})
    only_200 = True
    user_agent = "facebookexternalua"

    def render(self, item: Rendering) -> dict[str, Any] | None:
        status = STATUSES.get(item.canonical or "")
        if status is None:
            return None
        entry: dict[str, Any] = {"id": item.wamid, "status": status, "timestamp": str(int(item.at)),
                                 "recipient_id": item.phone_digits}
        opaque = item.message.payload.get("biz_opaque_callback_data")
        if opaque:
            entry["biz_opaque_callback_data"] = str(opaque)
        category = str(item.message.payload.get("pricing_category") or "utility")
        model = item.identity.get("pricing_model", "PMP")
        if status in ("sent", "delivered"):
            if model == "CBP":
                conversation: dict[str, Any] = {"id": conversation_id(item)}
                if status == "sent":
                    conversation["expiration_timestamp"] = str(int(item.at) + 86400)
                conversation["origin"] = {"type": category}
                entry["conversation"] = conversation
                entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": category}
            else:
                entry["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                                    "category": category}
        elif status == "failed":
            code, description = meta_error(item.status, item.error)
            title = meta_errors.title(code)
            entry["errors"] = [{"code": code, "title": title, "message": title,
                                "error_data": {"details": description or title},
                                "href": meta_errors.ERROR_DOCS_HREF}]
        return {"object": "whatsapp_business_account", "entry": [{
            "id": item.identity["waba_id"],
            "changes": [{"value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": item.identity["display_phone_number"],
                             "phone_number_id": item.identity["phone_number_id"]},
                "statuses": [entry]}, "field": "messages"}]}]}
