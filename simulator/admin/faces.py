"""GET /_sim/faces: each face's flows as the registry declares them, so a client (the dashboard) knows every
status vocabulary, which statuses are failures or still in flight, the error codes a forced failure may
carry and the face's own /_sim routes, without a copy of any of it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.core.flows import Flow
from simulator.faces import faces
from simulator.faces.base import FACE_APPS

FAILED = frozenset({"failed", "expired", "complained"})   # neutral statuses that mean "did not get there"
ARRIVED = frozenset({"delivered", "read"})


def status_class(flow: Flow, status: str) -> str:
    """"failure", "delivered" or "in_flight" (not yet delivered, not failed), from the flow's neutral names."""
    neutral = flow.canonical.get(status)
    if neutral in FAILED:
        return "failure"
    return "delivered" if neutral in ARRIVED else "in_flight"


def _codes(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def flow_view(channel: str, flow: Flow) -> dict[str, Any]:
    return {
        "channel": channel,
        "statuses": [{"name": s, "class": status_class(flow, s), "terminal": s in flow.terminal,
                      "neutral": flow.canonical.get(s)} for s in flow.statuses],
        "initial": list(flow.initial),
        "errorTypes": _codes(flow.error_types),
        "errorCodes": _codes(flow.error_codes),
        "forcedErrors": {status: error.as_dict() for status, error in flow.forced_errors.items()},
    }


async def list_faces(request: web.Request) -> web.Response:
    runtimes = request.config_dict.get(FACE_APPS, {})
    data = []
    for face in faces():
        runtime = runtimes.get(face.id)
        admin = [] if runtime is None else [{"method": spec.method, "path": "/_sim" + spec.path}
                                            for _, spec in runtime.specs() if spec.admin]
        data.append({"id": face.id, "title": face.title,
                     "flows": [flow_view(channel, flow) for channel, flow in face.flows.items()],
                     "adminRoutes": admin})
    return web.json_response({"data": data})
