"""JSON in and out of the faces' hot paths with orjson, falling back to the standard library wherever the two
would answer differently, so the bytes a client can tell apart never change meaning.

Out: `json_response` is aiohttp's `web.json_response` with orjson's encoder (compact, UTF-8, key order kept).
A value orjson refuses (an int past 64 bits, a non-str key) goes through `json.dumps` instead. In:
`faces.common.parse_json` tries orjson first; anything it refuses (a BOM, a lone surrogate, NaN, deep nesting,
an int past 64 bits) goes to the standard-library path, which names the exact error as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web


def dumps(data: Any) -> bytes:
    """UTF-8 JSON, compact, keys in insertion order."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: a value only the standard library writes
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_JSON_TYPE = "application/json; charset=utf-8"


def json_response(data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """`web.json_response(data, status=..., headers=...)`, encoded by orjson (same Content-Type, given as the
    header itself: aiohttp's content_type and charset arguments parse and rebuild it on every answer)."""
    all_headers = {"Content-Type": _JSON_TYPE} if headers is None else {**headers, "Content-Type": _JSON_TYPE}
    return web.Response(body=dumps(data), status=status, headers=all_headers)
