"""A webhook receiver in its own process for bench/webhook_fanout.py: answers every POST /hook with 200 "ok" and
counts them; GET /count says how many arrived and the CPU seconds this process has used (so the bench can
tell which side of the wire the time goes to). Runs on uvloop when it is installed.

    python bench/peers/webhook_receiver.py PORT [aiohttp|lean]

`aiohttp` (the default) is an aiohttp web app, about 65 µs of CPU a request. `lean` is a small HTTP/1.1 server
on an asyncio Protocol with httptools' request parser (as uvicorn parses): keep-alive, Content-Length and
chunked bodies, about 20 µs a request, like the compiled servers (nginx, Go, Node) real receivers run on.
With a subscription's 8 deliveries in flight the two processes partly take turns, so a receiver's cost can
show in the fan-out rate; `lean` shows how much.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import cast

import httptools
from aiohttp import web

from simulator.cli.serve_loop import new_loop

RECEIVED = web.AppKey("received", list)
COUNT = [0]


class LeanHook(asyncio.Protocol):
    """One connection: parse requests with httptools, answer each as it completes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._answer(400, b"bad request", keep=False)

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        method, url, self.url = self.parser.get_method(), self.url, b""
        keep = self.parser.should_keep_alive()
        if method == b"POST" and url == b"/hook":
            COUNT[0] += 1
            self._answer(200, b"ok", keep)
        elif method == b"GET" and url == b"/count":
            self._answer(200, json.dumps({"received": COUNT[0], "cpu": time.process_time()}).encode(), keep,
                         b"application/json")
        else:
            self._answer(404, b"not found", keep)

    def _answer(self, status: int, body: bytes, keep: bool, kind: bytes = b"text/plain") -> None:
        assert self.transport is not None
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}[status]
        close = b"" if keep else b"Connection: close\r\n"
        self.transport.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s"
                             % (status, reason, kind, len(body), close, body))
        if not keep:
            self.transport.close()


async def lean(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(LeanHook, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def hook(request: web.Request) -> web.Response:
    await request.read()
    request.app[RECEIVED][0] += 1
    return web.Response(text="ok")


async def count(request: web.Request) -> web.Response:
    return web.json_response({"received": request.app[RECEIVED][0], "cpu": time.process_time()})


def main() -> None:
    port = int(sys.argv[1])
    if (sys.argv[2] if len(sys.argv) > 2 else "aiohttp") == "lean":
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(lean(port))
        return
    app = web.Application()
    app[RECEIVED] = [0]
    app.router.add_post("/hook", hook)
    app.router.add_get("/count", count)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=lambda _: None, loop=new_loop())


if __name__ == "__main__":
    main()
