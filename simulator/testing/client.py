"""A small typed client for the /_sim control surface: in-process, remote or Docker alike.

`SimClient` is synchronous (urllib, no event loop needed); `AsyncSimClient` has the same methods
as coroutines (aiohttp). Both only speak HTTP, so a test reads the same against any instance.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from simulator.core.timefmt import parse_iso
from simulator.faces import flows

T = TypeVar("T")
ADMIN_TOKEN_ENV = "POSTMAN_SIM_ADMIN_TOKEN"
POLL_SECONDS = 0.05  # real-clock instances are polled; manual ones are advanced instead
MAX_STEPS = 100_000


class SimError(Exception):
    """The control surface answered with an error: `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class WaitTimeout(AssertionError):
    """A wait ran out of (simulated or real) time; the message says what was last seen."""


class SettledElsewhere(WaitTimeout):
    """The message reached a terminal status of its flow other than the one waited for: no wait can help."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    at: str
    forced: bool
    error: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    created_at: str
    rule: str
    history: tuple[StatusChange, ...]

    @property
    def statuses(self) -> list[str]:
        return [change.status for change in self.history]


@dataclass(frozen=True, slots=True)
class JournalMessage:
    """A message as the journal shows it (any face), with every attempt and status change."""

    id: str
    face: str
    channel: str
    tenant: str
    recipient: str
    status: str
    created_at: str
    updated_at: str
    batch_id: str | None
    rule: str
    payload: Mapping[str, Any]
    attempts: tuple[Attempt, ...]

    @property
    def statuses(self) -> list[str]:
        """The current attempt's statuses, oldest first."""
        return self.attempts[-1].statuses if self.attempts else []

    @property
    def error(self) -> Mapping[str, Any] | None:
        """The current attempt's latest error, if any."""
        for change in reversed(self.attempts[-1].history if self.attempts else ()):
            if change.error is not None:
                return change.error
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalMessage:
        attempts = tuple(
            Attempt(number=a["number"], created_at=a["createdAt"], rule=a["rule"],
                    history=tuple(StatusChange(status=c["status"], at=c["at"], forced=c["forced"], error=c["error"])
                                  for c in a["history"]))
            for a in data["attempts"])
        return cls(id=data["id"], face=data["face"], channel=data["channel"], tenant=data["tenant"],
                   recipient=data["recipient"], status=data["status"], created_at=data["createdAt"],
                   updated_at=data["updatedAt"], batch_id=data.get("batchId"), rule=data.get("rule", ""),
                   payload=data.get("payload", {}), attempts=attempts)


@dataclass(frozen=True, slots=True)
class ClockState:
    kind: str
    now: str
    epoch: float
    speed: float
    pending: int
    next_due: str | None
    ran: int = 0
    in_flight: int = 0  # after an advance: webhook deliveries still running (they outlived webhooks.advance_wait)

    @property
    def next_due_epoch(self) -> float | None:
        return None if self.next_due is None else parse_iso(self.next_due)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClockState:
        return cls(kind=data["kind"], now=data["now"], epoch=float(data["epoch"]), speed=float(data["speed"]),
                   pending=int(data["pending"]), next_due=data.get("nextDue"), ran=int(data.get("ran", 0)),
                   in_flight=int(data.get("inFlight", 0)))


def _query(filters: Mapping[str, str | int | None]) -> str:
    chosen = {k: str(v) for k, v in filters.items() if v is not None}
    return "?" + urllib.parse.urlencode(chosen) if chosen else ""


def _error(status: int, raw: bytes) -> SimError:
    try:
        error = json.loads(raw)["error"]
        return SimError(status, str(error["code"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        return SimError(status, "http_error", raw[:200].decode("utf-8", "replace"))


def _auth_headers(admin_token: str | None) -> dict[str, str]:
    """The Authorization header for a simulator run with --admin-token (the argument, else the env var)."""
    token = admin_token if admin_token is not None else os.environ.get(ADMIN_TOKEN_ENV, "")
    return {"Authorization": f"Bearer {token}"} if token else {}


def _wanted(status: str | Iterable[str]) -> frozenset[str]:
    return frozenset([status]) if isinstance(status, str) else frozenset(status)


def _check_not_settled(message: JournalMessage, wanted: frozenset[str]) -> None:
    """SettledElsewhere, with the message's history, once it sits at a terminal status not in `wanted`."""
    flow = flows().get(f"{message.face}.{message.channel}")
    if flow is None or message.status in wanted or message.status not in flow.terminal:
        return
    history = [(c.status, c.at) for a in message.attempts for c in a.history]
    error = f", error {dict(message.error)}" if message.error else ""
    raise SettledElsewhere(f"message {message.id} ended at {message.status!r}, not {sorted(wanted)}{error}; "
                           f"history {history}")


def _timeout_text(message_id: str, wanted: frozenset[str], last: JournalMessage | None, within: float) -> str:
    seen = "never seen" if last is None else f"statuses so far {last.statuses}"
    return f"message {message_id} did not reach {sorted(wanted)} within {within:g} simulated seconds ({seen})"


class SimClient:
    """Synchronous client: `SimClient("http://127.0.0.1:8080").advance(6)`.

    `admin_token` (default: POSTMAN_SIM_ADMIN_TOKEN) is sent to a simulator started with --admin-token."""

    def __init__(self, url: str, timeout: float = 30.0, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.headers = _auth_headers(admin_token)

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                is_json = response.headers.get_content_type() == "application/json"
        except urllib.error.HTTPError as exc:
            try:
                raise _error(exc.code, exc.read()) from None
            finally:
                exc.close()
        return json.loads(raw) if is_json else raw.decode()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_sim/health")
        return result

    def reset(self, tenant: str | None = None) -> int:
        """Forget everything, or only `tenant`'s messages. Returns how many were removed."""
        return int(self._call("POST", "/_sim/reset", {} if tenant is None else {"tenant": tenant})["removed"])

    def clock(self) -> ClockState:
        return ClockState.from_json(self._call("GET", "/_sim/clock"))

    def advance(self, seconds: float) -> ClockState:
        """Move simulated time forward; every transition due by then has happened when this returns."""
        return ClockState.from_json(self._call("POST", "/_sim/clock/advance", {"seconds": seconds}))

    def set_time(self, when: str | float) -> ClockState:
        body = {"time": when} if isinstance(when, str) else {"epoch": when}
        return ClockState.from_json(self._call("POST", "/_sim/clock/set", body))

    def set_speed(self, speed: float) -> ClockState:
        return ClockState.from_json(self._call("POST", "/_sim/clock/speed", {"speed": speed}))

    def messages(self, *, face: str | None = None, channel: str | None = None, tenant: str | None = None,
                 recipient: str | None = None, status: str | None = None, limit: int = 1000) -> list[JournalMessage]:
        """Journal entries matching every filter given, newest first."""
        query = _query({"face": face, "channel": channel, "tenant": tenant, "recipient": recipient,
                        "status": status, "limit": limit})
        return [JournalMessage.from_json(m) for m in self._call("GET", "/_sim/messages" + query)["data"]]

    def message(self, message_id: str) -> JournalMessage:
        return JournalMessage.from_json(self._call("GET", f"/_sim/messages/{urllib.parse.quote(message_id)}"))

    def requests(self, **filters: str | int | None) -> list[dict[str, Any]]:
        """Request-journal entries (GET /_sim/requests: face, method, path glob, status, tenant, since,
        until, limit, offset), newest first."""
        filters.setdefault("limit", 1000)
        data: list[dict[str, Any]] = self._call("GET", "/_sim/requests" + _query(filters))["data"]
        return data

    def count_requests(self, **match: Any) -> int:
        """How many journaled requests match (POST /_sim/requests/count)."""
        return int(self._call("POST", "/_sim/requests/count", match)["count"])

    def report(self, tenant: str | None = None) -> dict[str, Any]:
        """The integration report (GET /_sim/report), for one tenant or all."""
        result: dict[str, Any] = self._call("GET", "/_sim/report" + _query({"tenant": tenant}))
        return result

    def force_status(self, message_id: str, status: str, error: Mapping[str, Any] | None = None) -> JournalMessage:
        body: dict[str, Any] = {"status": status} if error is None else {"status": status, "error": dict(error)}
        return JournalMessage.from_json(
            self._call("POST", f"/_sim/messages/{urllib.parse.quote(message_id)}/status", body))

    def metrics(self) -> str:
        return str(self._call("GET", "/_sim/metrics"))

    def openapi(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_sim/openapi.json")
        return result

    def wait_until(self, check: Callable[[], T | None], within: float = 3600.0, what: str = "condition") -> T:
        """Return check()'s first truthy value. A manual clock is advanced from one due transition to the
        next (so time stops exactly where the condition became true); a real clock is polled."""
        clock = self.clock()
        deadline = clock.epoch + within
        real_deadline = time.monotonic() + within / max(clock.speed, 1e-9)
        for _ in range(MAX_STEPS):
            result = check()
            if result:
                return result
            clock = self.clock()
            if clock.kind == "manual":
                due = clock.next_due_epoch
                if due is None or due > deadline:
                    break
                self.advance(max(0.0, due - clock.epoch))
            else:
                if time.monotonic() > real_deadline:
                    break
                time.sleep(POLL_SECONDS)
        raise WaitTimeout(f"{what} not met within {within:g} simulated seconds")

    def wait_for(self, message_id: str, status: str | Iterable[str], within: float = 3600.0) -> JournalMessage:
        """Advance (or wait) until the message's current status is `status` (or one of them)."""
        wanted = _wanted(status)
        last: list[JournalMessage] = []

        def reached() -> JournalMessage | None:
            try:
                message = self.message(message_id)
            except SimError as exc:
                if exc.status != 404:
                    raise
                return None
            last[:] = [message]
            _check_not_settled(message, wanted)
            return message if message.status in wanted else None

        try:
            return self.wait_until(reached, within)
        except SettledElsewhere:
            raise
        except WaitTimeout:
            raise WaitTimeout(_timeout_text(message_id, wanted, last[0] if last else None, within)) from None


class AsyncSimClient:
    """The same API as coroutines. Pass `session` to reuse one; else each call opens a short one, so
    the client is safe to use from any event loop (pytest-asyncio's loop scopes never bite)."""

    def __init__(self, url: str, timeout: float = 30.0, session: aiohttp.ClientSession | None = None,
                 admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session = session
        self.headers = _auth_headers(admin_token)

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        if self.session is not None:
            return await self._send(self.session, method, path, body)
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            return await self._send(session, method, path, body)

    async def _send(self, session: aiohttp.ClientSession, method: str, path: str,
                    body: Mapping[str, Any] | None) -> Any:
        async with session.request(method, self.url + path, json=body, headers=self.headers) as response:
            raw = await response.read()
            if response.status >= 400:
                raise _error(response.status, raw)
            return json.loads(raw) if response.content_type == "application/json" else raw.decode()

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_sim/health")
        return result

    async def reset(self, tenant: str | None = None) -> int:
        body = {} if tenant is None else {"tenant": tenant}
        return int((await self._call("POST", "/_sim/reset", body))["removed"])

    async def clock(self) -> ClockState:
        return ClockState.from_json(await self._call("GET", "/_sim/clock"))

    async def advance(self, seconds: float) -> ClockState:
        return ClockState.from_json(await self._call("POST", "/_sim/clock/advance", {"seconds": seconds}))

    async def set_time(self, when: str | float) -> ClockState:
        body = {"time": when} if isinstance(when, str) else {"epoch": when}
        return ClockState.from_json(await self._call("POST", "/_sim/clock/set", body))

    async def set_speed(self, speed: float) -> ClockState:
        return ClockState.from_json(await self._call("POST", "/_sim/clock/speed", {"speed": speed}))

    async def messages(self, *, face: str | None = None, channel: str | None = None, tenant: str | None = None,
                       recipient: str | None = None, status: str | None = None,
                       limit: int = 1000) -> list[JournalMessage]:
        query = _query({"face": face, "channel": channel, "tenant": tenant, "recipient": recipient,
                        "status": status, "limit": limit})
        return [JournalMessage.from_json(m) for m in (await self._call("GET", "/_sim/messages" + query))["data"]]

    async def message(self, message_id: str) -> JournalMessage:
        return JournalMessage.from_json(await self._call("GET", f"/_sim/messages/{urllib.parse.quote(message_id)}"))

    async def force_status(self, message_id: str, status: str,
                           error: Mapping[str, Any] | None = None) -> JournalMessage:
        body: dict[str, Any] = {"status": status} if error is None else {"status": status, "error": dict(error)}
        return JournalMessage.from_json(
            await self._call("POST", f"/_sim/messages/{urllib.parse.quote(message_id)}/status", body))

    async def metrics(self) -> str:
        return str(await self._call("GET", "/_sim/metrics"))

    async def openapi(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_sim/openapi.json")
        return result

    async def wait_until(self, check: Callable[[], Awaitable[T | None]], within: float = 3600.0,
                         what: str = "condition") -> T:
        clock = await self.clock()
        deadline = clock.epoch + within
        real_deadline = time.monotonic() + within / max(clock.speed, 1e-9)
        for _ in range(MAX_STEPS):
            result = await check()
            if result:
                return result
            clock = await self.clock()
            if clock.kind == "manual":
                due = clock.next_due_epoch
                if due is None or due > deadline:
                    break
                await self.advance(max(0.0, due - clock.epoch))
            else:
                if time.monotonic() > real_deadline:
                    break
                await asyncio.sleep(POLL_SECONDS)
        raise WaitTimeout(f"{what} not met within {within:g} simulated seconds")

    async def wait_for(self, message_id: str, status: str | Iterable[str],
                       within: float = 3600.0) -> JournalMessage:
        wanted = _wanted(status)
        last: list[JournalMessage] = []

        async def reached() -> JournalMessage | None:
            try:
                message = await self.message(message_id)
            except SimError as exc:
                if exc.status != 404:
                    raise
                return None
            last[:] = [message]
            _check_not_settled(message, wanted)
            return message if message.status in wanted else None

        try:
            return await self.wait_until(reached, within)
        except SettledElsewhere:
            raise
        except WaitTimeout:
            raise WaitTimeout(_timeout_text(message_id, wanted, last[0] if last else None, within)) from None
