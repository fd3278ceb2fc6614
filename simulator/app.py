"""create_app(): one core, the faces mounted over it, the admin surface, the scheduler loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from simulator import webhooks
from simulator.admin.auth import install as install_admin_auth
from simulator.admin.routes import create_admin
from simulator.clock import Clock, ManualClock
from simulator.core.engine import Engine
from simulator.faces import v1, v2
from simulator.faces.qlara import QLARA_FACE
from simulator.faces.qlara import create_face as create_qlara
from simulator.faces.qlara import inbound_pusher as qlara_inbound_pusher
from simulator.journal import DEFAULT_SIZE, install_journal
from simulator.scenarios.model import SimConfig
from simulator.scenarios.reload import install as install_scenarios
from simulator.state import CONFIG, ENGINE
from simulator.telemetry import METRICS, install_telemetry

SCHEDULER_TASK = web.AppKey("scheduler_task", asyncio.Task[None])

# Each face: its id (the journal's `face`, the metrics label, the plugin's `urls[...]`), the name the
# banner shows, and where it is mounted.
FACES = (("v2", "Postman v2", "/api/v2"), ("v1", "Postman v1", "/v1"),
         ("qlara", "Qlara", "/api"))  # Qlara: /api/message-server and /api/partner-gateway/v1
FACE_PREFIXES = {face: prefix for face, _, prefix in FACES}


def create_app(config: SimConfig, clock: Clock | None = None, seed: int | None = None,
               bound: tuple[str | None, int | None] | None = None,
               admin_token: str | None = None, journal_size: int = DEFAULT_SIZE) -> web.Application:
    """Build the simulator. The clock defaults to a manual one: nothing moves until advanced. `bound` is
    the (host, port) it will listen on, when known: webhooks may never target its own /_sim there.
    With `admin_token`, /_sim (but its health, dashboard page and sink receiving) needs it. `journal_size`:
    the request journal's ring (0: no journal)."""
    engine = Engine(clock or ManualClock(), config.scenarios, seed=seed)
    app = web.Application()
    app[ENGINE] = engine
    app[CONFIG] = config
    app.add_subapp("/api/v2", v2.create_face(engine, config))
    app.add_subapp("/v1", v1.create_face(engine, config))
    qlara_app = create_qlara(engine, config)
    app[QLARA_FACE] = qlara_app[QLARA_FACE]  # read by /_sim/qlara/inbound and webhook wiring
    app.add_subapp("/api", qlara_app)  # after /api/v2 (aiohttp picks the longest prefix; older ones, the first)
    app.add_subapp("/_sim", create_admin())
    app.cleanup_ctx.append(_scheduler_loop)
    install_telemetry(app, engine, FACE_PREFIXES)  # first: its middleware sees faulted answers too
    install_journal(app, engine, FACE_PREFIXES, journal_size, config.section("report"))  # so does the journal's
    install_admin_auth(app, admin_token)  # next: telemetry counts the 401s, nothing else runs before it
    install_scenarios(app, engine, config)  # API faults, hot reload, /_sim/scenarios state
    dispatcher = webhooks.Dispatcher.from_config(engine, config, bound)  # ValueError on a bad webhooks: section
    engine.events.subscribe(dispatcher.on_status)
    engine.on_reset(dispatcher.on_reset)
    dispatcher.on_outcome = app[METRICS].webhook_delivery
    app[QLARA_FACE].on_inbound(qlara_inbound_pusher(dispatcher))  # INBOUND to the company's registered webhook
    app[webhooks.DISPATCHER] = dispatcher
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
