"""The scenarios in force at run time: hot reload (file poll and POST), faults, and /_sim/scenarios.

A reload swaps the engine's ScenarioSet and the faults. Messages already accepted keep the plan
they captured at acceptance. A broken file is rejected: the previous scenarios stay in force and
the error is logged and shown by GET /_sim/scenarios. Face sections (campaigns, keys, webhooks)
are read by the faces at start only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.timefmt import iso_utc
from simulator.scenarios.faults import FaultState, make_middleware
from simulator.scenarios.loader import ScenarioError, parse_config
from simulator.scenarios.model import FaultSpec, SimConfig
from simulator.scenarios.summary import describe_plan

log = logging.getLogger("postman_sim.scenarios")

MAX_BODY = 4 * 1024 * 1024


class ScenarioRuntime:
    def __init__(self, engine: Engine, config: SimConfig) -> None:
        self.engine = engine
        self.config = config
        self.path = Path(config.source) if config.source and Path(config.source).is_file() else None
        self.loaded_at = engine.clock.now()
        self.reloads = 0
        self.loaded_from = "file" if self.path is not None else "config"
        self.last_error: dict[str, Any] | None = None
        self.poll_interval = 1.0
        self.fault_state = FaultState(engine.seed)
        self._stamp = self._stat()
        engine.on_reset(self._on_reset)

    def _on_reset(self, tenant: str | None) -> None:
        if tenant is None:
            self.fault_state.restart()
        else:
            self.fault_state.forget(tenant)

    def _stat(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    @property
    def faults(self) -> tuple[FaultSpec, ...]:
        return self.config.faults

    def reload(self, text: str | None = None, origin: str = "request") -> bool:
        """Load `text` (or the file again); True if it is now in force, False if rejected."""
        source = self.config.source
        now = self.engine.clock.now()
        try:
            if text is None:
                if self.path is None:
                    raise ScenarioError(["there is no scenarios file to reload; POST the YAML as the body"], source)
                self._stamp = self._stat()
                text = self.path.read_text(encoding="utf-8")
                text_from_file = True
            else:
                text_from_file = False
            config = parse_config(text, source=source)
        except (ScenarioError, OSError, UnicodeDecodeError) as exc:
            problems = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
            details = [d.as_dict() for d in exc.details] if isinstance(exc, ScenarioError) else []
            self.last_error = {"at": iso_utc(now), "origin": origin, "problems": problems, "details": details}
            log.error("scenarios reload rejected (%s); the previous scenarios stay in force: %s",
                      origin, "; ".join(problems))
            return False
        self.config = config
        self.engine.scenarios = config.scenarios
        self.engine.plan_state.restart()
        self.fault_state.restart()
        self.loaded_at = self.engine.plan_state.started_at
        self.loaded_from = "file" if text_from_file else "request body"
        self.reloads += 1
        self.last_error = None
        log.info("scenarios reloaded (%s): %d rule(s), %d fault(s)", origin, len(config.scenarios.rules),
                 len(config.faults))
        return True

    def poll(self) -> bool | None:
        """Reload if the file changed since it was last read; None when it did not change."""
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return None
        return self.reload(origin="file changed")

    def view(self) -> dict[str, Any]:
        scenarios = self.config.scenarios
        return {
            "source": self.config.source,
            "version": scenarios.version,
            "mode": self.config.mode,
            "loadedAt": iso_utc(self.loaded_at),
            "loadedFrom": self.loaded_from,
            "startedAt": iso_utc(self.engine.plan_state.started_at),
            "reloads": self.reloads,
            "hotReload": self.path is not None,
            "lastError": self.last_error,
            "rules": [{"name": r.name, "timeline": r.timeline, "active": r.active is not None,
                       "outcomes": [{"when": how, "plan": describe_plan(plan)} for how, plan in
                                    (r.outcome.branches() if r.outcome is not None else [("", r.plan)])]}
                      for r in scenarios.rules],
            "defaults": {flow: describe_plan(plan) for flow, plan in scenarios.defaults.items()},
            "faults": [{"name": f.name, "kind": f.kind} for f in self.config.faults],
        }


SCENARIO_RUNTIME = web.AppKey("scenario_runtime", ScenarioRuntime)


def _current(request: web.Request) -> tuple[tuple[FaultSpec, ...], FaultState, Engine]:
    runtime = request.config_dict[SCENARIO_RUNTIME]
    return runtime.config.faults, runtime.fault_state, runtime.engine


async def _poll_loop(app: web.Application) -> AsyncIterator[None]:
    runtime = app[SCENARIO_RUNTIME]

    async def loop() -> None:
        while True:
            await asyncio.sleep(runtime.poll_interval)
            runtime.poll()

    task = asyncio.create_task(loop()) if runtime.path is not None else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def install(app: web.Application, engine: Engine, config: SimConfig) -> ScenarioRuntime:
    """Wire the runtime into the root app: the fault middleware and the file poller."""
    runtime = ScenarioRuntime(engine, config)
    app[SCENARIO_RUNTIME] = runtime
    app.middlewares.append(make_middleware(_current))
    app.cleanup_ctx.append(_poll_loop)
    return runtime


# -- /_sim/scenarios (mounted on the admin sub-app) -----------------------------------------------

async def get_scenarios(request: web.Request) -> web.Response:
    return web.json_response(request.config_dict[SCENARIO_RUNTIME].view())


async def post_reload(request: web.Request) -> web.Response:
    """Re-read the file, or load the YAML sent as the body; 422 with the problems if it is broken."""
    runtime = request.config_dict[SCENARIO_RUNTIME]
    text = None
    if request.can_read_body:
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.json_response({"error": {"code": "too_large", "message": "The body is over 4 MiB."}},
                                     status=413)
        text = raw.decode("utf-8", errors="replace") if raw.strip() else None
    if runtime.reload(text, origin="POST /_sim/scenarios/reload"):
        return web.json_response(runtime.view())
    error = runtime.last_error or {}
    return web.json_response({"error": {"code": "invalid_scenarios", "message": "; ".join(error.get("problems", [])),
                                        "problems": error.get("details") or error.get("problems")}}, status=422)


def add_routes(admin: web.Application) -> None:
    admin.router.add_get("/scenarios", get_scenarios)
    admin.router.add_post("/scenarios/reload", post_reload)
