"""/partner-gateway/v1/webhooks/delivery-status: one callback URL per company (POST 201/409, PUT, GET, DELETE)."""

from __future__ import annotations

from aiohttp import web

from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.errors import QlaraError, bad_request, not_found
from simulator.faces.qlara.face import QlaraFace
from simulator.faces.qlara.webhooks import callback_url_problem

NOT_CONFIGURED = "No delivery status webhook is configured"


async def _callback_url(face: QlaraFace, request: web.Request) -> str:
    body = await face.json_body(request)
    url = body.get("callbackUrl")
    problem = callback_url_problem(url, face.config.callback_http_hosts)
    if problem is not None:
        raise bad_request(problem)
    assert isinstance(url, str)
    return url.strip()


async def create(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    url = await _callback_url(face, request)
    if face.webhooks.get(company.id) is not None:
        raise QlaraError(409, "Webhook already configured")
    registration = face.webhooks.put(company.id, url, face.engine.clock.now())
    return web.json_response(registration.view(), status=201)


async def update(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    url = await _callback_url(face, request)
    if face.webhooks.get(company.id) is None:
        raise not_found(NOT_CONFIGURED)
    registration = face.webhooks.put(company.id, url, face.engine.clock.now())
    return web.json_response(registration.view())


async def read(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    registration = face.webhooks.get(company.id)
    if registration is None:
        raise not_found(NOT_CONFIGURED)
    return web.json_response(registration.view())


async def delete(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    if not face.webhooks.delete(company.id):
        raise not_found(NOT_CONFIGURED)
    return web.Response(status=204)
