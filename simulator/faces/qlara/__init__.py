"""Agile Telecom Qlara partner gateway (/api): WhatsApp and SMS send, delivery status, history, webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo
from simulator.faces.base import FaceDeclaration, section_mapping
from simulator.faces.qlara import errors
from simulator.faces.qlara.config import QlaraConfig, parse_qlara_config
from simulator.faces.qlara.face import QLARA_FACE, Inbound, QlaraFace
from simulator.faces.qlara.routes import create_face
from simulator.faces.qlara.sim import simulate_inbound
from simulator.faces.qlara.webhooks import inbound_pusher
from simulator.scenarios.model import SimConfig
from simulator.state import ENGINE

# The answers `faults:` give on Qlara's paths (its 429 is the documented rate-limit body).
FAULT_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                  504: "Gateway timeout"}


class QlaraDeclaration(FaceDeclaration[QlaraConfig]):
    """The Qlara declaration (an adapter over create_face until the face is a FaceApp)."""

    id = "qlara"
    title = "Qlara"
    mount = "/api"
    prefixes = ("/api/message-server", "/api/partner-gateway")
    flows = {
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
    section = "qlara"
    section_schema: dict[str, Any] = {"type": "object"}
    openapi = Path(__file__).resolve().parents[2] / "openapi" / "qlara.yaml"

    def parse_section(self, section: object) -> QlaraConfig:
        return parse_qlara_config(section_mapping(self.section, section))

    def create_app(self, engine: Engine, config: SimConfig) -> web.Application:
        return create_face(engine, config)

    def error_body(self, request: web.Request, status: int, code: str | None = None,
                   message: str | None = None, *, retry_after: int = 1) -> web.Response:
        if status == 429:
            return web.json_response(errors.rate_limited_body(retry_after), status=status)
        now = request.config_dict[ENGINE].clock.now()
        body = errors.error_body(status, message or FAULT_MESSAGES[status], request.path, now)
        return web.json_response(body, status=status)

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        companies = config.section(self.section).get("companies") or []
        if companies and companies[0].get("api_keys"):
            return [f"  Qlara key:   X-Api-Key: {companies[0]['api_keys'][0]}  (company {companies[0].get('id')})"]
        return []

    def admin_routes(self, app: web.Application) -> list[web.RouteDef]:
        """None yet: admin/routes.py still registers /_sim/qlara/inbound (simulate_inbound) itself. The change
        that drops that line there returns `[web.post("/qlara/inbound", simulate_inbound)]` here (issue 11)."""
        return []


QLARA = QlaraDeclaration()

__all__ = ["QLARA", "QLARA_FACE", "Inbound", "QlaraDeclaration", "QlaraFace", "create_face", "inbound_pusher",
           "simulate_inbound"]
