"""The v1 section of scenarios.yaml: keys, rate limit, email from-addresses and blacklist, SMS
credential labels and GovSG templates. A malformed value raises ValueError naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.ratelimit import parse_rate_limit_clock

DEFAULT_FROM = "Postman <info@mail.postman.gov.sg>"
DEFAULT_ADDRESSES = ("info@mail.postman.gov.sg", "donotreply@mail.postman.gov.sg")
LANGUAGES = ("en_GB", "zh_CN", "ms", "ta")
MIB = 1024 * 1024
# Common office, image and archive types; the real allow-list (FileExtensionService) is not published.
ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "txt",
                         "csv", "ics", "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "zip")


@dataclass(frozen=True, slots=True)
class GovsgTemplate:
    id: int
    params: tuple[str, ...]
    languages: frozenset[str]


@dataclass(slots=True)
class V1Config:
    rate_limit: int = 10
    rate_limit_clock: str = "wall"
    keys: frozenset[str] = frozenset()
    default_from: str = DEFAULT_FROM
    verified_from: frozenset[str] = frozenset()
    unverified_from: frozenset[str] = frozenset()
    blacklist: frozenset[str] = frozenset()
    body_max_bytes: int = MIB
    attachment_max_bytes: int = 10 * MIB
    attachments_max_bytes: int = 10 * MIB
    attachment_extensions: frozenset[str] = frozenset(ATTACHMENT_EXTENSIONS)
    sms_credentials: frozenset[str] = frozenset({"default"})
    sms_broken_credentials: frozenset[str] = frozenset()
    sms_status_on_send: str = "UNSENT"
    # Seed vs source (README "Seed vs source"): the source's spelling by default, the seed's on request.
    email_error_fields: str = "snake"                      # camel: errorCode/errorSubType, as seed 004 writes
    govsg_invalid_number_code: str = "api_validation"      # invalid_recipient, as seed 000 writes
    templates: dict[int, GovsgTemplate] = field(default_factory=dict)


_COUNT = {"type": "integer", "minimum": 0}
_STRINGS = {"type": ["array", "null"], "items": {"type": "string"}}
# The JSON Schema of the v1: section, as parse_v1_config reads it (unknown keys are ignored, so allowed).
SECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rate_limit": _COUNT,
        "keys": _STRINGS,
        "email": {"type": ["object", "null"], "properties": {
            "default_from": {"type": "string"},
            **{key: _STRINGS for key in ("verified_from", "unverified_from", "blacklist", "attachment_extensions")},
            **{key: _COUNT for key in ("body_max_bytes", "attachment_max_bytes", "attachments_max_bytes")},
        }},
        "sms": {"type": ["object", "null"], "properties": {
            "credentials": _STRINGS, "broken_credentials": _STRINGS,
            "status_on_send": {"enum": ["UNSENT", "ACCEPTED"]},
        }},
        "govsg": {"type": ["object", "null"], "properties": {
            "templates": {"type": ["array", "null"], "items": {
                "type": "object", "required": ["id"],
                "properties": {"id": {"type": "integer"}, "params": _STRINGS,
                               "languages": {"type": ["array", "null"], "items": {"enum": list(LANGUAGES)}}}}},
        }},
    },
}


def _count(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"v1.{key} must be a whole number >= 0, not {value!r}")
    return value


def _strings(section: Mapping[str, Any], key: str, where: str, lower: bool = False) -> frozenset[str]:
    value = section.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}.{key} must be a list of strings")
    return frozenset(v.strip().lower() if lower else v for v in value)


def _choice(section: Mapping[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed`; the first is the default."""
    value = section.get(key, allowed[0])
    if value not in allowed:
        raise ValueError(f"{where}.{key} must be {' or '.join(allowed)}, not {value!r}")
    return str(value)


def _templates(raw: Any) -> dict[int, GovsgTemplate]:
    if not isinstance(raw, list):
        raise ValueError("v1.govsg.templates must be a list of {id, params, languages}")
    templates = {}
    for spec in raw:
        if not isinstance(spec, Mapping) or isinstance(spec.get("id"), bool) or not isinstance(spec.get("id"), int):
            raise ValueError(f"v1.govsg.templates: each needs a numeric id, not {spec!r}")
        _strings(spec, "params", f"v1.govsg.templates[{spec['id']}]")
        languages = _strings(spec, "languages", f"v1.govsg.templates[{spec['id']}]") or frozenset({"en_GB"})
        unknown = languages - set(LANGUAGES)
        if unknown:
            raise ValueError(f"v1.govsg.templates[{spec['id']}]: unknown language(s) {sorted(unknown)}; "
                             f"expected {LANGUAGES}")
        params = tuple(str(p) for p in spec.get("params") or [])
        templates[spec["id"]] = GovsgTemplate(id=spec["id"], params=params, languages=languages)
    return templates


def parse_v1_config(section: Mapping[str, Any]) -> V1Config:
    config = V1Config()
    config.rate_limit = _count(section, "rate_limit", config.rate_limit)
    config.rate_limit_clock = parse_rate_limit_clock("v1", section.get("rate_limit_clock", "wall"))
    config.keys = _strings(section, "keys", "v1")
    email = section.get("email") or {}
    sms = section.get("sms") or {}
    govsg = section.get("govsg") or {}
    for name, part in (("email", email), ("sms", sms), ("govsg", govsg)):
        if not isinstance(part, Mapping):
            raise ValueError(f"v1.{name} must be a mapping")
    if "default_from" in email:
        if not isinstance(email["default_from"], str):
            raise ValueError("v1.email.default_from must be a string like 'Postman <info@mail.postman.gov.sg>'")
        config.default_from = email["default_from"]
    config.verified_from = _strings(email, "verified_from", "v1.email", lower=True)
    config.unverified_from = _strings(email, "unverified_from", "v1.email", lower=True)
    config.blacklist = _strings(email, "blacklist", "v1.email", lower=True)
    for key in ("body_max_bytes", "attachment_max_bytes", "attachments_max_bytes"):
        setattr(config, key, _count(email, key, getattr(config, key)))
    if "attachment_extensions" in email:
        config.attachment_extensions = _strings(email, "attachment_extensions", "v1.email", lower=True)
    if "credentials" in sms:
        config.sms_credentials = _strings(sms, "credentials", "v1.sms")
    config.sms_broken_credentials = _strings(sms, "broken_credentials", "v1.sms")
    status = sms.get("status_on_send", "UNSENT")
    if status not in ("UNSENT", "ACCEPTED"):
        raise ValueError(f"v1.sms.status_on_send must be UNSENT or ACCEPTED, not {status!r}")
    config.sms_status_on_send = status
    config.email_error_fields = _choice(email, "error_fields", "v1.email", ("snake", "camel"))
    config.govsg_invalid_number_code = _choice(govsg, "invalid_number_code", "v1.govsg",
                                               ("api_validation", "invalid_recipient"))
    config.templates = _templates(govsg.get("templates") or [])
    return config
