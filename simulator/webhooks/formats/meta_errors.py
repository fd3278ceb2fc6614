"""Titles of the WhatsApp Cloud API error codes a status webhook can carry (Meta's error-code table)."""

from __future__ import annotations

ERROR_DOCS_HREF = "/documentation/business-messaging/whatsapp/support/error-codes"

TITLES: dict[int, str] = {
    130429: "Rate limit hit",
    130472: "User's number is part of an experiment",
    131000: "Something went wrong",
    131014: "Request for url failed",
    131026: "Message undeliverable",
    131042: "Business eligibility payment issue",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages "
            "on WhatsApp from your business.",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template does not exist",
    132012: "Parameter format does not match format in the created template",
    132015: "Template is paused",
    132016: "Template is disabled",
}


def title(code: int) -> str:
    return TITLES.get(code, "Something went wrong")
