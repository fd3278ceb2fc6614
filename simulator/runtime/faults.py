"""API-level faults from the `faults:` block, over HTTP: latency, errors, 429 bursts, dropped connections, timeouts,
a face's documented errors by code, and custom answers.

A root-app middleware decides per request, before the face sees it, which faults hit (scenarios.faults
counts and draws; this module only applies the decision). Error bodies are in the shape of the face whose
prefix the path is on, built by that face's declaration (`error_body`); outside every face, a generic body.
Latency and timeouts are real time: they model the network, which the simulated clock does not govern.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from simulator.faces import by_prefix
from simulator.faces.base import FACE_APPS
from simulator.faces.common import bearer_token
from simulator.scenarios.faults import FaultState
from simulator.scenarios.model import FaultSpec, PlanState
from simulator.telemetry.install import CLIENT_CLOSED

log = logging.getLogger("postman_sim.faults")

FAULT_HEADER = "X-Postman-Sim-Fault"
REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}


def tenant_of(request: web.Request) -> str:
    """v2: the campaign in the path; other faces: the API key (Bearer, X-API-Key or api-key header)."""
    campaign = request.match_info.get("campaignId")
    if campaign:
        return campaign
    return bearer_token(request) or request.headers.get("X-API-Key") or request.headers.get("api-key") or ""


def error_response(fault: FaultSpec, status: int, request: web.Request, names: tuple[str, ...] = ()) -> web.Response:
    """The HTTP error in the shape of the face the path belongs to (a documented error by its code, when the
    fault names one), or the fault's own `respond:` answer as written."""
    retry_after = fault.retry_after or 1
    face = by_prefix(request.path)  # a fault's `face:` only matched if it is this one
    if fault.respond is not None:
        answer = fault.respond
        response = web.Response(status=answer.status, text=answer.body, content_type=answer.content_type)
        response.headers.update(answer.headers)
        response.headers[FAULT_HEADER] = ", ".join(names or (fault.name,))
        return response
    if face is None:
        response = web.json_response({"error": {"code": REASONS[status].lower().replace(" ", "_"),
                                                "message": REASONS[status]}}, status=status)
    else:
        response = face.error_body(request, status, fault.error_code, retry_after=retry_after)
    response.headers[FAULT_HEADER] = ", ".join(names or (fault.name,))
    if status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


# Real-time effects to leave to whoever set this list (a replica applying a stream entry: the ordered apply
# must not sleep for one tenant's latency or close its private socket; the replica that received the request
# waits and drops instead). None: this process does them itself.
DEFERRED: ContextVar[list[tuple[str, float]] | None] = ContextVar("postman_sim_deferred_faults", default=None)


async def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket without an answer: the client sees the server disconnect."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_middleware(current: Callable[[web.Request], tuple[tuple[FaultSpec, ...], FaultState, PlanState]]
                    ) -> Middleware:
    """The root middleware; `current` returns the faults in force (they change on reload)."""

    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        specs, state, plans = current(request)
        if not specs or request.path.startswith("/_sim"):
            return await handler(request)
        face = by_prefix(request.path)
        runtime = None if face is None else request.config_dict.get(FACE_APPS, {}).get(face.id)
        decision = state.decide(specs, plans, request.method, None if face is None else face.id, request.path,
                                tenant_of(request), runtime is not None and runtime.router.case_insensitive)
        if not decision.names:
            return await handler(request)
        log.debug("fault(s) %s on %s %s", ", ".join(decision.names), request.method, request.path)
        deferred = DEFERRED.get()
        if decision.latency > 0:
            if deferred is None:
                await asyncio.sleep(decision.latency)
            else:
                deferred.append(("delay", decision.latency))
        fault = decision.fault
        if fault is None or fault.processed:
            response = await handler(request)
            if fault is None:
                if not response.prepared:
                    response.headers[FAULT_HEADER] = ", ".join(decision.names)
                return response
        if fault.timeout is not None or fault.drop:
            if deferred is not None:
                deferred += [("delay", fault.timeout or 0.0), ("drop", 0.0)]
                return web.Response(status=CLIENT_CLOSED)  # recorded as one process records the drop
            if fault.timeout is not None:
                await asyncio.sleep(fault.timeout)
            return await drop_connection(request)
        assert fault.status is not None
        return error_response(fault, fault.status, request, decision.names)

    return faults
