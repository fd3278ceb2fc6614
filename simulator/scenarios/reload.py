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
from simulator.runtime.faults import make_middleware
from simulator.scenarios.faults import FaultState
from simulator.scenarios.files import limit_text, read_text
from simulator.scenarios.loader import ScenarioError, parse_config
from simulator.scenarios.model import FaultSpec, SimConfig
from simulator.scenarios.summary import describe_plan

log = logging.getLogger("postman_sim.scenarios")

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

    def _parse(self, text: str | None) -> tuple[SimConfig, bool]:
        """The new config from `text`, else from the file again (True: it came from the file). Runs in a
        worker thread for the route and the poller: it reads files (the served one, `extends:`)."""
        source = self.config.source
        max_bytes = self.config.max_bytes
        if text is None:
            if self.path is None:
                raise ScenarioError(["there is no scenarios file to reload; POST the YAML as the body"], source)
            self._stamp = self._stat()
            return parse_config(read_text(self.path, max_bytes), source=source, max_bytes=max_bytes), True
        return parse_config(text, source=source, max_bytes=max_bytes), False

    def reload(self, text: str | None = None, origin: str = "request") -> bool:
        """Load `text` (or the file again); True if it is now in force, False if rejected."""
        try:
            found = self._parse(text)
        except (ScenarioError, OSError, UnicodeDecodeError) as exc:
            return self._reject(exc, origin)
        return self._apply(*found, origin)

    async def reload_async(self, text: str | None = None, origin: str = "request") -> bool:
        """`reload`, with the reading and parsing off the event loop so other requests keep being answered."""
        try:
            found = await asyncio.to_thread(self._parse, text)
        except (ScenarioError, OSError, UnicodeDecodeError) as exc:
            return self._reject(exc, origin)
        return self._apply(*found, origin)

    def _reject(self, exc: ScenarioError | OSError | UnicodeDecodeError, origin: str) -> bool:
        if isinstance(exc, ScenarioError):
            problems, details = exc.problems, [d.as_dict() for d in exc.details]
        else:  # the served file itself: gone, not a regular file, too large, not UTF-8
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems, details = [f"cannot read the scenarios file: {reason}"], []
        self.last_error = {"at": iso_utc(self.engine.clock.now()), "origin": origin, "problems": problems,
                           "details": details}
        log.error("scenarios reload rejected (%s); the previous scenarios stay in force: %s",
                  origin, "; ".join(problems))
        return False

    def _apply(self, config: SimConfig, text_from_file: bool, origin: str) -> bool:
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

    def _changed(self) -> bool:
        stamp = self._stat()
        return stamp is not None and stamp != self._stamp

    def poll(self) -> bool | None:
        """Reload if the file changed since it was last read; None when it did not change."""
        return self.reload(origin="file changed") if self._changed() else None

    async def poll_async(self) -> bool | None:
        """`poll` for the background watcher: the file is read off the event loop."""
        return await self.reload_async(origin="file changed") if self._changed() else None

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
            await runtime.poll_async()

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


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """Up to `limit` bytes of the body (a chunked one too): enough to tell it is over the cap."""
    data = bytearray()
    while len(data) < limit:
        chunk = await request.content.read(limit - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def post_reload(request: web.Request) -> web.Response:
    """Re-read the file, or load the YAML sent as the body; 422 with the problems if it is broken."""
    runtime = request.config_dict[SCENARIO_RUNTIME]
    text = None
    if request.can_read_body:
        cap = runtime.config.max_bytes
        raw = b"" if (request.content_length or 0) > cap else await _read_at_most(request, cap + 1)
        if (request.content_length or 0) > cap or len(raw) > cap:
            return web.json_response({"error": {"code": "too_large",
                                                "message": f"The body is over {limit_text(cap)}."}}, status=413)
        text = raw.decode("utf-8", errors="replace") if raw.strip() else None
    if await runtime.reload_async(text, origin="POST /_sim/scenarios/reload"):
        return web.json_response(runtime.view())
    error = runtime.last_error or {}
    return web.json_response({"error": {"code": "invalid_scenarios", "message": "; ".join(error.get("problems", [])),
                                        "problems": error.get("details") or error.get("problems")}}, status=422)


def add_routes(admin: web.Application) -> None:
    admin.router.add_get("/scenarios", get_scenarios)
    admin.router.add_post("/scenarios/reload", post_reload)
