"""The scenarios in force at run time: reloading them (from the file or given text) and the fault state.

A reload swaps the planner's ScenarioSet and the faults. Messages already accepted keep the plan
they captured at acceptance. A broken file is rejected: the previous scenarios stay in force and
the error is logged and shown by GET /_sim/scenarios. Face sections (campaigns, keys, webhooks)
are read by the faces at start only. Plain methods only: the HTTP side is simulator.runtime.reload
(install, file poller, fault middleware) and simulator.admin.scenarios (/_sim/scenarios).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from simulator.core.engine import Engine
from simulator.core.timefmt import iso_utc
from simulator.scenarios.faults import FaultState
from simulator.scenarios.files import read_text
from simulator.scenarios.loader import ScenarioError, parse_config
from simulator.scenarios.model import FaultSpec, SimConfig
from simulator.scenarios.planner import ScenarioPlanner
from simulator.scenarios.summary import describe_plan

log = logging.getLogger("postman_sim.scenarios")

class ScenarioRuntime:
    def __init__(self, engine: Engine, planner: ScenarioPlanner, config: SimConfig,
                 sections: Collection[str]) -> None:
        self.engine = engine
        self.sections = tuple(sections)
        self.planner = planner  # the engine's: reload swaps its scenarios
        self.config = config
        self.path = Path(config.source) if config.source and Path(config.source).is_file() else None
        self.loaded_at = engine.clock.now()
        self.reloads = 0
        self.loaded_from = "file" if self.path is not None else "config"
        self.last_error: dict[str, Any] | None = None
        self.body: str | None = None  # the YAML a reload request put in force (a snapshot restores it)
        self.poll_interval = 1.0
        self.watch = True  # poll the file; replicas on Redis reload only through the replicated route
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
            return parse_config(read_text(self.path, max_bytes), source=source, max_bytes=max_bytes,
                                flows=self.engine.flows, sections=self.sections), True
        return parse_config(text, source=source, max_bytes=max_bytes, flows=self.engine.flows,
                            sections=self.sections), False

    def reload(self, text: str | None = None, origin: str = "request") -> bool:
        """Load `text` (or the file again); True if it is now in force, False if rejected."""
        try:
            found = self._parse(text)
        except (ScenarioError, OSError, UnicodeDecodeError) as exc:
            return self._reject(exc, origin)
        return self._apply(*found, origin, text)

    async def reload_async(self, text: str | None = None, origin: str = "request") -> bool:
        """`reload`, with the reading and parsing off the event loop so other requests keep being answered."""
        try:
            found = await asyncio.to_thread(self._parse, text)
        except (ScenarioError, OSError, UnicodeDecodeError) as exc:
            return self._reject(exc, origin)
        return self._apply(*found, origin, text)

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

    def _apply(self, config: SimConfig, text_from_file: bool, origin: str, text: str | None) -> bool:
        self.config = config
        self.body = text
        self.planner.swap(config.scenarios)
        self.fault_state.restart()
        self.loaded_at = self.planner.state.started_at
        self.loaded_from = "file" if text_from_file else "request body"
        self.reloads += 1
        self.last_error = None
        log.info("scenarios reloaded (%s): %d rule(s), %d fault(s)", origin, len(config.scenarios.rules),
                 len(config.faults))
        return True

    def export_state(self) -> dict[str, Any]:
        """What a snapshot keeps: a reload body in force (else the file's scenarios are), the reload count, and
        the seeded state draws and faults read."""
        return {"body": self.body, "reloads": self.reloads, "loaded_at": self.loaded_at,
                "plans": self.planner.state.export_state(), "faults": self.fault_state.export_state()}

    def import_state(self, data: dict[str, Any]) -> None:
        """Put a snapshot's scenarios back in force (ValueError if its reload body no longer parses), then its
        seeded state."""
        body = data["body"]
        if body is not None and not self.reload(str(body), origin="snapshot"):
            problems = "; ".join((self.last_error or {}).get("problems", []))
            raise ValueError(f"the scenarios it was taken under no longer load: {problems}")
        self.reloads = int(data["reloads"])
        self.loaded_at = float(data["loaded_at"])
        self.planner.state.import_state(data["plans"])
        self.fault_state.import_state(data["faults"])

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
            "startedAt": iso_utc(self.planner.state.started_at),
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
