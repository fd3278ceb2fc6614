"""v1 error bodies: {"code", "message"}, with the codes, HTTP statuses and texts of the real service."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from simulator.core.flows import ApiError
from simulator.faces.base import FaceError

UNAUTHENTICATED = "Unauthenticated request. Please try again with correct authentication"
MALFORMED = "Malformed request body"
RATE_LIMITED = "Too many requests. Please try again later."
INTERNAL = "Internal Server Error."
TOO_MANY_RECIPIENTS = "Maximum of 50 recipients allowed"
BODY_LIMIT = "body is a required string whose size must be less than or equal to 1MB in UTF-8 encoding"
BAD_FROM = ("Invalid 'from' email address, which must be either the default info@mail.postman.gov.sg or the "
            "user's email (which requires setup with Postman team). Contact us to learn more.")
UNVERIFIED_FROM = "From Address has not been verified. Contact us to learn more."
BLACKLISTED = "Recipient email is blacklisted"
ATTACHMENT_FORMAT = "Attachments must be sent via form-data"
ATTACHMENT_DEFAULT_FROM = "Attachments are not allowed for Postman default from email address"
ATTACHMENT_TOO_BIG = "Size of one or more attachments exceeds limit"
ATTACHMENTS_TOO_BIG = "Cumulative attachment size exceeds limit"
ATTACHMENT_TYPE = ("Error: One or more attachments may be an unsupported file type. "
                   "Please check the attached files.")
EMPTY_AFTER_SANITISING = "Message is invalid as the subject or body only contains invalid HTML tags."
UNKNOWN_CREDENTIAL = "User credential cannot be found"
BAD_TWILIO = "Invalid Twilio credentials"
PAYLOAD_TOO_LARGE = "request entity too large"  # body-parser's text for its 413 (the code is ours)


# The answers `faults:` give on /v1, with the codes of postmangovsg's rest-api errors.
FAULTS = {
    429: ("rate_limit", RATE_LIMITED),
    500: ("internal_server", INTERNAL),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}


# Every error of postmangovsg's rest-api errors, by code, for faults' `error: {code: ...}` (the texts the
# face itself answers where it has one; README "API-level faults").
DOCUMENTED: dict[str, ApiError] = {
    "api_validation": ApiError(400, '"recipient" is required'),
    "malformed": ApiError(400, MALFORMED),
    "invalid_recipient": ApiError(400, "Phone number is invalid"),
    "too_many_recipients": ApiError(400, TOO_MANY_RECIPIENTS),
    "invalid_credentials": ApiError(400, BAD_TWILIO),
    "invalid_credential_label": ApiError(400, UNKNOWN_CREDENTIAL),
    "invalid_parameters": ApiError(400, "Invalid parameters"),
    "invalid_from_address": ApiError(400, BAD_FROM),
    "invalid_template": ApiError(400, EMPTY_AFTER_SANITISING),
    "attachment_format": ApiError(400, ATTACHMENT_FORMAT),
    "unauthenticated": ApiError(401, UNAUTHENTICATED),
    "unauthorized": ApiError(403, ATTACHMENT_DEFAULT_FROM),
    "already_sent": ApiError(403, "Campaign has already been sent"),
    "not_found": ApiError(404, "Message not found"),
    "campaign_redacted": ApiError(410, "Campaign has been redacted"),
    "attachment_limit": ApiError(413, ATTACHMENTS_TOO_BIG),
    **{code: ApiError(status, message) for status, (code, message) in FAULTS.items()},
}


class V1Error(FaceError):
    """Raised by handlers; the face turns it into {"code", "message"}."""

    code: str

    def __init__(self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, code, message, headers=headers)


def fault(status: int, code: str | None = None, message: str | None = None) -> V1Error:
    """A fault's answer: a documented error by its code (its own status), else FAULTS[status]."""
    documented = DOCUMENTED.get(code) if code is not None else None
    if documented is not None:
        return V1Error(documented.status, code or "", message or documented.message)
    default_code, default_message = FAULTS[status]
    return V1Error(status, code or default_code, message or default_message)


def validation(message: str) -> V1Error:
    return V1Error(400, "api_validation", message)


def malformed() -> V1Error:
    return V1Error(400, "malformed", MALFORMED)


def payload_too_large() -> V1Error:
    return V1Error(413, "payload_too_large", PAYLOAD_TOO_LARGE)


def not_found(message: str) -> V1Error:
    return V1Error(404, "not_found", message)


def unauthenticated() -> V1Error:
    return V1Error(401, "unauthenticated", UNAUTHENTICATED)


def rate_limited(retry_after: int) -> V1Error:
    return V1Error(429, "rate_limit", RATE_LIMITED, headers={"Retry-After": str(retry_after)})


def http_error(exc: web.HTTPException) -> V1Error:
    """Router-level errors in the v1 shape (Express answers an unknown path or method with 404)."""
    if exc.status in (404, 405):
        return not_found("Not Found")
    if exc.status == 413:
        return V1Error(413, "attachment_limit", ATTACHMENTS_TOO_BIG)
    return V1Error(exc.status, "http_error", exc.reason)
