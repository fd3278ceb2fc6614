"""Delivery status by customerMessageId (single and batch) and the message history, per company."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NoReturn

from aiohttp import web

from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.errors import bad_request, not_found
from simulator.faces.qlara.face import QlaraFace
from simulator.faces.qlara.fields import query_int
from simulator.faces.qlara.serialise import CHANNELS, status_view
from simulator.scenarios.vocabulary import FLOWS

# ISO-8601 OffsetDateTime: a date, a time and an offset (Z or +hh:mm). Dates alone are refused.
OFFSET_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$")


def missing(name: str, kind: str = "String") -> NoReturn:
    """Spring's wording for a missing required query parameter."""
    raise bad_request(f"Required request parameter '{name}' for method parameter type {kind} is not present")


def channel_of(request: web.Request) -> str:
    """The core channel for ?channel=SMS|RCS|WHATSAPP (required, upper case as documented)."""
    raw = request.query.get("channel")
    if raw is None or raw == "":
        missing("channel", "Channel")
    if raw not in CHANNELS:
        raise bad_request(f"Invalid value '{raw}' for parameter 'channel': expected one of SMS, RCS, WHATSAPP")
    return CHANNELS[raw]


async def single_status(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    channel = channel_of(request)
    customer_id = request.match_info["customerMessageId"]
    message = face.lookup(company, channel, customer_id)
    if message is None:
        raise not_found(f"Message {customer_id} not found for channel {request.query['channel']}")
    return web.json_response(status_view(message))


async def batch_status(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    channel = channel_of(request)
    raw = request.query.getall("ids", []) + request.query.getall("customerMessageIds", [])
    if not raw:
        missing("ids", "List")
    wanted: list[str] = []
    for chunk in raw:
        for item in chunk.split(","):
            item = item.strip()
            if item and item not in wanted:
                wanted.append(item)
    found = [m for m in (face.lookup(company, channel, i) for i in wanted) if m is not None]
    return web.json_response([status_view(m) for m in found])


def _instant(request: web.Request, name: str) -> float:
    raw = request.query.get(name)
    if raw is None or raw == "":
        missing(name, "OffsetDateTime")
    hint = " (a '+' in a query string must be sent as %2B)" if " " in raw else ""
    if not OFFSET_DATE_TIME.match(raw):
        raise bad_request(f"Parameter '{name}' must be an ISO-8601 date-time with an offset, "
                          f"e.g. 2025-01-01T00:00:00+01:00 or 2025-06-15T23:59:59Z; got '{raw}'{hint}")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise bad_request(f"Parameter '{name}' is not a valid date-time: '{raw}'") from exc


async def history(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    """A bare array, newest first; page is 0-based; the last page is the one shorter than limit."""
    channel = channel_of(request)
    start, end = _instant(request, "from"), _instant(request, "to")
    status = request.query.get("status") or None
    if status is not None:
        known = sorted(FLOWS[f"qlara.{channel}"].statuses) if f"qlara.{channel}" in FLOWS else []
        if status not in known:
            raise bad_request(f"Invalid value '{status}' for parameter 'status': expected one of {', '.join(known)}")
    page = query_int(request.query, "page", 0, 0, 10_000_000)
    limit = query_int(request.query, "limit", face.config.history_default_limit, 1, face.config.history_max_limit)
    matched = [m for m in face.messages(company)
               if m.channel == channel and start <= m.created_at <= end and (status is None or m.status == status)]
    matched.sort(key=lambda m: (m.created_at, m.seq), reverse=True)  # same-millisecond sends keep send order
    return web.json_response([status_view(m) for m in matched[page * limit:(page + 1) * limit]])
