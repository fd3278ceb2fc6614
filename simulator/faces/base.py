"""What a face is, how its routes are declared and guarded, and the one HTTP error base (DESIGN B1-B2).

FaceError(status, code, message, headers)   any 4xx/5xx a surface answers in its own shape
 ├── V2Error (+type, details, omitted)       faces/v2/errors.py     {"error": {code, message, type, id}}
 ├── V1Error                                 faces/v1/errors.py     {"code", "message"}
 ├── QlaraError (code None)                  faces/qlara/errors.py  Spring {timestamp, status, error, message, path}
 │    └── QlaraRateLimited (+retry_after)                           the documented 429 body
 ├── AdminError (+details)                   admin/errors.py        {"error": {code, message, **details}}
 └── SimError                                testing/client.py      the /_sim body, read back by the client

A face is one module-level declaration (`Face`, usually a `FaceDeclaration` subclass) that the registry in
`simulator.faces` lists; its runtime is a `FaceApp` whose endpoints are `@route` methods with one signature,
all behind the one `guard`.
"""

from __future__ import annotations

import itertools
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.flows import ApiError, Flow
from simulator.core.models import Message
from simulator.core.ratelimit import Limit, Verdict
from simulator.core.trace import note_tenant
from simulator.faces.common import error_middleware
from simulator.faces.formats import Format
from simulator.scenarios.model import SimConfig


class FaceError(Exception):
    """An HTTP error a surface answers in its own shape; `headers` go on the answer as they are."""

    def __init__(self, status: int, code: str | None, message: str, *,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers: dict[str, str] = dict(headers or {})


class SubscriptionRefused(ValueError):
    """A registration the dispatcher refuses (webhooks.subscription.SubscriptionError subclasses it)."""


T = TypeVar("T")    # tenant: v2 Campaign, v1 API key (str), Qlara Company
C = TypeVar("C")    # parsed section: V2Config, V1Config, QlaraConfig
H = TypeVar("H", bound=Callable[..., Awaitable[web.StreamResponse]])
Endpoint = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Caller(Generic[T]):
    """Who is calling, as the guard needs it."""

    tenant: T
    tenant_id: str                  # the tenant as the journal and /_sim name it (campaign id, v1 key, company id)
    limit_key: str                  # "v2:<campaign>", "v1:<key>", qlara Credential.limiter_key
    limits: tuple[Limit, ...]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str                       # relative to the face's mount (admin: to /_sim)
    limited: bool = True            # counts against the caller's limits (v1: sends only)
    admin: bool = False             # a /_sim/<face>/... route: no guard, /_sim error shape


def route(method: str, path: str, *, limited: bool = True) -> Callable[[H], H]:
    """Mark `async def name(self, request: web.Request, tenant: T) -> web.StreamResponse` as an endpoint."""

    def mark(handler: H) -> H:
        vars(handler)["route_spec"] = RouteSpec(method, path, limited)
        return handler

    return mark


def admin_route(method: str, path: str) -> Callable[[H], H]:
    """Mark `async def name(self, request: web.Request) -> web.StreamResponse` as a /_sim route."""

    def mark(handler: H) -> H:
        vars(handler)["route_spec"] = RouteSpec(method, path, limited=False, admin=True)
        return handler

    return mark


@dataclass(frozen=True, slots=True)
class RouterOptions:
    case_insensitive: bool = False  # v1: literal segments match in any letter case (Express)
    trailing_slash: bool = False    # v1: "/send/" == "/send" (Express non-strict routing)

    def pattern(self, path: str) -> str:
        """The aiohttp path for a declared one, with this face's matching rules applied to every route."""
        if self.case_insensitive:
            names = itertools.count()

            def letters(match: re.Match[str]) -> str:
                pattern = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c)
                                  for c in match.group(1))
                return f"{{_s{next(names)}:{pattern}}}"

            path = re.sub(r"(?<=/)([^/{}]+)(?=/|$)", letters, path)
        return path + "{_slash:/?}" if self.trailing_slash else path


class FaceApp(ABC, Generic[T, C]):
    """One face bound to one engine. Endpoints are @route methods, all with one signature."""

    router: ClassVar[RouterOptions] = RouterOptions()
    rate_headers_on_errors: ClassVar[bool] = False   # Qlara: X-RateLimit-* on its 4xx answers too
    log: ClassVar[logging.Logger] = logging.getLogger("postman_sim.face")

    def __init__(self, engine: Engine, config: C, open_mode: bool) -> None:
        self.engine, self.config, self.open_mode = engine, config, open_mode
        engine.on_reset(self.reset)
        engine.store.on_evict(self.messages_evicted)

    # -- each face fills these in -----------------------------------------------------------------

    @abstractmethod
    def authenticate(self, request: web.Request) -> Caller[T] | None:
        """The caller, or None (the guard answers `unauthorized()`)."""

    @abstractmethod
    def unauthorized(self) -> FaceError: ...

    @abstractmethod
    def too_many(self, verdict: Verdict) -> FaceError:
        """The 429, carrying the face's own 429 headers."""

    @abstractmethod
    def error_response(self, request: web.Request, error: FaceError) -> web.Response:
        """The body and status of `error` in the face's shape (headers are added by `respond`)."""

    @abstractmethod
    def http_error(self, exc: web.HTTPException) -> FaceError:
        """A router 404/405/413 in the face's words."""

    @abstractmethod
    def internal_error(self) -> FaceError: ...

    @abstractmethod
    def fault_error(self, status: int, code: str | None = None, message: str | None = None,
                    retry_after: int = 1) -> FaceError:
        """The 429/500/502/503/504 a `faults:` entry answers with on this face's paths, or with `code` one of the
        face's documented errors (its status and message come from the face's table)."""

    def rate_headers(self, verdict: Verdict | None) -> dict[str, str]:
        """Rate-limit headers a limited route carries (none by default)."""
        return {}

    def simulated_windows(self) -> bool:
        """The section's `rate_limit_clock: simulated`: windows on the simulated clock (default: wall time)."""
        return False

    def max_body(self) -> int:
        """The sub-app's client_max_size."""
        return 1024 * 1024

    def reset(self, tenant: str | None) -> None:
        """Forget the face's own state (all, or one tenant's)."""

    def export_state(self) -> dict[str, Any]:
        """The face's own state as plain JSON-able data, for a snapshot (nothing by default). Never a secret:
        keys only by digest (SecretMap.digests)."""
        return {}

    def import_state(self, data: Mapping[str, Any]) -> None:
        """Put `export_state`'s data back, before the messages are restored (ValueError/KeyError/TypeError on
        data of the wrong shape)."""

    def message_restored(self, message: Message) -> None:
        """One of the face's messages was read back from a snapshot (in acceptance order): rebuild any lookup
        of the face's own that points at messages."""

    def messages_evicted(self, messages: Sequence[Message]) -> None:
        """Messages were evicted (--max-messages, --retention; a batch holds every face's): drop any lookup of
        the face's own that points at them, or it keeps them alive and the store's bound bounds nothing."""

    def export_payload(self, payload: Mapping[str, Any]) -> Any:
        """A stored message's payload as JSON-able data (a face with a compact payload class overrides both)."""
        return dict(payload)

    def import_payload(self, data: Any, tenant: str) -> Mapping[str, Any]:
        if not isinstance(data, dict):
            raise ValueError("a message payload is not an object")
        return data

    # -- shared by every face -------------------------------------------------------------------

    def respond(self, request: web.Request, error: FaceError) -> web.Response:
        response = self.error_response(request, error)
        response.headers.update(error.headers)
        return response

    def guard(self, handler: Callable[[web.Request, T], Awaitable[web.StreamResponse]], spec: RouteSpec
              ) -> Endpoint:
        """Tenant -> 401, rate limit -> 429 with the face's headers, clock catch-up, then the handler."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            caller = self.authenticate(request)
            if caller is None:
                raise self.unauthorized()
            note_tenant(caller.tenant_id)  # the request journal: whose request this is
            verdict = (self.engine.limiter.hit(caller.limit_key, caller.limits, simulated=self.simulated_windows())
                       if spec.limited else None)
            headers = self.rate_headers(verdict)
            if verdict is not None and not verdict.allowed:
                error = self.too_many(verdict)
                error.headers = {**headers, **error.headers}
                raise error
            self.engine.catch_up()
            try:
                response = await handler(request, caller.tenant)
            except FaceError as exc:
                if not self.rate_headers_on_errors:
                    raise
                response = self.respond(request, exc)
            response.headers.update(headers)
            return response

        return guarded

    @classmethod
    def specs(cls) -> list[tuple[str, RouteSpec]]:
        """Marked methods in MRO order (class, then mixins left to right; first definition wins), so the
        registration order is the order the face declares them in."""
        seen: set[str] = set()
        found: list[tuple[str, RouteSpec]] = []
        for klass in cls.__mro__:
            for name, value in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)
                spec = getattr(value, "route_spec", None)
                if isinstance(spec, RouteSpec):
                    found.append((name, spec))
        return found

    def build(self, under: str = "") -> web.Application:
        """The face's sub-application: its error policy, then every @route behind the guard. With `under`
        (an alias), only the routes below that path, relative to it: the sub-app to mount at the alias."""
        app = web.Application(middlewares=[error_middleware(FaceError, self.respond, self.http_error,
                                                            self.internal_error, self.log)],
                              client_max_size=self.max_body())
        app[FACE_APP] = self
        for name, spec in self.specs():
            if not spec.admin and spec.path.startswith(under + "/"):
                app.router.add_route(spec.method, self.router.pattern(spec.path[len(under):]),
                                     self.guard(getattr(self, name), spec))
        return app

    def admin_routes(self) -> list[web.RouteDef]:
        """The face's @admin_route methods, for the /_sim sub-application."""
        return [web.route(s.method, s.path, getattr(self, n)) for n, s in self.specs() if s.admin]


def section_mapping(name: str, value: object) -> Mapping[str, Any]:
    """A face section as a mapping; ValueError naming the section for anything else."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a mapping of settings, not {type(value).__name__}")
    return value


class Face(Protocol):
    """What the registry holds: one module-level declaration per face."""

    id: str                         # journal `face`, metrics label, scenario/fault `face:`, urls[...]
    title: str                      # banner name, OpenAPI tag
    mount: str                      # where its sub-app is mounted (Qlara: "/api")
    prefixes: tuple[str, ...]       # the paths of its API (faults' `face:` and error shape)
    flows: Mapping[str, Flow]       # channel -> Flow
    section: str                    # its scenarios.yaml section
    section_schema: Mapping[str, Any]   # JSON Schema of that section (conformance test; not published)
    openapi: Path                   # its OpenAPI fragment (tags, paths, components)
    formats: tuple[Format, ...]     # webhook formats it adds (Qlara: "qlara")
    auth_scheme: str                # "bearer": Authorization: Bearer <key>; "api-key": X-Api-Key or Basic
    aliases: tuple[str, ...]        # parts of its API (relative to mount) also served at that path from the root
    documented_errors: Mapping[str, ApiError]   # code -> the error its docs name, for faults' `error: {code}`

    def parse_section(self, section: object) -> object:
        """The parsed section; ValueError naming the key for a malformed one."""
        ...

    def create_app(self, engine: Engine, config: SimConfig) -> web.Application:
        """The face's sub-application, to be mounted at `mount`."""
        ...

    def alias_apps(self, app: web.Application) -> list[tuple[str, web.Application]]:
        """(path, sub-app) for each alias: the same runtime as `app` (its sub-app), to be mounted there too."""
        ...

    def error_body(self, request: web.Request, status: int, code: str | None = None,
                   message: str | None = None, *, retry_after: int = 1) -> web.Response:
        """A fault's error in the face's own shape, for a request on one of its prefixes: a 429/500/502/503/504,
        or (with `code`) one of its `documented_errors`."""
        ...

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        """Extra lines for the startup banner, each starting with two spaces."""
        ...

    def admin_routes(self, app: web.Application) -> list[web.RouteDef]:
        """/_sim routes of its own (paths relative to /_sim, under /<id>/); `app` is its sub-app."""
        ...


class FaceDeclaration(ABC, Generic[C]):
    """The half of a Face that is the same everywhere. Subclasses set the attributes and `runtime`."""

    id: str
    title: str
    mount: str
    prefixes: tuple[str, ...]
    flows: Mapping[str, Flow]
    section: str
    section_schema: Mapping[str, Any]
    openapi: Path
    formats: tuple[Format, ...] = ()
    auth_scheme: str = "bearer"
    aliases: tuple[str, ...] = ()
    documented_errors: Mapping[str, ApiError] = MappingProxyType({})
    runtime: ClassVar[type[FaceApp[Any, Any]]]

    @abstractmethod
    def parse_section(self, section: object) -> C:
        """The face's section of the scenarios file, parsed; ValueError naming the key for a malformed one."""

    def section_of(self, config: SimConfig) -> C:
        """The face's parsed section of `config` (an absent section is empty)."""
        return self.parse_section(config.section(self.section))

    def create_app(self, engine: Engine, config: SimConfig) -> web.Application:
        return self.runtime(engine, self.section_of(config), config.mode == "open").build()

    def alias_apps(self, app: web.Application) -> list[tuple[str, web.Application]]:
        face = app.get(FACE_APP)
        return [] if face is None else [(alias, face.build(under=alias)) for alias in self.aliases]

    def error_body(self, request: web.Request, status: int, code: str | None = None,
                   message: str | None = None, *, retry_after: int = 1) -> web.Response:
        documented = self.documented_errors.get(code) if code is not None else None
        if documented is not None and documented.text is not None:
            return web.Response(status=documented.status, text=documented.text)
        face = request.config_dict[FACE_APPS][self.id]
        return face.respond(request, face.fault_error(status, code, message, retry_after))

    def banner(self, config: SimConfig, base_url: str) -> list[str]:
        return []

    def admin_routes(self, app: web.Application) -> list[web.RouteDef]:
        face = app.get(FACE_APP)
        return [] if face is None else face.admin_routes()


class Registration(Protocol):
    """What a face reads back from its own webhook registration."""

    @property
    def url(self) -> str: ...

    @property
    def created_at(self) -> float: ...

    @property
    def updated_at(self) -> float: ...


class Subscriptions(Protocol):
    """The webhook dispatcher as a face sees it (webhooks.Dispatcher implements it; refusals raise
    SubscriptionRefused)."""

    def get_subscription(self, sub_id: str) -> Registration | None: ...

    def set_subscription(self, sub_id: str, spec: Mapping[str, Any], *, source: str) -> Registration: ...

    def update_subscription(self, sub_id: str, changes: Mapping[str, Any]) -> Registration: ...

    def remove_subscription(self, sub_id: str) -> bool: ...

    def deliver(self, sub_id: str, payload: Mapping[str, Any], *, face: str, channel: str, tenant: str,
                kind: str) -> object: ...

    def learn_local_address(self, transport: object) -> None: ...


FACE_APP: web.AppKey[FaceApp[Any, Any]] = web.AppKey("face_app", FaceApp)            # on each face's sub-app
FACE_APPS: web.AppKey[dict[str, FaceApp[Any, Any]]] = web.AppKey("face_apps")       # root: id -> runtime
SUBSCRIPTIONS: web.AppKey[Subscriptions] = web.AppKey("subscriptions")              # root: the dispatcher
