"""create_app(): one core, the faces mounted over it, the admin surface, the scheduler loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from simulator import webhooks
from simulator.admin.auth import install as install_admin_auth
from simulator.admin.routes import create_admin
from simulator.clock import Clock, ManualClock
from simulator.core.engine import Engine
from simulator.faces import faces
from simulator.faces.base import FACE_APP, FACE_APPS, SUBSCRIPTIONS, FaceApp
from simulator.faces.qlara import QLARA_FACE
from simulator.faces.qlara import inbound_pusher as qlara_inbound_pusher
from simulator.scenarios.model import SimConfig
from simulator.scenarios.reload import install as install_scenarios
from simulator.state import CONFIG, ENGINE
from simulator.telemetry import METRICS, install_telemetry

SCHEDULER_TASK = web.AppKey("scheduler_task", asyncio.Task[None])



def create_app(config: SimConfig, clock: Clock | None = None, seed: int | None = None,
               bound: tuple[str | None, int | None] | None = None,
               admin_token: str | None = None) -> web.Application:
    """Build the simulator. The clock defaults to a manual one: nothing moves until advanced. `bound` is
    the (host, port) it will listen on, when known: webhooks may never target its own /_sim there.
    With `admin_token`, /_sim (but its health, dashboard page and sink receiving) needs it."""
    engine = Engine(clock or ManualClock(), config.scenarios, seed=seed)
    app = web.Application()
    app[ENGINE] = engine
    app[CONFIG] = config
    admin = create_admin()
    runtimes: dict[str, FaceApp[Any, Any]] = {}
    # In registry order: a longer mount (/api/v2) before a shorter one it starts with (/api), as aiohttp
    # tries sub-apps in the order they were added.
    for face in faces():
        sub = face.create_app(engine, config)
        if FACE_APP in sub:
            runtimes[face.id] = sub[FACE_APP]
        admin.router.add_routes(face.admin_routes(sub))
        app.add_subapp(face.mount, sub)
        if QLARA_FACE in sub:  # read by /_sim/qlara/inbound and webhook wiring (goes with the Qlara FaceApp)
            app[QLARA_FACE] = sub[QLARA_FACE]
    app[FACE_APPS] = runtimes
    app.add_subapp("/_sim", admin)
    app.cleanup_ctx.append(_scheduler_loop)
    install_telemetry(app, engine)  # first: its middleware sees faulted answers too
    install_admin_auth(app, admin_token)  # next: telemetry counts the 401s, nothing else runs before it
    install_scenarios(app, engine, config)  # API faults, hot reload, /_sim/scenarios state
    dispatcher = webhooks.Dispatcher.from_config(engine, config, bound)  # ValueError on a bad webhooks: section
    engine.events.subscribe(dispatcher.on_status)
    engine.on_reset(dispatcher.on_reset)
    dispatcher.on_outcome = app[METRICS].webhook_delivery
    if QLARA_FACE in app:
        app[QLARA_FACE].on_inbound(qlara_inbound_pusher(dispatcher))  # INBOUND to the company's registered webhook
    app[webhooks.DISPATCHER] = dispatcher
    app[SUBSCRIPTIONS] = dispatcher
    app.add_subapp("/_sim/webhooks", webhooks.create_webhook_admin())
    app.add_subapp("/_sim/sink", webhooks.create_sink_app(engine.clock))
    app.cleanup_ctx.append(webhooks.dispatcher_lifecycle)
    return app


async def _scheduler_loop(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    app[SCHEDULER_TASK] = asyncio.create_task(engine.scheduler.run_forever())
    yield
    app[SCHEDULER_TASK].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[SCHEDULER_TASK]
    await engine.scheduler.close()
