"""One-line descriptions of plans, for `postman-sim numbers` and GET /_sim/scenarios."""

from __future__ import annotations

from simulator.core.models import Plan


def seconds_text(seconds: float) -> str:
    """In the largest unit it fills twice, to four digits: 30d, 2d, 5m, 90s, 1.5s."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.4g}{unit}"
    return f"{round(seconds, 3):f}".rstrip("0").rstrip(".") + "s"


def describe_plan(plan: Plan) -> str:
    """e.g. "failure delivery_error/recipient_invalid after 6s (enqueued, sending, sent, sent_to_telco)"."""
    if not plan.steps:
        return "stays at its initial status (no planned change)"
    last = plan.steps[-1]
    total = sum(step.after for step in plan.steps)
    text = last.status
    error = next((s.error for s in reversed(plan.steps) if s.error is not None), None)
    if error is not None:
        text += " " + "/".join(part for part in (error.type, error.code, error.sub_type) if part)
    text += f" after {seconds_text(total)}"
    if len(plan.steps) > 1:
        text += f" (via {', '.join(step.status for step in plan.steps[:-1])})"
    return text
