"""One neutral status vocabulary (core.flows.NEUTRAL) between the faces' statuses and the webhook formats.

Each face spells statuses its own way (GovSG `DELIVERED`, Qlara `RECEIVED`, v2 `success`) and maps them to
the neutral names in its flows' `canonical`; each format maps the neutral names to its own wire values, so
a format never needs to know every face. A status with no entry (the initial states) is not pushed.
"""

from __future__ import annotations

from simulator.core.models import ErrorInfo
from simulator.faces import get

# Meta error used when a failure carries no Meta code of its own.
_DEFAULT_ERRORS: dict[str, ErrorInfo] = {
    "INVALID_RECIPIENT": ErrorInfo(code="131026", description="Message undeliverable"),
    "EXPIRED": ErrorInfo(code="131000", description="Message expired before it could be delivered"),
}
_GENERIC_ERROR = ErrorInfo(code="131000", description="Something went wrong")


def canonical_status(flow: str, status: str) -> str | None:
    """The neutral name of a face status (its face's `Flow.canonical`), or None when no webhook reports it."""
    face, _, channel = flow.partition(".")
    try:
        declared = get(face).flows.get(channel)
    except KeyError:
        return None
    return None if declared is None else declared.canonical.get(status)


def meta_error(status: str, error: ErrorInfo | None) -> tuple[int, str | None]:
    """(Meta error code, description) for a failure: the step's own Meta code, else a default.

    Meta's codes have at least four digits; shorter numbers (an HTTP status such as "400") are not theirs."""
    if error is not None and error.code.isdigit() and len(error.code) >= 4:
        return int(error.code), error.description
    fallback = _DEFAULT_ERRORS.get(status, _GENERIC_ERROR)
    description = (error.description if error is not None else None) or fallback.description
    return int(fallback.code), description
