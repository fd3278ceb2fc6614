"""One neutral status vocabulary between the faces' statuses and the webhook formats.

Each face spells statuses its own way (GovSG `DELIVERED`, Qlara `RECEIVED`, v2 `success`); each format
maps the neutral names below to its own wire values, so a format never needs to know every face.
A status with no entry (e.g. GovSG `UNSENT`, Qlara `UNKNOWN`, the initial states) is not pushed.
"""

from __future__ import annotations

from simulator.core.models import ErrorInfo

# accepted: taken by the provider; sent: handed to WhatsApp / the carrier; received: reached the
# downstream system; delivered; read; failed; expired (TTL); complained (email only).
CANONICAL: dict[str, dict[str, str]] = {
    "v1.whatsapp": {"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "READ": "read",
                    "ERROR": "failed", "INVALID_RECIPIENT": "failed"},
    "qlara.whatsapp": {"SENT": "sent", "RECEIVED": "received", "DELIVERED": "delivered", "READ": "read",
                       "ERROR": "failed", "EXPIRED": "expired"},
    "qlara.sms": {"SENT": "sent", "RECEIVED": "received", "DELIVERED": "delivered", "ERROR": "failed",
                  "EXPIRED": "expired"},
    "v1.sms": {"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "ERROR": "failed"},
    "v1.email": {"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "OPENED": "read",
                 "BOUNCED": "failed", "COMPLAINT": "complained"},
    "v2.sms": {"enqueued": "accepted", "sending": "accepted", "sent": "sent", "sent_to_telco": "received",
               "success": "delivered", "failure": "failed"},
}

# Meta error used when a failure carries no Meta code of its own.
_DEFAULT_ERRORS: dict[str, ErrorInfo] = {
    "INVALID_RECIPIENT": ErrorInfo(code="131026", description="Message undeliverable"),
    "EXPIRED": ErrorInfo(code="131000", description="Message expired before it could be delivered"),
}
_GENERIC_ERROR = ErrorInfo(code="131000", description="Something went wrong")


def canonical_status(flow: str, status: str) -> str | None:
    """The neutral name of a face status, or None when no webhook reports it."""
    return CANONICAL.get(flow, {}).get(status)


def meta_error(status: str, error: ErrorInfo | None) -> tuple[int, str | None]:
    """(Meta error code, description) for a failure: the step's own Meta code, else a default.

    Meta's codes have at least four digits; shorter numbers (an HTTP status such as "400") are not theirs."""
    if error is not None and error.code.isdigit() and len(error.code) >= 4:
        return int(error.code), error.description
    fallback = _DEFAULT_ERRORS.get(status, _GENERIC_ERROR)
    description = (error.description if error is not None else None) or fallback.description
    return int(fallback.code), description
