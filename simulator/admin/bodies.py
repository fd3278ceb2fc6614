"""The /_sim surface's body reader (faces/bodies.py, shared with the faces' own /_sim routes) and its enum
query filters: a filter outside its values is a 400 listing them, not an empty page. Errors render in the
{"error": {"code", "message"}} shape (admin_errors renders any FaceError)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from aiohttp import web

from simulator.admin.errors import AdminError
from simulator.faces.bodies import MAX_BYTES, check_fields, read_fields, read_object


def query_choice(request: web.Request, name: str, allowed: Iterable[str]) -> str | None:
    """The query parameter `name` if given: one of `allowed`, else a 400 that lists them. An empty value
    (`?status=`, what an HTML form sends for "any") means no filter."""
    value = request.query.get(name) or None
    choices = sorted(set(allowed))
    if value is not None and value not in choices:
        close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise AdminError(400, "bad_request", f"{name}={value!r} is not allowed{hint}; "
                         f"{name} takes one of {', '.join(choices)}.")
    return value


__all__ = ["MAX_BYTES", "check_fields", "query_choice", "read_fields", "read_object"]
