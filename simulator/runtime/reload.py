"""Hot reload and faults in the running app: the ScenarioRuntime on the root app, its fault middleware
and the file poller (the /_sim/scenarios handlers are simulator.admin.scenarios)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection

from aiohttp import web

from simulator.core.engine import Engine
from simulator.runtime.faults import make_middleware
from simulator.scenarios.faults import FaultState
from simulator.scenarios.model import FaultSpec, PlanState, SimConfig
from simulator.scenarios.planner import ScenarioPlanner
from simulator.scenarios.runtime import ScenarioRuntime

SCENARIO_RUNTIME = web.AppKey("scenario_runtime", ScenarioRuntime)


async def _poll_loop(app: web.Application) -> AsyncIterator[None]:
    runtime = app[SCENARIO_RUNTIME]

    async def loop() -> None:
        while True:
            await asyncio.sleep(runtime.poll_interval)
            await runtime.poll_async()

    task = asyncio.create_task(loop()) if runtime.path is not None and runtime.watch else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def install(app: web.Application, engine: Engine, planner: ScenarioPlanner, config: SimConfig,
            sections: Collection[str]) -> ScenarioRuntime:
    """Wire the runtime into the root app: the fault middleware and the file poller. `sections`: the
    top-level sections a reloaded file may have (see simulator.app.sections)."""
    runtime = ScenarioRuntime(engine, planner, config, sections)
    app[SCENARIO_RUNTIME] = runtime

    def current(_request: web.Request) -> tuple[tuple[FaultSpec, ...], FaultState, PlanState]:
        return runtime.config.faults, runtime.fault_state, runtime.planner.state  # not config_dict: per request

    app.middlewares.append(make_middleware(current))
    app.cleanup_ctx.append(_poll_loop)
    return runtime
