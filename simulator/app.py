"""create_app(): one core, the faces mounted over it, the admin surface, the scheduler loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from simulator.admin import create_admin
from simulator.clock import Clock, ManualClock
from simulator.core.engine import Engine
from simulator.faces import v2
from simulator.scenarios.model import SimConfig
from simulator.state import CONFIG, ENGINE
from simulator.telemetry import install_telemetry

SCHEDULER_TASK = web.AppKey("scheduler_task", asyncio.Task[None])

# Where each face lives; the CLI prints these as base URLs.
FACE_PREFIXES = {"Postman v2": "/api/v2"}


def create_app(config: SimConfig, clock: Clock | None = None, seed: int | None = None) -> web.Application:
    """Build the simulator. The clock defaults to a manual one: nothing moves until advanced."""
    engine = Engine(clock or ManualClock(), config.scenarios, seed=seed)
    app = web.Application()
    app[ENGINE] = engine
    app[CONFIG] = config
    app.add_subapp("/api/v2", v2.create_face(engine, config))
    app.add_subapp("/_sim", create_admin())
    app.cleanup_ctx.append(_scheduler_loop)
    install_telemetry(app, engine, FACE_PREFIXES)
    return app


async def _scheduler_loop(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    app[SCHEDULER_TASK] = asyncio.create_task(engine.scheduler.run_forever())
    yield
    app[SCHEDULER_TASK].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[SCHEDULER_TASK]
    await engine.scheduler.close()
