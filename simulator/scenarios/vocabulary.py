"""Each flow's statuses and error codes, so scenario files are checked at load time.

A flow is a face (the emulated API) and a channel. Statuses are spelt as the face spells them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.core.models import ErrorInfo


@dataclass(frozen=True, slots=True)
class Vocabulary:
    initial: tuple[str, ...]           # recorded at acceptance, before any planned step
    statuses: frozenset[str]
    error_types: frozenset[str] | None = None   # None: the face has no error type
    error_codes: frozenset[str] | None = None   # None: any code (provider passthrough)
    # The error a failure status forced through /_sim gets when none is given: every real failure has one.
    forced_errors: Mapping[str, ErrorInfo] = field(default_factory=dict)


_UNKNOWN_WHATSAPP = ErrorInfo(code="131000", description="Something went wrong: message failed to send")


V2_ERRORS = {
    "delivery_error": ("recipient_invalid", "recipient_unavailable", "content_invalid", "routing_error",
                       "message_expired", "delivery_unknown_error"),
    "server_error": ("server_unknown_error",),
}

FLOWS: dict[str, Vocabulary] = {
    "v2.sms": Vocabulary(
        initial=("created",),
        statuses=frozenset({"created", "enqueued", "sending", "sent", "sent_to_telco", "success", "failure"}),
        error_types=frozenset(V2_ERRORS),
        error_codes=frozenset(code for codes in V2_ERRORS.values() for code in codes),
        forced_errors={"failure": ErrorInfo(code="delivery_unknown_error", type="delivery_error")},
    ),
    "v1.email": Vocabulary(
        initial=("UNSENT",),
        statuses=frozenset({"UNSENT", "ACCEPTED", "SENT", "BOUNCED", "DELIVERED", "OPENED", "COMPLAINT"}),
        forced_errors={"BOUNCED": ErrorInfo(code="Hard bounce", sub_type="General"),
                       "COMPLAINT": ErrorInfo(code="abuse")},
    ),
    "v1.sms": Vocabulary(
        initial=("UNSENT",),
        statuses=frozenset({"UNSENT", "ACCEPTED", "SENT", "DELIVERED", "ERROR"}),
        forced_errors={"ERROR": ErrorInfo(code="30008", description="Unknown error")},
    ),
    "v1.whatsapp": Vocabulary(
        initial=("UNSENT",),
        statuses=frozenset({"UNSENT", "ACCEPTED", "SENT", "DELIVERED", "READ", "ERROR", "INVALID_RECIPIENT"}),
        forced_errors={"ERROR": _UNKNOWN_WHATSAPP},
    ),
    "qlara.whatsapp": Vocabulary(
        initial=("UNKNOWN",),
        statuses=frozenset({"UNKNOWN", "SENT", "RECEIVED", "DELIVERED", "READ", "ERROR", "EXPIRED"}),
        forced_errors={"ERROR": _UNKNOWN_WHATSAPP},
    ),
    "qlara.sms": Vocabulary(
        initial=("UNKNOWN",),
        statuses=frozenset({"UNKNOWN", "SENT", "RECEIVED", "DELIVERED", "ERROR", "EXPIRED"}),
        forced_errors={"ERROR": ErrorInfo(code="carrier_rejection", description="Carrier rejection")},
    ),
}

FACES = frozenset(flow.split(".")[0] for flow in FLOWS)
CHANNELS = frozenset(flow.split(".")[1] for flow in FLOWS)


def flows_for(face: str | None, channel: str | None) -> list[str]:
    """The flows a rule restricted to `face` and/or `channel` can apply to."""
    return [f for f in FLOWS if (face is None or f.startswith(face + ".")) and
            (channel is None or f.endswith("." + channel))]
