"""A scriptable webhook receiver served on loopback, for the webhook tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulator.clock import Clock


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # simulated time of arrival (nan without a clock)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers POSTs with the next scripted status (then `default`); records every request."""

    clock: Clock | None = None
    script: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    default: int = 200
    verify_token: str | None = None
    hang: asyncio.Event | None = None   # when set up, POSTs wait until the event is set
    requests: list[Received] = field(default_factory=list)
    in_progress: int = 0
    peak: int = 0        # most POSTs in progress at once
    url: str = ""

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        received = Received(request.method, request.path, dict(request.query), dict(request.headers), body,
                            float("nan") if self.clock is None else self.clock.now())
        self.requests.append(received)
        if request.method == "GET":
            if request.query.get("hub.verify_token") != self.verify_token:
                return web.Response(status=403, text="bad token")
            return web.Response(text=request.query.get("hub.challenge", ""))
        self.in_progress += 1
        self.peak = max(self.peak, self.in_progress)
        try:
            await (self.hang.wait() if self.hang is not None else asyncio.sleep(0))
        finally:
            self.in_progress -= 1
        step = self.script.pop(0) if self.script else self.default
        status, headers = step if isinstance(step, tuple) else (step, {})
        if 300 <= status < 400:
            headers = {"Location": "/elsewhere", **headers}
        return web.Response(status=status, text=f"answer {status}", headers=headers)


async def start_receiver(aiohttp_server: Any, **kwargs: Any) -> Receiver:
    receiver = Receiver(**kwargs)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    server = await aiohttp_server(app)
    receiver.url = str(server.make_url("/hook"))
    return receiver


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait (real time) for background work to reach a state; fail loudly if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
