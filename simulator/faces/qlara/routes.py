"""create_face(): the Qlara routes, meant to be mounted at /api (send under /message-server, the rest
under /partner-gateway/v1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.core.engine import Engine
from simulator.faces.qlara import catalog, send, status, webhook_routes
from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.config import parse_qlara_config
from simulator.faces.qlara.face import QLARA_FACE, QlaraFace
from simulator.scenarios.model import SimConfig

FaceHandler = Callable[[QlaraFace, web.Request, Company], Awaitable[web.StreamResponse]]
SEND = "/message-server"
GATEWAY = "/partner-gateway/v1"


def create_face(engine: Engine, config: SimConfig) -> web.Application:
    """The /api sub-application; its QlaraFace is at app[QLARA_FACE] (webhook registrations, inbound hooks)."""
    face = QlaraFace(engine, parse_qlara_config(config.section("qlara")), open_mode=config.mode == "open")
    app = web.Application(middlewares=[face.middleware], client_max_size=face.config.max_body_bytes + 1024)
    app[QLARA_FACE] = face

    def route(handler: FaceHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def bound(request: web.Request, company: Company) -> web.StreamResponse:
            return await handler(face, request, company)

        return face.authed(bound)

    add = app.router
    add.add_post(f"{SEND}/whatsapp/send", route(send.whatsapp_send))
    add.add_post(f"{SEND}/sms/send", route(send.sms_send))
    add.add_get(f"{SEND}/whatsapp/phone-numbers", route(catalog.phone_numbers))
    add.add_get(f"{SEND}/whatsapp/templates", route(catalog.templates))
    add.add_get(f"{GATEWAY}/messages/status", route(status.batch_status))
    add.add_get(f"{GATEWAY}/messages/status/{{customerMessageId}}", route(status.single_status))
    add.add_get(f"{GATEWAY}/messages/history", route(status.history))
    hook = f"{GATEWAY}/webhooks/delivery-status"
    add.add_post(hook, route(webhook_routes.create))
    add.add_put(hook, route(webhook_routes.update))
    add.add_get(hook, route(webhook_routes.read))
    add.add_delete(hook, route(webhook_routes.delete))
    return app
