"""Agile Telecom Qlara partner gateway (/api): WhatsApp and SMS send, delivery status, history, webhooks.

The declaration the registry lists, and QlaraApp, the runtime: the API's routes and its webhook
registration routes, plus its one /_sim route, POST /_sim/qlara/inbound (a recipient writes to a company,
which opens the 24-hour window), answered in the /_sim surface's {"error": {code, message}} shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.core.timefmt import iso_utc
from simulator.faces.base import SUBSCRIPTIONS, FaceDeclaration, FaceError, admin_route, section_mapping
from simulator.faces.bodies import read_fields
from simulator.faces.jsonio import json_response
from simulator.faces.qlara.config import SECTION_SCHEMA, QlaraConfig, parse_qlara_config
from simulator.faces.qlara.errors import DOCUMENTED
from simulator.faces.qlara.plans import FLOWS
from simulator.faces.qlara.routes import QlaraRoutes
from simulator.faces.qlara.state import Companies, Company
from simulator.faces.qlara.validation import DESTINATION
from simulator.faces.qlara.webhooks import QlaraFormat, WebhookRoutes, push_inbound
from simulator.scenarios.model import SimConfig

INBOUND_FIELDS = {"company": "string", "apiKey": "string", "from": "string", "to": "string|integer", "text": "string"}


def _company(companies: Companies, body: dict[str, Any]) -> Company | None:
    if isinstance(body.get("company"), str):
        return companies.find(body["company"])
    if isinstance(body.get("apiKey"), str):
        return companies.find_by_key(body["apiKey"])
    return None


class QlaraApp(QlaraRoutes, WebhookRoutes):
    """Every Qlara endpoint (send, status, catalog, then the webhook registration) and its /_sim route."""

    @admin_route("POST", "/qlara/inbound")
    async def inbound(self, request: web.Request) -> web.Response:
        body = await read_fields(request, INBOUND_FIELDS, max_bytes=64 * 1024)
        company = _company(self.state.companies, body)
        if company is None:
            raise FaceError(400, "bad_request",
                            "Name the company: 'company' (its id) or 'apiKey' (one of its keys).")
        source = body.get("from")
        if isinstance(source, str):
            source = re.sub(r"[\s\-().]", "", source)  # this is our own surface: spaces and dashes are fine
        if not isinstance(source, str) or not DESTINATION.match(source):
            raise FaceError(400, "bad_request", "'from' must be the recipient's number in international format.")
        to = body.get("to")
        numbers = company.catalog.phone_numbers
        number = next((n for n in numbers if to in (n.id, n.phone_number)), None) if to is not None else (
            numbers[0] if numbers else None)
        if number is None:
            raise FaceError(400, "bad_request",
                            "'to' must be the id or number of one of the company's WhatsApp numbers.")
        text = body.get("text", "Hello")
        if not isinstance(text, str):
            raise FaceError(400, "bad_request", "'text' must be a string.")
        inbound = self.record_inbound(company, source, number.phone_number, text)
        push_inbound(request.config_dict[SUBSCRIPTIONS], inbound)
        return json_response({
            "company": inbound.company, "from": inbound.source, "to": inbound.destination, "text": inbound.text,
            "receivedAt": iso_utc(inbound.at), "windowClosesAt": iso_utc(inbound.window_closes_at),
        }, status=201)


class QlaraDeclaration(FaceDeclaration[QlaraConfig]):
    """Qlara: WhatsApp and SMS; a company is the tenant."""

    id = "qlara"
    title = "Qlara"
    mount = "/api"
    prefixes = ("/api/message-server", "/api/partner-gateway")
    aliases = ("/partner-gateway",)  # the seed and the overview prose write the gateway paths without /api
    flows = FLOWS
    auth_scheme = "api-key"
    section = "qlara"
    documented_errors = DOCUMENTED  # faults' `error: {code: ...}`
    section_schema = SECTION_SCHEMA
    openapi = Path(__file__).resolve().parent / "openapi.yaml"
    formats = (QlaraFormat(),)
    runtime = QlaraApp

    def parse_section(self, section: object) -> QlaraConfig:
        return parse_qlara_config(section_mapping(self.section, section))

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        companies = config.section(self.section).get("companies") or []
        if companies and companies[0].get("api_keys"):
            return [f"  Qlara key:   X-Api-Key: {companies[0]['api_keys'][0]}  (company {companies[0].get('id')})"]
        return []


QLARA = QlaraDeclaration()
