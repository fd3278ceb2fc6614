"""GET /_sim/billing and each journal message's "billing": what the provider would charge, by outcome.

Only flows whose provider documents a billing rule are billed (today Postman v2 SMS, seed 002's
"Billing by Status"); Postman v1 and Qlara document none, so their messages carry "billing": null and
are left out of the totals rather than priced by guess. Counts are per attempt: a v2 retry is a new
send to the network, billed by its own outcome, so one message can be charged more than once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from simulator.admin.bodies import query_choice
from simulator.admin.errors import AdminError
from simulator.core.billing import MessageBill, bill
from simulator.core.models import Message
from simulator.core.timefmt import parse_iso
from simulator.faces import faces, flows
from simulator.state import ENGINE

FILTERS = ("tenant", "face", "since", "until")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", re.ASCII)


def message_bill(message: Message) -> MessageBill | None:
    flow = flows().get(message.flow)
    rule = None if flow is None else flow.billing  # only flows whose provider documents a rule are billed
    return None if rule is None else bill(message, rule)


def billing_view(message: Message) -> dict[str, Any] | None:
    """The journal's "billing" field: null for a flow no provider bills."""
    billed = message_bill(message)
    if billed is None:
        return None
    segments = billed.segments
    return {"charged": billed.charged, "segments": segments.count, "encoding": segments.encoding,
            "chargedSegments": billed.charged_attempts * segments.count,
            "attempts": [{"number": a.number, "outcome": a.outcome, "charged": a.charged}
                         for a in billed.attempts]}


def _instant(request: web.Request, name: str) -> float | None:
    """An RFC 3339 date-time with its offset, as the document says (a bare date would be a guess)."""
    value = request.query.get(name) or None  # empty: no bound, as every /_sim filter
    if value is None:
        return None
    try:
        if not RFC3339.fullmatch(value):
            raise ValueError(value)
        return parse_iso(value.upper())
    except ValueError as exc:
        raise AdminError(400, "bad_request", f"{name} must be an ISO 8601 date-time with its offset, "
                                             f"e.g. 2026-01-01T00:00:00Z.") from exc


def _order(outcomes: Iterable[str]) -> list[str]:
    """The rule tables' order (as docs/postman-v2.md lists them), then any other outcome by name."""
    known = [o for flow in flows().values() if flow.billing is not None for o in flow.billing.charged]
    return sorted(outcomes, key=lambda o: (known.index(o), "") if o in known else (len(known), o))


async def billing_summary(request: web.Request) -> web.Response:
    unknown = sorted(set(request.query) - set(FILTERS))
    if unknown:
        raise AdminError(400, "bad_request", f"Unknown query parameter {unknown[0]!r}; "
                                             f"this call takes {', '.join(FILTERS)}.")
    face = query_choice(request, "face", [face.id for face in faces()])
    tenant = request.query.get("tenant") or None
    since, until = _instant(request, "since"), _instant(request, "until")
    engine = request.config_dict[ENGINE]
    engine.catch_up()
    totals = dict.fromkeys(("messages", "attempts", "charged", "notCharged", "pending", "segments",
                            "chargedSegments"), 0)
    by_outcome: dict[str, dict[str, Any]] = {}
    for message in engine.store.all():
        if (face and message.face != face) or (tenant and message.tenant != tenant):
            continue
        billed = message_bill(message)
        if billed is None:
            continue
        attempts = [a for a in billed.attempts if (since is None or a.created_at >= since)
                    and (until is None or a.created_at < until)]
        if not attempts:
            continue
        segments = billed.segments.count
        totals["messages"] += 1
        seen: set[str] = set()
        for attempt in attempts:
            totals["attempts"] += 1
            totals["segments"] += segments
            if attempt.outcome is None:
                totals["pending"] += 1
                continue
            totals["charged" if attempt.charged else "notCharged"] += 1
            totals["chargedSegments"] += segments if attempt.charged else 0
            row = by_outcome.setdefault(attempt.outcome, {"outcome": attempt.outcome, "messages": 0,
                                                          "attempts": 0, "charged": 0, "segments": 0})
            if attempt.outcome not in seen:
                seen.add(attempt.outcome)
                row["messages"] += 1
            row["attempts"] += 1
            row["charged"] += 1 if attempt.charged else 0
            row["segments"] += segments
    return web.json_response({"totals": totals, "byOutcome": [by_outcome[o] for o in _order(by_outcome)]})

