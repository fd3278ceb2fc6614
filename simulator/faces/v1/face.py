"""Postman v1 (/v1): the legacy transactional API for email, SMS and GovSG WhatsApp.

The declaration the registry lists, and V1App, the runtime: the three channel mixins over V1Routes, in
the order their routes are registered (email, SMS, GovSG)."""

from __future__ import annotations

from pathlib import Path

from simulator.faces.base import FaceDeclaration, section_mapping
from simulator.faces.v1.config import SECTION_SCHEMA, V1Config, parse_v1_config
from simulator.faces.v1.email import EmailRoutes
from simulator.faces.v1.errors import DOCUMENTED
from simulator.faces.v1.govsg import GovsgRoutes
from simulator.faces.v1.routes import FLOWS
from simulator.faces.v1.sms import SmsRoutes
from simulator.scenarios.model import SimConfig


class V1App(EmailRoutes, SmsRoutes, GovsgRoutes):
    """Every v1 endpoint: send, list and get for each channel."""


class V1Face(FaceDeclaration[V1Config]):
    """Postman v1: email, SMS and GovSG WhatsApp; each API key is a tenant."""

    id = "v1"
    title = "Postman v1"
    mount = "/v1"
    prefixes = ("/v1",)
    flows = FLOWS
    section = "v1"
    documented_errors = DOCUMENTED  # faults' `error: {code: ...}`
    section_schema = SECTION_SCHEMA
    openapi = Path(__file__).resolve().parent / "openapi.yaml"
    runtime = V1App

    def parse_section(self, section: object) -> V1Config:
        return parse_v1_config(section_mapping(self.section, section))

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        return ["  v1 API key:  any <name>_v1_<secret> in open mode, e.g. demo_v1_c2VjcmV0 (each key is a tenant)"]


V1 = V1Face()

__all__ = ["V1", "V1App", "V1Face"]
