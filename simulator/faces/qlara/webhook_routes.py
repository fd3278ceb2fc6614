"""/partner-gateway/v1/webhooks/delivery-status: one callback URL per company (POST 201/409, PUT, GET, DELETE).

The registration is the dispatcher's subscription `qlara:<company>` (see webhooks.py).
"""

from __future__ import annotations

from aiohttp import web

from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.errors import QlaraError, bad_request, not_found
from simulator.faces.qlara.face import QlaraFace
from simulator.faces.qlara.plans import FACE
from simulator.faces.qlara.webhooks import callback_url_problem, registration_view, subscription_key, subscription_spec
from simulator.webhooks.dispatcher import Dispatcher
from simulator.webhooks.state import DISPATCHER
from simulator.webhooks.subscription import SubscriptionError
from simulator.webhooks.targets import local_address

NOT_CONFIGURED = "No delivery status webhook is configured"


async def _callback_url(face: QlaraFace, request: web.Request) -> str:
    body = await face.json_body(request)
    url = body.get("callbackUrl")
    problem = callback_url_problem(url, face.config.callback_http_hosts)
    if problem is not None:
        raise bad_request(problem)
    assert isinstance(url, str)
    return url.strip()


def _dispatcher(request: web.Request) -> Dispatcher:
    dispatcher = request.config_dict[DISPATCHER]
    dispatcher.self_address.learn(local_address(request.transport))  # never a callback to our own /_sim
    return dispatcher


async def create(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    url = await _callback_url(face, request)
    dispatcher, key = _dispatcher(request), subscription_key(company.id)
    if dispatcher.get_subscription(key) is not None:
        raise QlaraError(409, "Webhook already configured")
    try:
        sub = dispatcher.set_subscription(key, subscription_spec(company.id, url), source=FACE)
    except SubscriptionError as exc:
        raise bad_request(f"callbackUrl cannot be used: {exc}") from exc
    return web.json_response(registration_view(sub), status=201)


async def update(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    """Replaces the URL; also re-enables a registration a 410 Gone had disabled (a new URL is a new start)."""
    url = await _callback_url(face, request)
    dispatcher, key = _dispatcher(request), subscription_key(company.id)
    if dispatcher.get_subscription(key) is None:
        raise not_found(NOT_CONFIGURED)
    try:
        sub = dispatcher.update_subscription(key, {"url": url, "enabled": True})
    except SubscriptionError as exc:
        raise bad_request(f"callbackUrl cannot be used: {exc}") from exc
    return web.json_response(registration_view(sub))


async def read(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    sub = _dispatcher(request).get_subscription(subscription_key(company.id))
    if sub is None:
        raise not_found(NOT_CONFIGURED)
    return web.json_response(registration_view(sub))


async def delete(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    if not _dispatcher(request).remove_subscription(subscription_key(company.id)):
        raise not_found(NOT_CONFIGURED)
    return web.Response(status=204)
