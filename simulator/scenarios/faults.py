"""API-level faults from the `faults:` block: latency, HTTP errors, 429 bursts, dropped connections, timeouts.

A root-app middleware decides per request, before the face sees it, which faults hit (each fault
counts the requests it matches per tenant, for `nth`/`first`/`every` schedules; `probability` draws
from a stream seeded by `--seed`). Error bodies are in the face's own shape. Latency and timeouts
are real time: they model the network, which the simulated clock does not govern.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from simulator.core.engine import Engine
from simulator.faces.common import bearer_token
from simulator.faces.qlara import errors as qlara_errors
from simulator.faces.v2 import errors as v2_errors
from simulator.scenarios.model import FaultSpec

log = logging.getLogger("postman_sim.faults")

FAULT_HEADER = "X-Postman-Sim-Fault"

# Which face a path belongs to, for matching `face:` and for the error body's shape.
FACE_PATHS = (
    ("/api/v2/", "v2"),
    ("/v1/", "v1"),
    ("/api/partner-gateway/", "qlara"),
    ("/partner-gateway/", "qlara"),
    ("/api/message-server/", "qlara"),
    ("/qlara/", "qlara"),
)

REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}
QLARA_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}
# v2: {"error": {code, message, type, id}} (the 429 and 500 match what the v2 face itself answers).
V2_ERRORS = {
    429: ("too_many_requests", "Too many requests, please try again later.", "rate_limit_error"),
    500: ("internal_server_error", "Internal server error", "server_error"),
    502: ("bad_gateway", "Bad gateway", "server_error"),
    503: ("service_unavailable", "Service unavailable", "server_error"),
    504: ("gateway_timeout", "Gateway timeout", "server_error"),
}
# v1: {"code", "message"}, with the codes of postmangovsg's rest-api errors.
V1_ERRORS = {
    429: ("rate_limit", "Too many requests. Please try again later."),
    500: ("internal_server", "Internal Server Error."),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}


def face_of(path: str) -> str | None:
    for prefix, face in FACE_PATHS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return face
    return None


def tenant_of(request: web.Request) -> str:
    """v2: the campaign in the path; other faces: the API key (Bearer, X-API-Key or api-key header)."""
    campaign = request.match_info.get("campaignId")
    if campaign:
        return campaign
    return bearer_token(request) or request.headers.get("X-API-Key") or request.headers.get("api-key") or ""


@dataclass(slots=True)
class Decision:
    latency: float = 0.0
    fault: FaultSpec | None = None     # the error, drop or timeout to apply, if any
    names: tuple[str, ...] = ()


class FaultState:
    """Per-fault request counts and the seeded random stream; restarted on reload and full reset."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.restart()

    def restart(self) -> None:
        self.rng = random.Random(self.seed)
        self.counts: dict[tuple[int, str], int] = {}

    def forget(self, tenant: str) -> None:
        self.counts = {k: v for k, v in self.counts.items() if k[1] != tenant}

    def decide(self, faults: tuple[FaultSpec, ...], engine: Engine, method: str, path: str,
               tenant: str) -> Decision:
        decision = Decision()
        face = face_of(path)
        names = []
        for index, fault in enumerate(faults):
            if ((fault.face is not None and fault.face != face)
                    or (fault.methods is not None and method not in fault.methods)
                    or (fault.path is not None and not fnmatch.fnmatchcase(path, fault.path))
                    or (fault.tenant is not None and fault.tenant != tenant)
                    or (fault.active is not None and not engine.plan_state.active(fault.active))):
                continue
            slot = (index, tenant)
            k = self.counts.get(slot, 0) + 1
            self.counts[slot] = k
            if not fault.due(k, self.rng):
                continue
            terminal = fault.status is not None or fault.drop or fault.timeout is not None
            if terminal and decision.fault is not None:
                continue
            names.append(fault.name)
            if fault.latency is not None:
                decision.latency += fault.latency.sample(self.rng)
            if terminal:
                decision.fault = fault
        decision.names = tuple(names)
        return decision


def error_response(fault: FaultSpec, status: int, request: web.Request, engine: Engine,
                   names: tuple[str, ...] = ()) -> web.Response:
    """The HTTP error in the shape of the face the path belongs to."""
    face = fault.face or face_of(request.path)
    retry_after = fault.retry_after or 1
    headers = {FAULT_HEADER: ", ".join(names or (fault.name,))}
    if status in (429, 503):
        headers["Retry-After"] = str(retry_after)
    body: dict[str, Any]
    if face == "v2":
        code, message, type_ = V2_ERRORS[status]
        body = v2_errors.error_body(v2_errors.V2Error(status, code, message, type_), engine.ids.uuid(), False)
    elif face == "v1":
        code, message = V1_ERRORS[status]
        body = {"code": code, "message": message}
    elif face == "qlara" and status == 429:
        body = qlara_errors.rate_limited_body(retry_after)
    elif face == "qlara":
        body = qlara_errors.error_body(status, QLARA_MESSAGES[status], request.path, engine.clock.now())
    else:
        body = {"error": {"code": REASONS[status].lower().replace(" ", "_"), "message": REASONS[status]}}
    return web.json_response(body, status=status, headers=headers)


async def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket without an answer: the client sees the server disconnect."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_middleware(current: Callable[[web.Request], tuple[tuple[FaultSpec, ...], FaultState, Engine]]
                    ) -> Middleware:
    """The root middleware; `current` returns the faults in force (they change on reload)."""

    @web.middleware
    async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        specs, state, engine = current(request)
        if not specs or request.path.startswith("/_sim"):
            return await handler(request)
        decision = state.decide(specs, engine, request.method, request.path, tenant_of(request))
        if not decision.names:
            return await handler(request)
        log.debug("fault(s) %s on %s %s", ", ".join(decision.names), request.method, request.path)
        if decision.latency > 0:
            await asyncio.sleep(decision.latency)
        fault = decision.fault
        if fault is None or fault.processed:
            response = await handler(request)
            if fault is None:
                if not response.prepared:
                    response.headers[FAULT_HEADER] = ", ".join(decision.names)
                return response
        if fault.timeout is not None:
            await asyncio.sleep(fault.timeout)
            return await drop_connection(request)
        if fault.drop:
            return await drop_connection(request)
        assert fault.status is not None
        return error_response(fault, fault.status, request, engine, decision.names)

    return faults
