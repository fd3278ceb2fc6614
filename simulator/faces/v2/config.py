"""The v2 section of scenarios.yaml: campaigns, their keys and templates, and the face's limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.ids import IdFactory
from simulator.core.ratelimit import parse_rate_limit_clock

LANGUAGES = ("english", "chinese", "malay", "tamil")
VARIABLE = re.compile(r"{{\s*([a-z0-9_]+)\s*}}")
KEY_FORMAT = re.compile(r"^key_[A-Za-z0-9_\-]+$")
CAMPAIGN_FORMAT = re.compile(r"^campaign_[A-Za-z0-9\-]+$")
TEST_PREFIX = "This is a test message used for training purposes.\n\n"
DEFAULT_HEADER = "Open Government Products"
DEFAULT_FOOTER = "This is an automated message sent by the Singapore Government."


@dataclass(slots=True)
class Template:
    """One language's body, with its ids as the real API reports them."""

    language: str
    body: str
    id: str
    template_id: str
    variables: frozenset[str]
    created_at: float
    # The body split at its {{ name }} placeholders, once: (text before the first, ((name, as written, text
    # after), ...)). Rendering joins these; a regex substitution per send showed in profiles.
    _parts: tuple[str, tuple[tuple[str, str, str], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces = VARIABLE.split(self.body)  # text, name, text, name, ..., text
        found = [m.group(0) for m in VARIABLE.finditer(self.body)]
        self._parts = (pieces[0], tuple(zip(pieces[1::2], found, pieces[2::2], strict=True)))

    def render(self, values: Mapping[str, str]) -> str:
        """The body with each {{ name }} replaced by its value (left as written when there is none)."""
        head, rest = self._parts
        if not rest:
            return head
        out = [head]
        for name, written, text in rest:
            out.append(values.get(name, written))
            out.append(text)
        return "".join(out)


@dataclass(slots=True)
class Campaign:
    id: str
    keys: frozenset[str]
    templates: dict[str, Template]
    header: str
    footer: str
    creator_id: str
    configured: bool

    @property
    def creator_email(self) -> str:
        return f"{self.id}@postman.gov.sg"

    def full_message(self, body: str) -> str:
        """The test environment's layout: training prefix, agency header, body, government footer."""
        return f"{TEST_PREFIX}{self.header}\n\n---\n\n{body}\n\n---\n\n{self.footer}"


@dataclass(slots=True)
class V2Config:
    rate_limit: int = 10
    rate_limit_clock: str = "wall"
    batch_max_rows: int = 20
    batch_max_bytes: int = 40 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024
    max_message_chars: int = 1000
    list_default_limit: int = 10
    unauthorized_body: str = "error"
    campaign_specs: list[Mapping[str, Any]] = field(default_factory=list)


_COUNT = {"type": "integer", "minimum": 0}
# The JSON Schema of the v2: section, as parse_v2_config reads it (unknown keys are ignored, so allowed).
SECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{key: _COUNT for key in ("rate_limit", "batch_max_rows", "batch_max_bytes", "max_body_bytes",
                                   "max_message_chars", "list_default_limit")},
        "unauthorized_body": {"enum": ["error", "legacy"]},
        "campaigns": {"type": ["array", "null"], "items": {
            "type": "object", "required": ["id", "templates"],
            "properties": {
                "id": {"type": "string", "pattern": CAMPAIGN_FORMAT.pattern},
                "keys": {"type": ["array", "null"], "items": {"type": "string", "pattern": KEY_FORMAT.pattern}},
                "templates": {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(LANGUAGES)},
                              "additionalProperties": {"type": "string"}},
                "header": {"type": "string"}, "footer": {"type": "string"},
            }}},
    },
}


def parse_v2_config(section: Mapping[str, Any]) -> V2Config:
    """Read the v2 section; a malformed value raises ValueError naming the key."""
    config = V2Config()
    for key in ("rate_limit", "batch_max_rows", "batch_max_bytes", "max_body_bytes", "max_message_chars",
                "list_default_limit"):
        if key in section:
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"v2.{key} must be a whole number >= 0, not {value!r}")
            setattr(config, key, value)
    config.rate_limit_clock = parse_rate_limit_clock("v2", section.get("rate_limit_clock", "wall"))
    body = section.get("unauthorized_body", "error")
    if body not in ("error", "legacy"):
        raise ValueError(f"v2.unauthorized_body must be 'error' or 'legacy', not {body!r}")
    config.unauthorized_body = body
    campaigns = section.get("campaigns") or []
    if not isinstance(campaigns, list) or not all(isinstance(c, Mapping) for c in campaigns):
        raise ValueError("v2.campaigns must be a list of {id, keys, templates}")
    for spec in campaigns:
        if not isinstance(spec.get("id"), str) or not CAMPAIGN_FORMAT.match(spec["id"]):
            raise ValueError(f"v2.campaigns: id must look like campaign_<uuid>, not {spec.get('id')!r}")
        keys = spec.get("keys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) and KEY_FORMAT.match(k) for k in keys):
            raise ValueError(f"v2.campaigns {spec['id']}: keys must be a list of strings like key_test_...")
        templates = spec.get("templates") or {}
        if not isinstance(templates, Mapping) or not templates or any(
                lang not in LANGUAGES or not isinstance(body, str) for lang, body in templates.items()):
            raise ValueError(f"v2.campaigns {spec['id']}: templates must map languages {LANGUAGES} to text")
    config.campaign_specs = list(campaigns)
    return config


def build_campaign(spec: Mapping[str, Any], ids: IdFactory, now: float, configured: bool) -> Campaign:
    template_id = ids.prefixed("template")
    templates = {
        lang: Template(language=lang, body=body, id=ids.prefixed("template_body"), template_id=template_id,
                       variables=frozenset(VARIABLE.findall(body)), created_at=now)
        for lang, body in spec["templates"].items()
    }
    return Campaign(
        id=spec["id"], keys=frozenset(spec.get("keys") or ()), templates=templates,
        header=str(spec.get("header", DEFAULT_HEADER)), footer=str(spec.get("footer", DEFAULT_FOOTER)),
        creator_id=ids.prefixed("user"), configured=configured,
    )


def open_campaign_spec(campaign_id: str) -> dict[str, Any]:
    """Open mode: an unknown campaign gets a {{body}} template in all four languages."""
    return {"id": campaign_id, "keys": [], "templates": {lang: "{{body}}" for lang in LANGUAGES}}
