"""An example face that lives only in the test suite: the proof that a face is one declared unit (issue 11).

Everything it gets (faults in its shape, metrics labels, banner lines, OpenAPI paths, scenario validation,
webhooks, the guard's 401/429, its /_sim route) comes from this folder and one `register(EXAMPLE)`.
Its API: `POST /example/messages` {to, text} with `X-Api-Key: <tenant>`, and `GET /example/messages/{id}`.
Its errors: {"oops": {"code", "text"}}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.core.flows import Flow
from simulator.core.models import ErrorInfo, Facts
from simulator.core.ratelimit import Limit, Verdict
from simulator.faces.base import Caller, FaceApp, FaceDeclaration, FaceError, admin_route, route, section_mapping
from simulator.faces.bodies import read_fields
from simulator.faces.common import read_json_object
from simulator.scenarios.model import SimConfig

FACE, CHANNEL = "example", "sms"
FLOWS = {CHANNEL: Flow(
    statuses=("queued", "delivered", "failed"), initial=("queued",), terminal=frozenset({"delivered", "failed"}),
    canonical={"delivered": "delivered", "failed": "failed"}, forced_errors={"failed": ErrorInfo(code="E1")},
)}
SECTION_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                  "properties": {"rate_limit": {"type": "integer", "minimum": 1}}}


@dataclass(frozen=True, slots=True)
class ExampleConfig:
    rate_limit: int = 2  # sends and reads per second per tenant


def parse_example_config(section: Mapping[str, Any]) -> ExampleConfig:
    unknown = set(section) - {"rate_limit"}
    if unknown:
        raise ValueError(f"example: unknown key(s) {sorted(unknown)}")
    limit = section.get("rate_limit", 2)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"example.rate_limit must be a whole number >= 1, not {limit!r}")
    return ExampleConfig(limit)


class ExampleApp(FaceApp[str, ExampleConfig]):
    """Two endpoints behind the one guard, and one /_sim route."""

    sent = 0  # this app's sends so far: the serial its API answers with ("ex-1", ...)

    def reset(self, tenant: str | None) -> None:
        if tenant is None:
            self.sent = 0

    def authenticate(self, request: web.Request) -> Caller[str] | None:
        key = request.headers.get("X-Api-Key")
        return Caller(key, key, f"example:{key}", (Limit(self.config.rate_limit, 1.0),)) if key else None

    def unauthorized(self) -> FaceError:
        return FaceError(401, "NO_KEY", "send X-Api-Key")

    def too_many(self, verdict: Verdict) -> FaceError:
        return FaceError(429, "SLOW_DOWN", "too many requests", headers={"Retry-After": str(verdict.retry_after)})

    def error_response(self, request: web.Request, error: FaceError) -> web.Response:
        return web.json_response({"oops": {"code": error.code, "text": error.message}}, status=error.status)

    def http_error(self, exc: web.HTTPException) -> FaceError:
        return FaceError(exc.status, "HTTP", exc.reason)

    def internal_error(self) -> FaceError:
        return FaceError(500, "BROKEN", "internal error")

    def fault_error(self, status: int, code: str | None = None, message: str | None = None,
                    retry_after: int = 1) -> FaceError:
        headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
        return FaceError(status, code or f"E{status}", message or "injected fault", headers=headers)

    @route("POST", "/messages")
    async def send(self, request: web.Request, tenant: str) -> web.Response:
        try:
            body = await read_json_object(request, 64 * 1024)
        except ValueError as exc:
            raise FaceError(400, "BAD_BODY", "the body must be a JSON object") from exc
        to, text = body.get("to"), body.get("text", "")
        if not isinstance(to, str) or not to or not isinstance(text, str):
            raise FaceError(400, "BAD_FIELD", "'to' (a string) is required; 'text' must be a string")
        self.sent += 1
        serial = f"ex-{self.sent}"
        message = self.engine.accept(face=FACE, channel=CHANNEL, tenant=tenant, recipient=to, payload={"text": text},
                                     content=text, facts=Facts(api_id=serial))
        return web.json_response({"id": message.id, "ref": serial, "state": message.status}, status=201)

    @route("GET", "/messages/{id}")
    async def read(self, request: web.Request, tenant: str) -> web.Response:
        message = self.engine.store.get(request.match_info["id"])
        if message is None or message.face != FACE or message.tenant != tenant:
            raise FaceError(404, "NOT_FOUND", "no such message")
        return web.json_response({"id": message.id, "state": message.status})

    @admin_route("POST", "/example/poke")
    async def poke(self, request: web.Request) -> web.Response:
        body = await read_fields(request, {"tenant": "string"})
        return web.json_response({"poked": body.get("tenant"), "sent": self.sent})


class ExampleFace(FaceDeclaration[ExampleConfig]):
    id: str = FACE
    title: str = "Example SMS"
    mount: str = "/example"
    prefixes: tuple[str, ...] = ("/example",)
    flows: Mapping[str, Flow] = FLOWS
    section: str = "example"
    section_schema: Mapping[str, Any] = SECTION_SCHEMA
    openapi: Path = Path(__file__).resolve().parent / "openapi.yaml"
    auth_scheme: str = "api-key"  # the journal's report checks 401s against it
    runtime = ExampleApp

    def parse_section(self, section: object) -> ExampleConfig:
        return parse_example_config(section_mapping(self.section, section))

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        return [f"  example key: any X-Api-Key header ({self.section_of(config).rate_limit}/s per key)"]


EXAMPLE = ExampleFace()
