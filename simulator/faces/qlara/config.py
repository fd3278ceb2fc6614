"""The qlara section of scenarios.yaml: companies, their credentials, WhatsApp numbers and templates, limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.ratelimit import Limit, parse_rate_limit_clock

# Open mode: a key this shape is accepted as its own company. Qlara does not publish its key format.
KEY_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{7,127}$")
TEMPLATE_STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
PLACEHOLDER = re.compile(r"{{\s*(\d+)\s*}}")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A WhatsApp Business sender; its `id` is the `phoneNumberId` of send requests."""

    id: int
    phone_number: str
    verified_name: str
    quality_rating: str = "GREEN"
    status: str = "CONNECTED"

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "phoneNumber": self.phone_number, "verifiedName": self.verified_name,
                "qualityRating": self.quality_rating, "status": self.status}


@dataclass(frozen=True, slots=True)
class Template:
    """A Meta template as the templates endpoint lists it; only APPROVED ones are delivered."""

    id: int
    name: str
    language: str
    category: str
    status: str
    components: tuple[Mapping[str, Any], ...]
    phone_number_id: int | None = None  # None: usable from every number of the company

    # The body split at its {{n}} placeholders once, when the template is made (a send renders it and counts its
    # parameters): literal text at even positions, placeholders as (1-based number, as written) at odd ones.
    _pieces: tuple[str | tuple[int, str], ...] = field(init=False, repr=False, compare=False)
    parameter_count: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces: list[str | tuple[int, str]] = []
        body = self.body_text
        last = 0
        for match in PLACEHOLDER.finditer(body):
            pieces += [body[last:match.start()], (int(match.group(1)), match.group(0))]
            last = match.end()
        pieces.append(body[last:])
        object.__setattr__(self, "_pieces", tuple(pieces))
        object.__setattr__(self, "parameter_count", max((p[0] for p in pieces if isinstance(p, tuple)), default=0))

    @property
    def body_text(self) -> str:
        for component in self.components:
            if str(component.get("type", "")).upper() == "BODY":
                return str(component.get("text", ""))
        return ""

    def render(self, parameters: list[str]) -> str:
        """The body with {{n}} as parameters[n-1]; a placeholder with no parameter stays as written."""
        count = len(parameters)
        return "".join(piece if isinstance(piece, str) else
                       parameters[piece[0] - 1] if 0 < piece[0] <= count else piece[1] for piece in self._pieces)

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "language": self.language, "category": self.category,
                "status": self.status, "components": [dict(c) for c in self.components]}


@dataclass(frozen=True, slots=True)
class Catalog:
    phone_numbers: tuple[PhoneNumber, ...]
    templates: tuple[Template, ...]

    def phone_number(self, number_id: int) -> PhoneNumber | None:
        return next((p for p in self.phone_numbers if p.id == number_id), None)


@dataclass(frozen=True, slots=True)
class CompanySpec:
    id: str
    name: str
    api_keys: frozenset[str]
    basic: Mapping[str, str]           # username -> password
    catalog: Catalog
    limits: tuple[Limit, ...] | None   # None: the face-wide limits
    restricted: bool = False           # a restricted/banned WhatsApp Business account


@dataclass(frozen=True, slots=True)
class Timelines:
    """Named timelines for outcomes the face decides itself (not by recipient)."""

    window_closed: str = "qlara.whatsapp.window_closed"
    template_rejected: str = "qlara.whatsapp.template_rejected"
    account_restricted: str = "qlara.whatsapp.account_restricted"


DEFAULT_CATALOG = Catalog(
    phone_numbers=(PhoneNumber(1, "+390000000001", "Qlara Simulator"),),
    templates=(Template(1, "hello_world", "en", "UTILITY", "APPROVED",
                        ({"type": "BODY", "text": "Hello {{1}}, this is a message from the simulator."},)),),
)


@dataclass(slots=True)
class QlaraConfig:
    limits: tuple[Limit, ...] = (Limit(50, 1.0), Limit(1000, 60.0))
    rate_limit_clock: str = "wall"
    window_hours: float = 24.0
    timelines: Timelines = field(default_factory=Timelines)
    callback_http_hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})
    max_body_bytes: int = 1024 * 1024
    history_default_limit: int = 20
    history_max_limit: int = 1000
    open_catalog: Catalog = DEFAULT_CATALOG
    companies: tuple[CompanySpec, ...] = ()


_TEXT = {"type": "string", "minLength": 1}
_LIMITS = {"oneOf": [{"const": 0}, {"type": "object", "additionalProperties": False, "properties": {
    "per_second": {"type": "integer", "minimum": 0}, "per_minute": {"type": "integer", "minimum": 0}}}]}
_CATALOG = {
    "phone_numbers": {"type": "array", "items": {
        "type": "object", "required": ["id", "phoneNumber"],
        "properties": {"id": {"type": "integer", "minimum": 1}, "phoneNumber": _TEXT, "verifiedName": _TEXT,
                       "qualityRating": _TEXT, "status": _TEXT}}},
    "templates": {"type": "array", "items": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer", "minimum": 1}, "name": _TEXT, "language": _TEXT,
                       "category": _TEXT, "status": {"enum": list(TEMPLATE_STATUSES)},
                       "components": {"type": ["array", "null"], "items": {"type": "object"}},
                       "phoneNumberId": {"type": ["integer", "null"], "minimum": 1}}}},
}
# The JSON Schema of the qlara: section, as parse_qlara_config reads it (unknown top-level keys are ignored).
SECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rate_limit": _LIMITS,
        "window_hours": {"type": "number", "exclusiveMinimum": 0},
        **{key: {"type": "integer", "minimum": 1}
           for key in ("max_body_bytes", "history_default_limit", "history_max_limit")},
        "timelines": {"type": ["object", "null"], "additionalProperties": False,
                      "properties": {k: _TEXT for k in ("window_closed", "template_rejected", "account_restricted")}},
        "callback_http_hosts": {"type": ["array", "null"], "items": {"type": "string"}},
        "open_company": {"type": ["object", "null"], "properties": _CATALOG},
        "companies": {"type": ["array", "null"], "items": {
            "type": "object", "required": ["id"],
            "properties": {
                "id": _TEXT, "name": {"type": "string"}, "restricted": {"type": "boolean"},
                "api_keys": {"type": ["array", "null"], "items": _TEXT},
                "basic": {"type": ["array", "null"], "items": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": _TEXT, "password": _TEXT}}},
                "rate_limit": {"oneOf": [{"type": "null"}, _LIMITS]},
                **_CATALOG,
            }}},
    },
}


def _int(where: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where} must be a whole number >= {minimum}, not {value!r}")
    return value


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where} must be a non-empty string (quote phone numbers), not {value!r}")
    return value


def parse_limits(where: str, raw: Any) -> tuple[Limit, ...]:
    """{per_minute: 1000, per_second: 50}; a 0 drops that limit, and `rate_limit: 0` drops both."""
    if raw == 0 and not isinstance(raw, bool):
        return ()
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping like {{per_minute: 1000, per_second: 50}}")
    unknown = set(raw) - {"per_second", "per_minute"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; use per_second and per_minute")
    limits = []
    for key, window in (("per_second", 1.0), ("per_minute", 60.0)):
        count = _int(f"{where}.{key}", raw.get(key, 0))
        if count:
            limits.append(Limit(count, window))
    return tuple(limits)


def _phone_number(where: str, raw: Any) -> PhoneNumber:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping with id, phoneNumber and verifiedName")
    return PhoneNumber(
        id=_int(f"{where}.id", raw.get("id"), 1),
        phone_number=_str(f"{where}.phoneNumber", raw.get("phoneNumber")),
        verified_name=_str(f"{where}.verifiedName", raw.get("verifiedName", "Business")),
        quality_rating=_str(f"{where}.qualityRating", raw.get("qualityRating", "GREEN")),
        status=_str(f"{where}.status", raw.get("status", "CONNECTED")),
    )


def _template(where: str, raw: Any) -> Template:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping with id, name, language, category, status, components")
    status = raw.get("status", "APPROVED")
    if status not in TEMPLATE_STATUSES:
        raise ValueError(f"{where}.status must be one of {TEMPLATE_STATUSES}, not {status!r}")
    components = raw.get("components") or []
    if not isinstance(components, list) or not all(isinstance(c, Mapping) for c in components):
        raise ValueError(f"{where}.components must be a list of mappings like {{type: BODY, text: ...}}")
    number = raw.get("phoneNumberId")
    template_id, name = _int(f"{where}.id", raw.get("id"), 1), _str(f"{where}.name", raw.get("name"))
    language = _str(f"{where}.language", raw.get("language", "en"))
    category = _str(f"{where}.category", raw.get("category", "UTILITY"))
    phone_number_id = None if number is None else _int(f"{where}.phoneNumberId", number, 1)
    try:
        return Template(id=template_id, name=name, language=language, category=category, status=status,
                        components=tuple(dict(c) for c in components), phone_number_id=phone_number_id)
    except ValueError:  # from int(): a {{n}} in the body whose n has more digits than Python reads (4,300)
        raise ValueError(f"{where}.components: a {{{{n}}}} placeholder's number is too long") from None


def _catalog(where: str, raw: Mapping[str, Any], fallback: Catalog) -> Catalog:
    numbers = raw.get("phone_numbers")
    templates = raw.get("templates")
    if numbers is not None and not isinstance(numbers, list):
        raise ValueError(f"{where}.phone_numbers must be a list")
    if templates is not None and not isinstance(templates, list):
        raise ValueError(f"{where}.templates must be a list")
    return Catalog(
        phone_numbers=fallback.phone_numbers if numbers is None else tuple(
            _phone_number(f"{where}.phone_numbers[{i}]", n) for i, n in enumerate(numbers)),
        templates=fallback.templates if templates is None else tuple(
            _template(f"{where}.templates[{i}]", t) for i, t in enumerate(templates)),
    )


def _company(where: str, raw: Any, fallback: Catalog) -> CompanySpec:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping with id, api_keys and/or basic")
    company_id = _str(f"{where}.id", raw.get("id"))
    keys = raw.get("api_keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise ValueError(f"{where}.api_keys must be a list of strings")
    basic: dict[str, str] = {}
    for i, item in enumerate(raw.get("basic") or []):
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}.basic[{i}] must be {{username: ..., password: ...}}")
        basic[_str(f"{where}.basic[{i}].username", item.get("username"))] = _str(
            f"{where}.basic[{i}].password", item.get("password"))
    limits = None if raw.get("rate_limit") is None else parse_limits(f"{where}.rate_limit", raw["rate_limit"])
    return CompanySpec(
        id=company_id, name=str(raw.get("name", company_id)), api_keys=frozenset(keys), basic=basic,
        catalog=_catalog(where, raw, fallback), limits=limits, restricted=bool(raw.get("restricted", False)),
    )


def parse_qlara_config(section: Mapping[str, Any]) -> QlaraConfig:
    """Read the qlara section; a malformed value raises ValueError naming the key."""
    config = QlaraConfig()
    if "rate_limit" in section:
        config.limits = parse_limits("qlara.rate_limit", section["rate_limit"])
    config.rate_limit_clock = parse_rate_limit_clock("qlara", section.get("rate_limit_clock", "wall"))
    if "window_hours" in section:
        hours = section["window_hours"]
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise ValueError(f"qlara.window_hours must be a number > 0, not {hours!r}")
        config.window_hours = float(hours)
    for key in ("max_body_bytes", "history_default_limit", "history_max_limit"):
        if key in section:
            setattr(config, key, _int(f"qlara.{key}", section[key], 1))
    timelines = section.get("timelines") or {}
    if not isinstance(timelines, Mapping):
        raise ValueError("qlara.timelines must map window_closed/template_rejected/account_restricted to names")
    unknown = set(timelines) - {"window_closed", "template_rejected", "account_restricted"}
    if unknown:
        raise ValueError(f"qlara.timelines: unknown key(s) {sorted(unknown)}")
    config.timelines = Timelines(**{k: _str(f"qlara.timelines.{k}", v) for k, v in timelines.items()})
    hosts = section.get("callback_http_hosts")
    if hosts is not None:
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ValueError("qlara.callback_http_hosts must be a list of host names")
        config.callback_http_hosts = frozenset(h.lower() for h in hosts)
    open_company = section.get("open_company") or {}
    if not isinstance(open_company, Mapping):
        raise ValueError("qlara.open_company must be a mapping with phone_numbers and templates")
    config.open_catalog = _catalog("qlara.open_company", open_company, DEFAULT_CATALOG)
    companies = section.get("companies") or []
    if not isinstance(companies, list):
        raise ValueError("qlara.companies must be a list")
    config.companies = tuple(_company(f"qlara.companies[{i}]", c, config.open_catalog)
                             for i, c in enumerate(companies))
    ids = [c.id for c in config.companies]
    if len(set(ids)) != len(ids):
        raise ValueError("qlara.companies: company ids must be unique")
    keys = [k for c in config.companies for k in c.api_keys]
    if len(set(keys)) != len(keys):
        raise ValueError("qlara.companies: an API key may belong to one company only")
    return config
