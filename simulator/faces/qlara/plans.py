"""Which lifecycle a Qlara message follows: the face's own rules first, then scenarios.yaml.

Order for WhatsApp: a closed 24-hour window (free-form only), a restricted account, a template that
is not APPROVED, then the first matching rule or the flow's default. Each named timeline can be
redefined in scenarios.yaml; these built-in ones apply when it is not defined there.
"""

from __future__ import annotations

from dataclasses import replace

from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo, Plan, Step
from simulator.core.planner import Planner

FACE = "qlara"
FLOWS = {
    "whatsapp": Flow(
        statuses=("UNKNOWN", "SENT", "RECEIVED", "DELIVERED", "READ", "ERROR", "EXPIRED"),
        initial=("UNKNOWN",), terminal=frozenset({"READ", "ERROR", "EXPIRED"}),
        canonical={"SENT": "sent", "RECEIVED": "received", "DELIVERED": "delivered", "READ": "read",
                   "ERROR": "failed", "EXPIRED": "expired"},
        forced_errors={"ERROR": ErrorInfo(code="131000",
                                          description="Something went wrong: message failed to send")},
    ),
    "sms": Flow(
        statuses=("UNKNOWN", "SENT", "RECEIVED", "DELIVERED", "ERROR", "EXPIRED"),
        initial=("UNKNOWN",), terminal=frozenset({"DELIVERED", "ERROR", "EXPIRED"}),
        canonical={"SENT": "sent", "RECEIVED": "received", "DELIVERED": "delivered", "ERROR": "failed",
                   "EXPIRED": "expired"},
        forced_errors={"ERROR": ErrorInfo(code="carrier_rejection", description="Carrier rejection")},
    ),
}

WINDOW_CLOSED = ErrorInfo(
    code="131047", type="whatsapp",
    description=("The 24-hour customer service window has expired: free-form messages can only be sent within "
                 "24 hours of the recipient's last message. Use an approved template."))
ACCOUNT_RESTRICTED = ErrorInfo(
    code="131031", type="whatsapp", description="The WhatsApp Business account has been restricted or banned")
TEMPLATE_REJECTED = ErrorInfo(
    code="132001", type="whatsapp", description="The message template was rejected or is not approved")

BUILT_IN = {
    "window_closed": (Step(1.0, "ERROR", WINDOW_CLOSED),),
    "account_restricted": (Step(1.0, "ERROR", ACCOUNT_RESTRICTED),),
    "template_rejected": (Step(1.0, "ERROR", TEMPLATE_REJECTED),),
}


def named(planner: Planner, kind: str, name: str) -> Plan:
    """The timeline `name` from scenarios.yaml, else the built-in one for `kind`."""
    found = planner.timeline(name)
    return Plan(rule=f"built-in {name}", steps=BUILT_IN[kind]) if found is None else found


def delayed(plan: Plan, seconds: float) -> Plan:
    """The same plan starting `seconds` later (a scheduled SMS waits before its first step)."""
    if seconds <= 0 or not plan.steps:
        return plan
    first = replace(plan.steps[0], after=plan.steps[0].after + seconds)
    return Plan(rule=plan.rule, steps=(first, *plan.steps[1:]))
