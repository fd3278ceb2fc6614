"""The startup banner: where each face and the control surface are, then each face's own lines.

`tests/processes.py` waits for its "try: curl" line, so the text stays as it was before the registry.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import simulator
from simulator.clock import Clock
from simulator.core.timefmt import iso_utc
from simulator.faces import faces
from simulator.scenarios import BUNDLED_SCENARIOS
from simulator.scenarios.model import SimConfig


def version() -> str:
    """The installed distribution's version (what pip shows), else the package's own."""
    try:
        return metadata.version("postman-sim")
    except metadata.PackageNotFoundError:
        return simulator.__version__


def scenarios_text(source: str | Path | None) -> str:
    """Which scenarios file is in force, as a user should see it: its path, or "bundled default"."""
    if source is None:
        return "none (built in code)"
    path = Path(os.path.abspath(source))  # not resolve(): the bundled file is a link to the repository's
    if path == BUNDLED_SCENARIOS:
        return f"bundled default ({BUNDLED_SCENARIOS})"
    return str(source) if Path(source).is_absolute() else f"{source} ({path})"


def clock_text(kind: str, speed: float = 1.0) -> str:
    """The clock mode in one phrase: what moves time, and how to move it."""
    if kind == "manual":
        return "manual (time moves only by POST /_sim/clock/advance)"
    return "real" + (f", {speed:g}x speed" if speed != 1.0 else "")


def render(config: SimConfig, base: str, admin: Sequence[str] = (), clock: str = "manual") -> str:
    lines = [f"postman-sim listening on {base}", *admin]
    lines.append(f"  {'Scenarios':<12} {scenarios_text(config.source)}")
    lines.append(f"  {'Clock':<12} {clock}")
    lines += [f"  {face.title:<12} {base}{face.mount}" for face in faces()]
    lines.append(f"  {'Control':<12} {base}/_sim  (health, reset, clock, messages)")
    lines.append(f"  {'Dashboard':<12} {base}/_sim/dashboard")
    lines.append(f"  {'Webhooks':<12} {base}/_sim/webhooks  (sink for QA: {base}/_sim/sink)")
    lines.append(f"  {'API docs':<12} {base}/_sim/docs  (OpenAPI: {base}/_sim/openapi.json)")
    lines.append(f"  {'Metrics':<12} {base}/_sim/metrics")
    for face in faces():
        lines += face.banner(config, base)
    return "\n".join(lines)


def as_json_line(text: str, base: str, config: SimConfig, clock: Clock) -> str:
    """The banner as one JSON object on one line, shaped like a `--log-format json` log line, so that a
    log collector reading the container's output sees JSON only (keys are test keys: shown, not masked)."""
    return json.dumps({"ts": iso_utc(time.time()), "level": "info", "logger": "postman_sim", "event": "listening",
                       "url": base, "scenarios": scenarios_text(config.source),
                       "clock": clock_text(clock.kind, clock.speed), "banner": text.splitlines()},
                      ensure_ascii=False)
