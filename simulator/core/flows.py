"""A flow is one face channel's status vocabulary; each face declares its own, the core only reads them.

The core needs the initial statuses; scenarios check steps against the statuses and error codes; webhooks
map statuses to neutral names through `canonical`. Keeping them in one record means a new face states all
of it in one place (DESIGN B1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.core.billing import BillingRule
from simulator.core.models import ErrorInfo

# The neutral webhook statuses (accepted: taken by the provider; sent: handed to WhatsApp / the carrier;
# received: reached the downstream system; delivered; read; failed; expired (TTL); complained (email only)).
NEUTRAL = ("accepted", "sent", "received", "delivered", "read", "failed", "expired", "complained")


@dataclass(frozen=True, slots=True)
class ApiError:
    """An HTTP error a face's documentation names, so `faults:` can answer it by code (`error: {code: ...}`)."""

    status: int
    message: str
    type: str | None = None     # the face's error type, where it has one (v2)
    text: str | None = None     # a plain-text body instead of the face's JSON (a CDN block page is not the API's)


@dataclass(frozen=True, slots=True)
class Flow:
    """One face channel's statuses, spelt as the face spells them."""

    statuses: tuple[str, ...]            # in the face's documented order
    initial: tuple[str, ...]             # recorded at acceptance, before any planned step
    terminal: frozenset[str]             # nothing follows these
    canonical: Mapping[str, str]         # face status -> neutral webhook status; absent: never pushed
    error_types: frozenset[str] | None = None   # None: the face has no error type
    error_codes: frozenset[str] | None = None   # None: any code (provider passthrough)
    # The error a failure status forced through /_sim gets when none is given: every real failure has one.
    forced_errors: Mapping[str, ErrorInfo] = field(default_factory=dict)
    # What the provider's documentation says is charged; None: it documents no billing (nothing is priced).
    billing: BillingRule | None = None
    # Every documented API error of the face, by code (the registry copies the face's table onto its flows).
    api_errors: Mapping[str, ApiError] = field(default_factory=dict)


Flows = Mapping[str, Flow]  # "v2.sms" -> Flow, in registry order


def flows_for(flows: Flows, face: str | None, channel: str | None) -> list[str]:
    """The flows a rule restricted to `face` and/or `channel` can apply to."""
    return [f for f in flows if (face is None or f.startswith(face + ".")) and
            (channel is None or f.endswith("." + channel))]


def faces_of(flows: Flows) -> frozenset[str]:
    return frozenset(flow.split(".")[0] for flow in flows)


def channels_of(flows: Flows) -> frozenset[str]:
    return frozenset(flow.split(".")[1] for flow in flows)


def api_errors_of(flows: Flows, face: str) -> Mapping[str, ApiError]:
    """The documented API errors of `face` (empty when it declares none)."""
    return next((flow.api_errors for name, flow in flows.items() if name.split(".")[0] == face), {})


def statuses_of(flows: Flows) -> frozenset[str]:
    """Every status any of these flows has (the /_sim status filters take these)."""
    return frozenset(status for flow in flows.values() for status in flow.statuses)
