"""Postman v1 (/v1): the legacy transactional API for email, SMS and GovSG WhatsApp."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo
from simulator.faces.base import FaceDeclaration, section_mapping
from simulator.faces.v1.config import V1Config, parse_v1_config
from simulator.faces.v1.routes import create_face
from simulator.scenarios.model import SimConfig

UNKNOWN_WHATSAPP = ErrorInfo(code="131000", description="Something went wrong: message failed to send")
# The answers `faults:` give on /v1, with the codes of postmangovsg's rest-api errors.
FAULTS = {
    429: ("rate_limit", "Too many requests. Please try again later."),
    500: ("internal_server", "Internal Server Error."),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}


class V1Face(FaceDeclaration[V1Config]):
    """The v1 declaration (an adapter over create_face until the face is a FaceApp)."""

    id = "v1"
    title = "Postman v1"
    mount = "/v1"
    prefixes = ("/v1",)
    flows = {
        "email": Flow(
            statuses=("UNSENT", "ACCEPTED", "SENT", "BOUNCED", "DELIVERED", "OPENED", "COMPLAINT"),
            initial=("UNSENT",), terminal=frozenset({"BOUNCED", "COMPLAINT"}),
            canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "OPENED": "read",
                       "BOUNCED": "failed", "COMPLAINT": "complained"},
            forced_errors={"BOUNCED": ErrorInfo(code="Hard bounce", sub_type="General"),
                           "COMPLAINT": ErrorInfo(code="abuse")},
        ),
        "sms": Flow(
            statuses=("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "ERROR"),
            initial=("UNSENT",), terminal=frozenset({"DELIVERED", "ERROR"}),
            canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "ERROR": "failed"},
            forced_errors={"ERROR": ErrorInfo(code="30008", description="Unknown error")},
        ),
        "whatsapp": Flow(
            statuses=("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "READ", "ERROR", "INVALID_RECIPIENT"),
            initial=("UNSENT",), terminal=frozenset({"READ", "ERROR", "INVALID_RECIPIENT"}),
            canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "READ": "read",
                       "ERROR": "failed", "INVALID_RECIPIENT": "failed"},
            forced_errors={"ERROR": UNKNOWN_WHATSAPP},
        ),
    }
    section = "v1"
    section_schema: dict[str, Any] = {"type": "object"}
    openapi = Path(__file__).resolve().parents[2] / "openapi" / "v1.yaml"

    def parse_section(self, section: object) -> V1Config:
        return parse_v1_config(section_mapping(self.section, section))

    def create_app(self, engine: Engine, config: SimConfig) -> web.Application:
        return create_face(engine, config)

    def error_body(self, request: web.Request, status: int, code: str | None = None,
                   message: str | None = None, *, retry_after: int = 1) -> web.Response:
        default_code, default_message = FAULTS[status]
        return web.json_response({"code": code or default_code, "message": message or default_message},
                                 status=status)

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        return ["  v1 API key:  any <name>_v1_<secret> in open mode, e.g. demo_v1_c2VjcmV0 (each key is a tenant)"]


V1 = V1Face()

__all__ = ["V1", "V1Face", "create_face"]
