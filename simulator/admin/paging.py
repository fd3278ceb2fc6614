"""limit/offset paging for every /_sim list: newest first, one wording for a bad limit or offset."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.admin.errors import AdminError


def limits(request: web.Request, default: int = 100) -> tuple[int, int]:
    """(limit, offset) from the query: integers, limit 1..10000, offset >= 0; else a 400."""
    try:
        limit = int(request.query.get("limit", str(default)))
        offset = int(request.query.get("offset", "0"))
    except ValueError as exc:
        raise AdminError(400, "bad_request", "limit and offset must be integers.") from exc
    if not 1 <= limit <= 10000 or offset < 0:
        raise AdminError(400, "bad_request", "limit must be 1..10000 and offset >= 0.")
    return limit, offset


def page(items: list[Any], request: web.Request) -> dict[str, Any]:
    """One page of `items` (oldest first) as {"data", "total", "hasMore"}, newest first."""
    limit, offset = limits(request)
    items = list(reversed(items))
    return {"data": items[offset:offset + limit], "total": len(items), "hasMore": offset + limit < len(items)}
