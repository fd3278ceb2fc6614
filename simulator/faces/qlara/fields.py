"""Field checks shared by the endpoints (body fields, query parameters); each failure is a 400 naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulator.faces.qlara.errors import bad_request

DESTINATION = re.compile(r"^\+?[1-9]\d{6,14}$")
MAX_ID_LENGTH = 255


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
