"""V1Routes: what the three v1 channels share (API-key auth, the per-key rate limit on sends, error bodies,
serial ids, storage), as the FaceApp the channel mixins in email.py, sms.py and govsg.py extend.

Paths after /v1 match case-insensitively and with an optional trailing slash, as Express routes do
(RouterOptions), so the documented `/transactional/govSG/...` works as well as `/transactional/govsg/...`
(the /v1 mount prefix itself is aiohttp's, matched exactly)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo, Facts, Message, Plan, Step
from simulator.core.ratelimit import Limit, Verdict
from simulator.faces.base import Caller, FaceApp, FaceError, RouterOptions
from simulator.faces.common import bearer_token
from simulator.faces.credentials import SecretMap
from simulator.faces.jsonio import json_response
from simulator.faces.v1 import errors
from simulator.faces.v1.config import V1Config
from simulator.faces.v1.forms import JSON_MAX_BYTES

FACE = "v1"
UNKNOWN_WHATSAPP = ErrorInfo(code="131000", description="Something went wrong: message failed to send")
# Statuses in the order the real service lists them (list-query errors print this order).
FLOWS = {
    "email": Flow(
        statuses=("UNSENT", "ACCEPTED", "SENT", "BOUNCED", "DELIVERED", "OPENED", "COMPLAINT"),
        initial=("UNSENT",), terminal=frozenset({"BOUNCED", "COMPLAINT"}),
        canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "OPENED": "read",
                   "BOUNCED": "failed", "COMPLAINT": "complained"},
        forced_errors={"BOUNCED": ErrorInfo(code="Hard bounce", sub_type="General"),
                       "COMPLAINT": ErrorInfo(code="abuse")},
    ),
    "sms": Flow(
        statuses=("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "ERROR"),
        initial=("UNSENT",), terminal=frozenset({"DELIVERED", "ERROR"}),
        canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "ERROR": "failed"},
        forced_errors={"ERROR": ErrorInfo(code="30008", description="Unknown error")},
    ),
    "whatsapp": Flow(
        statuses=("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "READ", "ERROR", "INVALID_RECIPIENT"),
        initial=("UNSENT",), terminal=frozenset({"READ", "ERROR", "INVALID_RECIPIENT"}),
        canonical={"ACCEPTED": "accepted", "SENT": "sent", "DELIVERED": "delivered", "READ": "read",
                   "ERROR": "failed", "INVALID_RECIPIENT": "failed"},
        forced_errors={"ERROR": UNKNOWN_WHATSAPP},
    ),
}


class V1Routes(FaceApp[str, V1Config]):
    """The API key (`<name>_<version>_<secret>`) is the tenant; only sends count against its rate limit."""

    router = RouterOptions(case_insensitive=True, trailing_slash=True)
    log = logging.getLogger("postman_sim.v1")

    def __init__(self, engine: Engine, config: V1Config, open_mode: bool) -> None:
        super().__init__(engine, config, open_mode)
        self.keys = SecretMap((key, True) for key in config.keys)
        self.limits = (Limit(config.rate_limit, 1.0),) if config.rate_limit else ()

    # -- the guard's hooks ----------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Caller[str] | None:
        """`Authorization: Bearer <key>`, if well formed (split on '_' into three non-empty parts, as the real
        service does) and, in strict mode, configured (looked up by digest, so the check takes the same time
        however much of a guessed key is right)."""
        header = request.headers.get("Authorization", "")
        key = bearer_token(request)
        if key is None or header != f"Bearer {key}" or key.split() != [key]:  # no whitespace anywhere in it
            return None
        parts = key.split("_")
        if len(parts) < 3 or not all(parts[:3]):
            return None
        if not self.open_mode and key not in self.keys:
            return None
        return Caller(key, key, f"v1:{key}", self.limits)

    def unauthorized(self) -> FaceError:
        return errors.unauthenticated()

    def too_many(self, verdict: Verdict) -> FaceError:
        return errors.rate_limited(verdict.retry_after)

    def error_response(self, request: web.Request, error: FaceError) -> web.Response:
        return json_response({"code": error.code, "message": error.message}, status=error.status)

    def http_error(self, exc: web.HTTPException) -> FaceError:
        return errors.http_error(exc)

    def internal_error(self) -> FaceError:
        return errors.fault(500)

    def fault_error(self, status: int, code: str | None = None, message: str | None = None,
                    retry_after: int = 1) -> FaceError:
        return errors.fault(status, code, message)

    def rate_headers(self, verdict: Verdict | None) -> dict[str, str]:
        """express-rate-limit's draft headers, as the real email send route sends them (sends only)."""
        if verdict is None:
            return {}
        reset = str(max(1, round(verdict.reset_in)))
        return {"X-RateLimit-Limit": str(verdict.limit.count), "X-RateLimit-Remaining": str(verdict.remaining),
                "RateLimit-Limit": str(verdict.limit.count), "RateLimit-Remaining": str(verdict.remaining),
                "RateLimit-Reset": reset}

    def simulated_windows(self) -> bool:
        return self.config.rate_limit_clock == "simulated"

    def max_body(self) -> int:
        return JSON_MAX_BYTES

    # -- messages -------------------------------------------------------------------------------

    def store(self, channel: str, tenant: str, recipient: str, payload: dict[str, Any], content: str,
              plan: Plan, wamid: str | None = None, notify: bool | None = None) -> Message:
        """Accept a message with a database-style serial id (the wire id), kept apart per channel. Webhooks
        get the key's name part as the account, never the secret."""
        serial = self.engine.ids.serial(f"v1.{channel}")
        account = tenant.split("_", 1)[0]
        payload["id"] = serial
        payload["account"] = account  # shown in the /_sim journal
        facts = Facts(api_id=serial, account=account, wamid=wamid, notify=notify)
        return self.engine.accept(face=FACE, channel=channel, tenant=tenant, recipient=recipient, payload=payload,
                                  content=content, message_id=f"v1.{channel}.{serial}", plan=plan, facts=facts)

    @staticmethod
    def statuses(channel: str) -> tuple[str, ...]:
        return FLOWS[channel].statuses

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


_ACCEPTED_FIRST: dict[int, tuple[Plan, Plan]] = {}  # id(plan) -> (plan, its accepted-first plan); bounded below


def accepted_first(plan: Plan) -> Plan:
    """The real send handler marks the message ACCEPTED before answering; the scenario follows. A scenario's
    plan (without jitter) is one object for every send it picks: its accepted-first plan is made once, not
    per send (two frozen dataclasses, 2.3 µs)."""
    cached = _ACCEPTED_FIRST.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1]
    first = Plan(rule=plan.rule, steps=(Step(after=0.0, status="ACCEPTED"), *plan.steps))
    if len(_ACCEPTED_FIRST) >= 1024:  # plans drawn per send (jitter) never repeat: start again
        _ACCEPTED_FIRST.clear()
    _ACCEPTED_FIRST[id(plan)] = (plan, first)
    return first
