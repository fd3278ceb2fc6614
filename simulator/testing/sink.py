"""A real webhook receiver on loopback that records every request it gets (for tests)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator.testing.server import BackgroundServer


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request the sink received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class _Reply:
    status: int = 200
    body: str = ""
    times: int | None = None  # None: from now on


class WebhookSink(BackgroundServer):
    """`sink.url` accepts any method on any path; `sink.requests` lists what arrived, in order.

    `sink.respond_with(500, times=2)` makes the next two deliveries fail (to exercise retries).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Delivery] = []
        self._replies: list[_Reply] = []
        self._arrived = threading.Condition()
        super().__init__(self._build, host=host, port=port)

    def _build(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        delivery = Delivery(method=request.method, path=request.path, query=dict(request.query),
                            headers=dict(request.headers), body=body)
        with self._arrived:
            self.requests.append(delivery)
            reply = self._next_reply()
            self._arrived.notify_all()
        return web.Response(status=reply.status, text=reply.body)

    def _next_reply(self) -> _Reply:
        while self._replies:
            reply = self._replies[0]
            if reply.times is None:
                return reply
            if reply.times > 0:
                reply.times -= 1
                if reply.times == 0:
                    self._replies.pop(0)
                return _Reply(reply.status, reply.body)
            self._replies.pop(0)
        return _Reply()

    def url_for(self, path: str = "/") -> str:
        return self.url + ("" if path.startswith("/") else "/") + path

    def respond_with(self, status: int, body: str = "", times: int | None = None) -> None:
        """Answer the next `times` deliveries (all, if None) with `status`; then 200 again."""
        with self._arrived:
            self._replies.append(_Reply(status, body, times))

    def clear(self) -> None:
        with self._arrived:
            self.requests.clear()
            self._replies.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Block (real time) until `count` deliveries arrived; for real-clock setups. With the manual
        clock an advance returns only after due deliveries, so no wait is needed."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"expected {count} webhook deliveries within {timeout:g}s, got "
                                     f"{len(self.requests)}")
            return list(self.requests)
