"""The Qlara face's state and plumbing: auth, per-key rate limits, error bodies, reset, lookups."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.models import Message
from simulator.core.ratelimit import Verdict
from simulator.core.trace import note_read, note_tenant
from simulator.faces.common import BadBody, error_middleware, read_json_object
from simulator.faces.qlara import errors
from simulator.faces.qlara.auth import Companies, Company, credential
from simulator.faces.qlara.config import QlaraConfig
from simulator.faces.qlara.index import CustomerIds
from simulator.faces.qlara.plans import FACE
from simulator.faces.qlara.windows import ConversationWindows

log = logging.getLogger("postman_sim.qlara")

Handler = Callable[[web.Request, Company], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message a recipient sent to a company (simulated): it opens the 24-hour window."""

    company: str
    source: str           # the recipient's number
    destination: str      # the company's WhatsApp number
    text: str
    at: float
    window_closes_at: float


InboundHook = Callable[[Inbound], None]


class QlaraFace:
    def __init__(self, engine: Engine, config: QlaraConfig, open_mode: bool) -> None:
        self.engine = engine
        self.config = config
        self.companies = Companies(config, open_mode)
        self.companies.load()
        self.windows = ConversationWindows(config.window_hours)
        self.customer_ids = CustomerIds()
        self._inbound_hooks: list[InboundHook] = []
        self.middleware = error_middleware(errors.QlaraError, self.error_response, errors.http_error,
                                           lambda: errors.QlaraError(500, "Internal server error"), log)
        engine.on_reset(self._reset)

    def _reset(self, company: str | None) -> None:
        self.windows.forget(company)
        self.customer_ids.forget(company)
        if company is None:
            self.companies.load()

    # -- hooks for other parts of the simulator --------------------------------------------------

    def on_inbound(self, hook: InboundHook) -> None:
        """Call `hook(inbound)` for every simulated inbound message (app.py wires the INBOUND webhook here)."""
        self._inbound_hooks.append(hook)

    def record_inbound(self, company: Company, source: str, destination: str, text: str) -> Inbound:
        now = self.engine.clock.now()
        closes = self.windows.record(company.id, source, now)
        inbound = Inbound(company.id, source, destination, text, now, closes)
        for hook in self._inbound_hooks:
            hook(inbound)
        return inbound

    # -- plumbing -------------------------------------------------------------------------------

    def error_response(self, request: web.Request, exc: errors.QlaraError) -> web.Response:
        body = errors.error_body(exc.status, exc.message, request.path, self.engine.clock.now())
        return web.json_response(body, status=exc.status)

    def authed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Resolve the company (401), count the call against the key's limits (429), add X-RateLimit-*."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            cred = credential(request)
            company = self.companies.resolve(cred)
            if cred is None or company is None:
                raise errors.QlaraError(401, errors.UNAUTHORIZED)
            note_tenant(company.id)
            verdict = self.engine.limiter.hit(cred.limiter_key, company.limits)
            headers = rate_headers(verdict)
            if verdict is not None and not verdict.allowed:
                headers["Retry-After"] = str(verdict.retry_after)
                return web.json_response(errors.rate_limited_body(verdict.retry_after), status=429, headers=headers)
            self.engine.catch_up()
            try:
                response = await handler(request, company)
            except errors.QlaraError as exc:
                response = self.error_response(request, exc)
            response.headers.update(headers)
            return response

        return wrapped

    async def json_body(self, request: web.Request) -> dict[str, Any]:
        try:
            return await read_json_object(request, self.config.max_body_bytes)
        except BadBody as exc:
            if str(exc) == "too large":
                raise errors.QlaraError(413, f"Request body exceeds {self.config.max_body_bytes} bytes") from exc
            if str(exc) == "lone surrogate":
                raise errors.bad_request("Request body has a string with an unpaired UTF-16 surrogate") from exc
            raise errors.bad_request("Request body must be a JSON object") from exc

    def lookup(self, company: Company, channel: str, customer_id: str) -> Message | None:
        message = self.customer_ids.get(company.id, channel, customer_id)
        if message is not None:
            note_read(message.id)
        return message

    def messages(self, company: Company) -> list[Message]:
        """The company's messages, oldest first."""
        return self.engine.store.tenant_messages(FACE, company.id)


def rate_headers(verdict: Verdict | None) -> dict[str, str]:
    """X-RateLimit-Limit/Remaining/Reset for the tightest window (Reset: seconds until it restarts)."""
    if verdict is None:
        return {}
    return {"X-RateLimit-Limit": str(verdict.limit.count), "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": str(max(1, math.ceil(verdict.reset_in)))}


QLARA_FACE = web.AppKey("qlara_face", QlaraFace)
