"""GET /message-server/whatsapp/phone-numbers and /whatsapp/templates, from the company's config."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.config import TEMPLATE_STATUSES
from simulator.faces.qlara.errors import bad_request
from simulator.faces.qlara.face import QlaraFace
from simulator.faces.qlara.fields import query_int


def _paging(request: web.Request, default_limit: int) -> tuple[int, int]:
    """(page, limit) with page 0-based."""
    return (query_int(request.query, "page", 0, 0, 1000),
            query_int(request.query, "limit", default_limit, 1, 1000))


def _page(items: list[dict[str, Any]], page: int, limit: int) -> web.Response:
    return web.json_response({"data": items[page * limit:(page + 1) * limit]})


async def phone_numbers(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    page, limit = _paging(request, 10)
    return _page([n.view() for n in company.catalog.phone_numbers], page, limit)


async def templates(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    page, limit = _paging(request, 10)
    status = request.query.get("status") or None
    if status is not None and status not in TEMPLATE_STATUSES:
        raise bad_request(f"Invalid value '{status}' for parameter 'status': expected one of "
                          f"{', '.join(TEMPLATE_STATUSES)}")
    raw_number = request.query.get("phoneNumberId") or None
    number: int | None = None
    if raw_number is not None:
        try:
            number = int(raw_number)
        except ValueError as exc:
            raise bad_request(f"Parameter 'phoneNumberId' must be an integer, not '{raw_number}'") from exc
    chosen = [t.view() for t in company.catalog.templates
              if (status is None or t.status == status)
              and (number is None or t.phone_number_id in (None, number))]
    return _page(chosen, page, limit)
