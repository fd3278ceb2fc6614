"""POST /_sim/qlara/inbound: a recipient writes to a company, which opens the 24-hour window.

Registered on the /_sim sub-application; answers in that surface's {"error": {code, message}} shape.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from simulator.admin.bodies import read_fields
from simulator.core.timefmt import iso_utc
from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.face import QLARA_FACE, QlaraFace
from simulator.faces.qlara.fields import DESTINATION

INBOUND_FIELDS = {"company": "string", "apiKey": "string", "from": "string", "to": "string|integer", "text": "string"}


def _problem(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _company(face: QlaraFace, body: dict[str, Any]) -> Company | None:
    if isinstance(body.get("company"), str):
        return face.companies.find(body["company"])
    if isinstance(body.get("apiKey"), str):
        return face.companies.find_by_key(body["apiKey"])
    return None


async def simulate_inbound(request: web.Request) -> web.Response:
    face = request.config_dict.get(QLARA_FACE)
    if face is None:
        return _problem(404, "not_found", "The Qlara face is not mounted.")
    body = await read_fields(request, INBOUND_FIELDS, max_bytes=64 * 1024)
    company = _company(face, body)
    if company is None:
        return _problem(400, "bad_request", "Name the company: 'company' (its id) or 'apiKey' (one of its keys).")
    source = body.get("from")
    if isinstance(source, str):
        source = re.sub(r"[\s\-().]", "", source)  # this is our own surface: spaces and dashes are fine
    if not isinstance(source, str) or not DESTINATION.match(source):
        return _problem(400, "bad_request", "'from' must be the recipient's number in international format.")
    to = body.get("to")
    numbers = company.catalog.phone_numbers
    number = next((n for n in numbers if to in (n.id, n.phone_number)), None) if to is not None else (
        numbers[0] if numbers else None)
    if number is None:
        return _problem(400, "bad_request", "'to' must be the id or number of one of the company's WhatsApp numbers.")
    text = body.get("text", "Hello")
    if not isinstance(text, str):
        return _problem(400, "bad_request", "'text' must be a string.")
    inbound = face.record_inbound(company, source, number.phone_number, text)
    return web.json_response({
        "company": inbound.company, "from": inbound.source, "to": inbound.destination, "text": inbound.text,
        "receivedAt": iso_utc(inbound.at), "windowClosesAt": iso_utc(inbound.window_closes_at),
    }, status=201)
