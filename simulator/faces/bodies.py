"""One reader and one checker for strict JSON bodies: the /_sim control surface and a face's own /_sim routes.

A control call that misreads its input does the wrong thing to every tenant: `POST /_sim/reset` with
{"tenat": "x"} used to wipe everything. So a body holds only the keys its route knows (a misspelt
one gets a did-you-mean) and each value is of the JSON type it needs. Errors are plain FaceErrors
(400 "bad_request", 413 "too_large"); whoever mounts the route renders them in its shape (admin: /_sim's).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from simulator.faces.base import FaceError
from simulator.faces.common import BadBody, encoded_but_empty, json_object, read_limited
from simulator.scenarios.files import limit_text

MAX_BYTES = 1024 * 1024

# JSON type names (as in the OpenAPI documents) and the Python values json.loads gives for them.
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "number": (int, float), "integer": (int,),
                                       "boolean": (bool,), "array": (list,), "object": (dict,),
                                       "null": (type(None),)}
_ARTICLES = {"array": "an array", "object": "an object", "integer": "an integer", "null": "null"}


async def read_object(request: web.Request, *, optional: bool = False, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """The body as a JSON object; with `optional`, no body at all reads as {}. 413 over `max_bytes`. A body that
    was sent but decodes to nothing (a gzip cut short: aiohttp reads it as empty) is a 400, never "no body":
    for `POST /_sim/reset` that would mean every tenant."""
    if optional and not request.body_exists:
        return {}
    try:
        raw = await read_limited(request, max_bytes)
        if optional and not raw:
            if encoded_but_empty(request, raw):
                raise BadBody("malformed")
            return {}  # e.g. a chunked body with no chunks
        return json_object(raw)
    except BadBody as exc:
        if str(exc) == "too large":
            raise FaceError(413, "too_large", f"The body is over {limit_text(max_bytes)}.") from exc
        raise FaceError(400, "bad_request", "The body must be a JSON object.") from exc


def check_fields(body: Mapping[str, Any], fields: Mapping[str, str]) -> None:
    """400 for a key not in `fields` (with the closest known one) or a value not of its JSON type(s);
    a type is "string", "number", ... or several joined by "|" (e.g. "string|null"), or "any" when the
    route checks the value itself (to answer with its own error code)."""
    for key in body:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(fields)) if fields else "no fields"
            raise FaceError(400, "bad_request", f"Unknown field {str(key)!r}{hint}; this body takes {known}.")
    for key, kinds in fields.items():
        if key in body and kinds != "any" and not _is(body[key], kinds.split("|")):
            wanted = " or ".join(_ARTICLES.get(kind, f"a {kind}") for kind in kinds.split("|"))
            raise FaceError(400, "bad_request", f"{key!r} must be {wanted}.")


def _is(value: Any, kinds: list[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in kinds
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, float) and value.is_integer() and "integer" in kinds:
        return True  # JSON Schema: 146.0 is an integer (callers read it with int())
    return any(isinstance(value, _TYPES[kind]) for kind in kinds)


async def read_fields(request: web.Request, fields: Mapping[str, str], *, optional: bool = False,
                      max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """`read_object` then `check_fields`: what every /_sim route with a JSON body calls."""
    body = await read_object(request, optional=optional, max_bytes=max_bytes)
    check_fields(body, fields)
    return body
