"""The startup banner: where each face and the control surface are, then each face's own lines.

`tests/processes.py` waits for its "try: curl" line, so the text stays as it was before the registry.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.faces import faces
from simulator.scenarios.model import SimConfig


def render(config: SimConfig, base: str, admin: Sequence[str] = ()) -> str:
    lines = [f"postman-sim listening on {base}", *admin]
    lines += [f"  {face.title:<12} {base}{face.mount}" for face in faces()]
    lines.append(f"  {'Control':<12} {base}/_sim  (health, reset, clock, messages)")
    lines.append(f"  {'Dashboard':<12} {base}/_sim/dashboard")
    lines.append(f"  {'Webhooks':<12} {base}/_sim/webhooks  (sink for QA: {base}/_sim/sink)")
    lines.append(f"  {'API docs':<12} {base}/_sim/docs  (OpenAPI: {base}/_sim/openapi.json)")
    lines.append(f"  {'Metrics':<12} {base}/_sim/metrics")
    for face in faces():
        lines += face.banner(config, base)
    return "\n".join(lines)
