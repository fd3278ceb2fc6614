"""create_app(): one core, the faces mounted over it, the admin surface, the scheduler loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from simulator import webhooks
from simulator.admin.auth import install as install_admin_auth
from simulator.admin.surface import mount_admin
from simulator.clock import Clock, ManualClock
from simulator.core.engine import Engine
from simulator.faces import faces, flows, gzip_end
from simulator.faces.base import FACE_APP, FACE_APPS, SUBSCRIPTIONS, FaceApp
from simulator.journal import DEFAULT_SIZE, install_journal
from simulator.runtime.reload import install as install_scenarios
from simulator.runtime.unrouted import install as install_unrouted
from simulator.scenarios.model import SimConfig
from simulator.scenarios.planner import ScenarioPlanner
from simulator.state import CONFIG, ENGINE
from simulator.telemetry import METRICS, install_telemetry

SCHEDULER_TASK = web.AppKey("scheduler_task", asyncio.Task[None])
# Sections of scenarios.yaml read by something other than a face: the dispatcher and the journal's report.
SETTINGS_SECTIONS = ("webhooks", "report")


def sections() -> tuple[str, ...]:
    """Every top-level section the scenarios file may have besides the language's own keys: the loader
    refuses others (a misspelt `webhook:` would otherwise be ignored without a word)."""
    return (*(face.section for face in faces()), *SETTINGS_SECTIONS)


def create_app(config: SimConfig, clock: Clock | None = None, seed: int | None = None,
               bound: tuple[str | None, int | None] | None = None,
               admin_token: str | None = None, journal_size: int = DEFAULT_SIZE,
               dispatcher_type: type[webhooks.Dispatcher] = webhooks.Dispatcher) -> web.Application:
    """Build the simulator. The clock defaults to a manual one: nothing moves until advanced. `bound` is
    the (host, port) it will listen on, when known: webhooks may never target its own /_sim there.
    With `admin_token`, /_sim (but its health, dashboard page and sink receiving) needs it. `journal_size`:
    the request journal's ring (0: no journal). `dispatcher_type`: a replica on Redis passes its own."""
    gzip_end.install()  # a gzip body cut short is a 400, as a deflate one is
    clock = clock or ManualClock()
    planner = ScenarioPlanner(config.scenarios, seed, clock)
    engine = Engine(clock, planner, flows(), seed=seed)
    app = web.Application()
    app[ENGINE] = engine
    app[CONFIG] = config
    runtimes: dict[str, FaceApp[Any, Any]] = {}
    admin_routes: list[web.RouteDef] = []
    # In registry order: a longer mount (/api/v2) before a shorter one it starts with (/api), as aiohttp
    # tries sub-apps in the order they were added.
    for face in faces():
        sub = face.create_app(engine, config)
        if FACE_APP in sub:
            runtimes[face.id] = sub[FACE_APP]
        admin_routes += face.admin_routes(sub)
        app.add_subapp(face.mount, sub)
        for alias, alias_app in face.alias_apps(sub):  # Qlara: /partner-gateway as well as /api/partner-gateway
            app.add_subapp(alias, alias_app)
    app[FACE_APPS] = runtimes
    mount_admin(app, admin_routes)  # /_sim (with each face's own /_sim/<face> routes), /_sim/webhooks, /_sim/sink
    app.cleanup_ctx.append(_scheduler_loop)
    install_telemetry(app, engine)  # first: its middleware sees faulted answers too
    install_journal(app, engine, journal_size, config.section(SETTINGS_SECTIONS[1]))  # so does the journal's
    install_admin_auth(app, admin_token)  # next: telemetry counts the 401s, nothing else runs before it
    install_scenarios(app, engine, planner, config, sections())  # API faults, hot reload, /_sim/scenarios state
    install_unrouted(app)  # last: a path meant for a face that no sub-app takes, in that face's shape
    dispatcher = dispatcher_type.from_config(engine, config, bound)  # ValueError on a bad webhooks: section
    engine.events.subscribe(dispatcher.on_status)
    engine.on_reset(dispatcher.on_reset)
    dispatcher.on_outcome = app[METRICS].webhook_delivery
    app[webhooks.DISPATCHER] = dispatcher
    app[SUBSCRIPTIONS] = dispatcher
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
