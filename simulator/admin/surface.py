"""Every /_sim route in one place: the /_sim sub-app, /_sim/webhooks and /_sim/sink, mounted together."""

from __future__ import annotations

from aiohttp import web

from simulator.admin import billing, clock, messages, scenarios, system
from simulator.admin.dashboard import dashboard
from simulator.admin.docs import docs_view, index_view, openapi_view
from simulator.admin.errors import admin_errors
from simulator.admin.faces import list_faces
from simulator.admin.metrics import metrics_view
from simulator.admin.requests import add_routes as add_request_routes
from simulator.admin.sink import create_sink_app
from simulator.admin.webhooks import create_webhook_admin
from simulator.state import ENGINE


def create_admin(face_routes: list[web.RouteDef] | None = None) -> web.Application:
    """The /_sim sub-app with each face's own /_sim/<face> routes (its sub-apps /_sim/webhooks and /_sim/sink are
    mounted beside it on the root)."""
    app = web.Application(middlewares=[admin_errors])
    app.add_routes([
        web.get("", index_view),
        web.get("/health", system.health), web.post("/reset", system.reset),
        web.get("/clock", clock.get_clock), web.post("/clock/advance", clock.advance),
        web.post("/clock/set", clock.set_clock), web.post("/clock/speed", clock.set_speed),
        web.get("/messages", messages.list_messages), web.get("/messages/{id}", messages.get_message),
        web.post("/messages/{id}/status", messages.force_status),
        web.get("/dashboard", dashboard), web.get("/faces", list_faces),
        web.get("/scenarios", scenarios.get_scenarios), web.post("/scenarios/reload", scenarios.post_reload),
        web.get("/metrics", metrics_view), web.get("/billing", billing.billing_summary),
        web.get("/openapi.json", openapi_view), web.get("/docs", docs_view),
    ])
    app.router.add_routes(face_routes or [])
    add_request_routes(app)  # /_sim/requests and /_sim/report
    return app


def mount_admin(app: web.Application, face_routes: list[web.RouteDef] | None = None) -> None:
    """Mount the whole control surface on the root app (which holds the ENGINE already)."""
    app.add_subapp("/_sim", create_admin(face_routes))
    app.add_subapp("/_sim/webhooks", create_webhook_admin())
    app.add_subapp("/_sim/sink", create_sink_app(app[ENGINE].clock))
