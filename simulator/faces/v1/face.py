"""What the three v1 channels share: auth, the per-key rate limit, error bodies, ids, storage."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.models import Message, Plan, Step
from simulator.core.ratelimit import Limit, Verdict
from simulator.core.trace import note_tenant
from simulator.faces.common import error_middleware
from simulator.faces.credentials import SecretMap
from simulator.faces.v1 import errors
from simulator.faces.v1.auth import api_key
from simulator.faces.v1.config import V1Config

log = logging.getLogger("postman_sim.v1")

FACE = "v1"
Handler = Callable[["V1Face", web.Request, str], Awaitable[web.StreamResponse]]


class V1Face:
    def __init__(self, engine: Engine, config: V1Config, open_mode: bool) -> None:
        self.engine = engine
        self.config = config
        self.open_mode = open_mode
        self.keys = SecretMap((key, True) for key in config.keys)
        self.limits = (Limit(config.rate_limit, 1.0),) if config.rate_limit else ()
        self.middleware = error_middleware(
            errors.V1Error, lambda _request, exc: self.error_response(exc), errors.http_error,
            lambda: errors.V1Error(500, "internal_server", errors.INTERNAL), log)

    @staticmethod
    def error_response(exc: errors.V1Error, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response({"code": exc.code, "message": exc.message}, status=exc.status, headers=headers)

    def route(self, handler: Handler, send: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Authenticate (401); sends also count against the key's rate limit (429) and carry its headers."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            tenant = api_key(request, self.keys, self.open_mode)
            if tenant is None:
                raise errors.unauthenticated()
            note_tenant(tenant)
            verdict = self.engine.limiter.hit(f"v1:{tenant}", self.limits) if send else None
            headers = _limit_headers(verdict)
            if verdict is not None and not verdict.allowed:
                headers["Retry-After"] = str(verdict.retry_after)
                return self.error_response(errors.rate_limited(), headers)
            self.engine.catch_up()
            response = await handler(self, request, tenant)
            response.headers.update(headers)
            return response

        return wrapped

    # -- messages -------------------------------------------------------------------------------

    def store(self, channel: str, tenant: str, recipient: str, payload: dict[str, Any], content: str,
              plan: Plan) -> Message:
        """Accept a message with a database-style serial id (the wire id), kept apart per channel."""
        serial = self.engine.ids.serial(f"v1.{channel}")
        payload["id"] = serial
        payload["account"] = tenant.split("_", 1)[0]  # the key's name part: webhooks never carry the secret
        return self.engine.accept(face=FACE, channel=channel, tenant=tenant, recipient=recipient, payload=payload,
                                  content=content, message_id=f"v1.{channel}.{serial}", plan=plan)

    def plan(self, channel: str, tenant: str, recipient: str, content: str) -> Plan:
        return self.engine.plan(FACE, channel, tenant, recipient, content)

    def find(self, request: web.Request, channel: str, tenant: str, param: str, missing: str) -> Message:
        """The tenant's message named in the path; 400 for a non-numeric id, 404 for anyone else's."""
        raw = request.match_info[param]
        if not (raw.isascii() and raw.isdigit()):
            raise errors.validation(f'"{param}" must be a number')
        wire_id = str(int(raw))
        message = self.engine.store.get(f"v1.{channel}.{wire_id}")
        if message is None or message.tenant != tenant:
            raise errors.not_found(missing.format(id=raw))
        return message

    def messages(self, channel: str, tenant: str) -> list[Message]:
        return [m for m in self.engine.store.tenant_messages(FACE, tenant) if m.channel == channel]


def accepted_first(plan: Plan) -> Plan:
    """The real send handler marks the message ACCEPTED before answering; the scenario follows."""
    return Plan(rule=plan.rule, steps=(Step(after=0.0, status="ACCEPTED"), *plan.steps))


def _limit_headers(verdict: Verdict | None) -> dict[str, str]:
    """express-rate-limit's draft headers, as the real email send route sends them."""
    if verdict is None:
        return {}
    reset = str(max(1, round(verdict.reset_in)))
    return {"X-RateLimit-Limit": str(verdict.limit.count), "X-RateLimit-Remaining": str(verdict.remaining),
            "RateLimit-Limit": str(verdict.limit.count), "RateLimit-Remaining": str(verdict.remaining),
            "RateLimit-Reset": reset}
