"""Small helpers every face uses to read requests without ever answering with a 500."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class BadBody(ValueError):
    """The request body is not the JSON object the endpoint needs."""


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    """Read a JSON object body; BadBody on malformed JSON, a non-object, or more than max_bytes."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody("too large")
    raw = await request.read()
    if len(raw) > max_bytes:
        raise BadBody("too large")
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody("malformed") from exc
    if not isinstance(data, dict):
        raise BadBody("not an object")
    return data


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, exactly as sent, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):]
    return token or None
