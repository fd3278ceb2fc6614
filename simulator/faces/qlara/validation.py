"""Field checks for every endpoint (body fields, query parameters, credentials, callback URLs); each
failure is a 400 naming the field, in Qlara's (Spring's) wording where it has one."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit

from aiohttp import web

from simulator.faces.common import spoiled_at
from simulator.faces.qlara.config import Template
from simulator.faces.qlara.errors import bad_request
from simulator.faces.qlara.serialise import CHANNELS
from simulator.faces.qlara.state import Company, Credential

DESTINATION = re.compile(r"^\+?[1-9][0-9]{6,14}$")
MAX_ID_LENGTH = 255
SENDER = re.compile(r"^(?:[A-Za-z0-9 .\-_&]{1,11}|\+?[0-9]{1,16})$")
UDH = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
SMS_PLACEHOLDER = re.compile(r"{(\w+)}")
SCHEDULED_FORMAT = "%Y-%m-%d %H:%M:%S.%f%z"
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker", "location")
MAX_WHATSAPP_TEXT = 4096
MAX_URL_LENGTH = 2048
# ISO-8601 OffsetDateTime: a date, a time and an offset (Z or +hh:mm). Dates alone are refused.
OFFSET_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$",
                              re.ASCII)


def credential(request: web.Request) -> Credential | None:
    """The credential the request carries; headers are case-insensitive. The API key wins over Basic."""
    key = request.headers.get("X-Api-Key")
    if key is not None:
        key = key.strip()
        return Credential("key", key) if key else None
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        return None
    return Credential("basic", username, password)


def destination(body: dict[str, Any]) -> str:
    value = body.get("destination")
    if not isinstance(value, str) or not value.strip():
        raise bad_request("destination is required")
    value = value.strip()
    if not DESTINATION.match(value):
        raise bad_request("destination must be a phone number in international format, e.g. +393401234567")
    return value


def optional_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be a boolean")
    return value


def optional_text(body: dict[str, Any], key: str, max_length: int = MAX_ID_LENGTH) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{key} must be a non-empty string")
    if len(value) > max_length:
        raise bad_request(f"{key} must be at most {max_length} characters")
    return value


def message_id(body: dict[str, Any]) -> str | None:
    """The caller's own id; commas are refused because batch status lookups split on them."""
    value = optional_text(body, "messageId")
    if value is not None and "," in value:
        raise bad_request("messageId must not contain commas (batch status lookups separate ids with commas)")
    return value


def query_int(query: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter (absent or empty: `default`) within [minimum, maximum]."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"Parameter '{name}' must be an integer, not '{raw}'") from exc
    if not minimum <= value <= maximum:
        raise bad_request(f"Parameter '{name}' must be between {minimum} and {maximum}")
    return value


def phone_number_id(body: dict[str, Any]) -> int:
    value = body.get("phoneNumberId")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("phoneNumberId is required and must be an integer (see GET /whatsapp/phone-numbers)")
    return value


def template(body: dict[str, Any], company: Company, phone_number_id: int) -> tuple[Template, list[str]]:
    raw = body["template"]
    if not isinstance(raw, dict):
        raise bad_request("template must be an object with id (or name and language) and parameters")
    usable = (None, phone_number_id)  # a template of the company's catalog for every number, or for this one
    template_id, name, language = raw.get("id"), raw.get("name"), raw.get("language")
    for key, value in (("name", name), ("language", language)):
        if value is not None and not isinstance(value, str):
            raise bad_request(f"template.{key} must be a string")
    if template_id is not None:
        if isinstance(template_id, bool) or not isinstance(template_id, int):
            raise bad_request("template.id must be an integer")
        found = next((t for t in company.catalog.templates if t.id == template_id and t.phone_number_id in usable),
                     None)
    else:
        if not name:
            raise bad_request("template needs an id, or a name (and optionally a language)")
        found = next((t for t in company.catalog.templates
                      if t.name == name and language in (None, t.language) and t.phone_number_id in usable), None)
    if found is None:
        raise bad_request("Template not found for this phoneNumberId")
    parameters = raw.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise bad_request("template.parameters must be a list of strings")
    values: list[str] = parameters
    if len(values) < found.parameter_count:
        raise bad_request(f"Template {found.name} needs {found.parameter_count} parameter(s), got {len(values)}")
    return found, values


def free_form(raw: Any) -> tuple[dict[str, Any], str]:
    """The free-form body (a string, or an object with a type) and its text for matching."""
    if isinstance(raw, str):
        raw = {"type": "text", "text": raw}
    if not isinstance(raw, dict):
        raise bad_request('body must be a string or an object such as {"type": "text", "text": "..."}')
    kind = raw.get("type", "text")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("body.text is required for a text message")
        if len(text) > MAX_WHATSAPP_TEXT:
            raise bad_request(f"body.text must be at most {MAX_WHATSAPP_TEXT} characters")
        return dict(raw, type="text"), text
    if kind not in MEDIA_TYPES:
        raise bad_request(f"body.type must be one of {['text', *MEDIA_TYPES]}")
    caption = raw.get("caption")
    if caption is not None and not isinstance(caption, str):
        raise bad_request("body.caption must be a string")
    return dict(raw), caption or ""


def placeholders(body: dict[str, Any], text: str) -> str:
    raw = body.get("placeholders")
    if raw is None:
        return text
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise bad_request('placeholders must be an object of strings, e.g. {"name": "Mario"}')
    return SMS_PLACEHOLDER.sub(lambda m: raw.get(m.group(1), m.group(0)), text)


def scheduled(body: dict[str, Any]) -> float | None:
    raw = body.get("scheduledDate")
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return datetime.strptime(raw, SCHEDULED_FORMAT).timestamp()
    except ValueError as exc:
        raise bad_request("scheduledDate must look like 2025-10-01 09:00:00.000+0000") from exc


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


def instant(request: web.Request, name: str) -> float:
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


def paging(request: web.Request, default_limit: int) -> tuple[int, int]:
    """(page, limit) with page 0-based."""
    return (query_int(request.query, "page", 0, 0, 1000),
            query_int(request.query, "limit", default_limit, 1, 1000))


def callback_url_problem(value: Any, http_hosts: Iterable[str]) -> str | None:
    """Why `value` is not an acceptable callbackUrl (HTTPS; plain HTTP only to local hosts), or None."""
    if not isinstance(value, str) or not value.strip():
        return "callbackUrl is required"
    if len(value) > MAX_URL_LENGTH:
        return f"callbackUrl must be at most {MAX_URL_LENGTH} characters"
    if spoiled_at(value) is not None:
        return "callbackUrl must not contain whitespace or control characters (percent-encode a space as %20)"
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return "callbackUrl must be a valid URL"
    if not host:
        return "callbackUrl must be an absolute URL, e.g. https://your-server.example.com/webhook"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and host in set(http_hosts):
        return None
    return "callbackUrl must use HTTPS"
