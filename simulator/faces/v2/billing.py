"""Postman v2's "Billing by Status" (Message statuses page, seed 002): which final outcome is charged.

Charged: success, the delivery errors recipient_invalid, recipient_unavailable, content_invalid,
routing_error, message_expired ("the attempt still consumes network resources"), and sent_to_telco for
a foreign number, where it is the terminal status. Not charged: delivery_unknown_error and
server_unknown_error. A retry is a new attempt to the network, billed by its own outcome.
A Singapore number at sent_to_telco is not final (the page: a later update is unlikely after 48 h, but
it is not terminal), so it stays pending.
"""

from __future__ import annotations

from simulator.core.billing import BillingRule
from simulator.core.models import Attempt, Message

SOURCE = "Postman v2 docs, Message statuses, \"Billing by Status\" (seed 002)"
CHARGED = {
    "success": True,
    "recipient_invalid": True,
    "recipient_unavailable": True,
    "content_invalid": True,
    "routing_error": True,
    "message_expired": True,
    "delivery_unknown_error": False,
    "server_unknown_error": False,
    "sent_to_telco": True,  # foreign numbers only: their terminal status
}
SINGAPORE = "65"  # v2 recipients are country code + number without '+'


def outcome(message: Message, attempt: Attempt) -> str | None:
    """success, the failure's error code, sent_to_telco for a foreign number; None while not final."""
    if attempt.status == "success":
        return "success"
    if attempt.status == "failure":
        return attempt.error.code if attempt.error is not None else "failure"
    if attempt.status == "sent_to_telco" and not message.recipient.startswith(SINGAPORE):
        return "sent_to_telco"
    return None


def _text(message: Message) -> str:
    return str(message.payload.get("fullMessage", ""))


RULE = BillingRule(source=SOURCE, charged=CHARGED, outcome=outcome, text=_text)
