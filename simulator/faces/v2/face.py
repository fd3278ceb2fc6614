"""Postman v2 (/api/v2): SMS campaigns, single and batch send, retries, cursor-paginated lists.

The declaration the registry lists: flows, mount, section, banner, and V2App as the runtime."""

from __future__ import annotations

import json
import re
from pathlib import Path

from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo
from simulator.faces.base import FaceDeclaration, section_mapping
from simulator.faces.v2 import billing
from simulator.faces.v2.config import SECTION_SCHEMA, VARIABLE, V2Config, parse_v2_config
from simulator.faces.v2.errors import DOCUMENTED
from simulator.faces.v2.routes import V2App
from simulator.scenarios.model import SimConfig

ERROR_CODES = {
    "delivery_error": ("recipient_invalid", "recipient_unavailable", "content_invalid", "routing_error",
                       "message_expired", "delivery_unknown_error"),
    "server_error": ("server_unknown_error",),
}
DEMO_CAMPAIGN, DEMO_KEY = "campaign_00000000-0000-4000-8000-000000000001", "key_test_postman_sim_demo"


class V2Face(FaceDeclaration[V2Config]):
    """Postman v2: one SMS channel; a campaign is the tenant."""

    id = "v2"
    title = "Postman v2"
    mount = "/api/v2"
    prefixes = ("/api/v2",)
    flows = {"sms": Flow(
        statuses=("created", "enqueued", "sending", "sent", "sent_to_telco", "success", "failure"),
        initial=("created",), terminal=frozenset({"success", "failure"}),
        canonical={"enqueued": "accepted", "sending": "accepted", "sent": "sent", "sent_to_telco": "received",
                   "success": "delivered", "failure": "failed"},
        error_types=frozenset(ERROR_CODES),
        error_codes=frozenset(code for codes in ERROR_CODES.values() for code in codes),
        billing=billing.RULE,
        forced_errors={"failure": ErrorInfo(code="delivery_unknown_error", type="delivery_error")},
    )}
    section = "v2"
    documented_errors = DOCUMENTED  # faults' `error: {code: ...}`
    section_schema = SECTION_SCHEMA
    openapi = Path(__file__).resolve().parent / "openapi.yaml"
    runtime = V2App

    def parse_section(self, section: object) -> V2Config:
        return parse_v2_config(section_mapping(self.section, section))

    def credentials(self, config: SimConfig) -> tuple[str, str] | None:
        """The first configured campaign that has a key: (campaign id, key)."""
        for campaign in config.section(self.section).get("campaigns") or []:
            if campaign.get("keys"):
                return str(campaign["id"]), str(campaign["keys"][0])
        return None

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        campaigns = config.section(self.section).get("campaigns") or []
        values: dict[str, str] = {"body": "Hello from postman-sim"}  # an open-mode campaign's {{body}} template
        language = "english"
        if campaigns and campaigns[0].get("keys"):
            campaign, key = campaigns[0]["id"], campaigns[0]["keys"][0]
            language, body = next(iter((campaigns[0].get("templates") or {"english": "{{body}}"}).items()))
            values = {name: example_value(name) for name in VARIABLE.findall(body)}
        else:
            campaign, key = DEMO_CAMPAIGN, DEMO_KEY
        example = json.dumps({"recipient": "6591234567", "language": language, "values": values},
                             ensure_ascii=False)
        return [f"  v2 API key:  {key}", f"  campaign id: {campaign}",
                f"  try: curl -s -X POST {base_url}{self.mount}/campaigns/{campaign}/messages "
                f"-H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{example}'"]


# Plausible values for the banner's try line, by the template variable's name (a date that reads "Tan" confuses).
EXAMPLE_VALUES = {"name": "Tan", "date": "1 Dec", "time": "10:00", "code": "123456", "otp": "123456",
                  "amount": "12.50", "body": "Hello from postman-sim"}


def example_value(variable: str) -> str:
    """An example for `{{variable}}`: from EXAMPLE_VALUES by the last word of its name, else "example"."""
    word = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", variable.strip())[-1].lower()
    return EXAMPLE_VALUES.get(word, EXAMPLE_VALUES.get(variable.lower(), "example"))


V2 = V2Face()

__all__ = ["V2", "V2Face"]
