"""`meta`: the WhatsApp Cloud API `statuses` notification (object=whatsapp_business_account).

Statuses: sent, delivered, read, failed (expired -> failed). Pricing follows the per-message model
(PMP, v24.0+: no `conversation`) unless the subscription asks for the older CBP shape, where `sent`
carries conversation with expiration_timestamp and `delivered` carries conversation without it.
`read` and `failed` carry neither; `failed` carries errors[].

Business-scoped user ids (Meta, from April 2026): sent, delivered and read notifications carry
`contacts: [{wa_id, user_id}]` beside `statuses`, and the status its `recipient_user_id`; a failed one
carries neither `contacts` nor `recipient_user_id` (Meta leaves them out of failures, where the user may
have no WhatsApp account). The subscription option `meta_contacts: none` keeps the older shape without
them, for receivers pinned to it.
"""

from __future__ import annotations

from typing import Any

from simulator.webhooks.canonical import meta_error
from simulator.webhooks.formats import meta_errors
from simulator.webhooks.formats.base import Rendering, conversation_id
from simulator.webhooks.formats.bsuid import business_scoped_user_id

CONTACTS_OPTIONS = ("bsuid", "none")  # the `meta_contacts` subscription option; bsuid is the default
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
        digits = item.phone_digits
        entry: dict[str, Any] = {"id": item.wamid, "status": status, "timestamp": str(int(item.at)),
                                 "recipient_id": digits}
        contacts: list[dict[str, str]] = []
        if status != "failed" and item.identity.get("meta_contacts", "bsuid") == "bsuid":
            user_id = business_scoped_user_id(digits, item.identity["waba_id"])
            entry["recipient_user_id"] = user_id
            contacts.append({"wa_id": digits, "user_id": user_id})
        opaque = item.message.facts.opaque
        if opaque:
            entry["biz_opaque_callback_data"] = str(opaque)
        category = item.message.facts.pricing_category or "utility"
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
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": item.identity["display_phone_number"],
                         "phone_number_id": item.identity["phone_number_id"]}}
        if contacts:
            value["contacts"] = contacts
        value["statuses"] = [entry]
        return {"object": "whatsapp_business_account", "entry": [{
            "id": item.identity["waba_id"], "changes": [{"value": value, "field": "messages"}]}]}
