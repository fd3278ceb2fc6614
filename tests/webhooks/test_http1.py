"""The lean keep-alive client (simulator/webhooks/http1.py) over real loopback HTTP: it sends the bytes aiohttp
sends, reads every kind of answer the way delivery.request (aiohttp) reads it, and reuses a connection only
when that is safe."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator.core.models import Facts
from simulator.webhooks import DISPATCHER
from simulator.webhooks.delivery import HttpResult, request
from simulator.webhooks.http1 import Pool, header_block, plain_target
from tests.conftest import SimFactory

HEADERS = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
           "X-Hub-Signature-256": "sha256=00ff"}
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
_RAW = zlib.compressobj(wbits=-zlib.MAX_WBITS)
RAW_DEFLATE = _RAW.compress(b"raw deflate") + _RAW.flush()

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    """Reads each request head and body, answers with the test's own bytes; counts connections."""

    answer: Answer
    port: int = 0
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.heads.append(head)
                await self.answer(reader, writer)
                if writer.is_closing():
                    return
        finally:
            writer.close()
            self.closed.set()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def raw() -> AsyncIterator[Callable[[Answer], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> RawServer:
        state = RawServer(answer)
        server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return state

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def reply(data: bytes, *, close: bool = False, pause: float | None = None) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        if pause is not None:
            await asyncio.sleep(pause)
        if close:
            writer.close()
    return answer


async def lean(pool: Pool, url: str, timeout: float = 2.0) -> HttpResult:
    target = plain_target(url)
    block = header_block(HEADERS)
    assert target is not None and block is not None
    return await pool.post(target, block, BODY, timeout)


async def both(url: str, timeout: float = 2.0) -> tuple[HttpResult, HttpResult]:
    """The same POST through aiohttp (delivery.request) and through the lean pool."""
    pool = Pool(idle_limit=8)
    try:
        async with aiohttp.ClientSession() as session:
            expected = await request(session, "POST", url, timeout=timeout, headers=HEADERS, body=BODY)
        return expected, await lean(pool, url, timeout)
    finally:
        pool.close()


def same(a: HttpResult, b: HttpResult) -> bool:
    return (a.status, a.body, a.retry_after, a.error_class) == (b.status, b.body, b.retry_after, b.error_class)


ANSWERS = {
    "ok": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "503 with Retry-After": b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy",
    "302 is not followed": b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
    "Connection: close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nclose",
    "204": b"HTTP/1.1 204 No Content\r\n\r\n",
    "100 Continue first": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
    "HTTP/1.0": b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n1.0",
    "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(gzip.compress(b"zipped")), gzip.compress(b"zipped")),
    "long body, excerpt only": b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"y" * 5000,
    "not utf-8": b"HTTP/1.1 400 Bad\r\nContent-Length: 3\r\n\r\n\xff\xfeA",
}
# Compressed answers: the same success (and text) or the same failure, whatever aiohttp names the failure.
ENCODED = {
    "deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s"
               % (len(zlib.compress(b"deflated")), zlib.compress(b"deflated")),
    "raw deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s"
                   % (len(RAW_DEFLATE), RAW_DEFLATE),
    "truncated gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(gzip.compress(b"zipped" * 50)) - 8, gzip.compress(b"zipped" * 50)[:-8]),
    "truncated deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 6\r\n\r\n%s"
                         % zlib.compress(b"deflated" * 50)[:6],
    "brotli (no decoder)": b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\nraw!",
    "an unknown one passes as it is": b"HTTP/1.1 200 OK\r\nContent-Encoding: x-own\r\nContent-Length: 4\r\n\r\nraw!",
}
CLOSING = {
    "body to the end of the connection": b"HTTP/1.1 200 OK\r\n\r\nuntil eof",
    "cut off mid-body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this",
    "cut off mid-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort",
    "closed before any answer": b"",
    "closed mid-head": b"HTTP/1.1 200 OK\r\nContent-Le",
    "not HTTP": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    "broken gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
}


@pytest.mark.parametrize("name", list(ANSWERS))
async def test_an_answer_reads_as_aiohttp_reads_it(raw: Callable[[Answer], Awaitable[RawServer]], name: str) -> None:
    server = await raw(reply(ANSWERS[name]))
    expected, got = await both(server.url())
    assert same(got, expected), (got, expected)


@pytest.mark.parametrize("name", list(ENCODED))
async def test_a_compressed_answer_reads_as_aiohttp_reads_it(raw: Callable[[Answer], Awaitable[RawServer]],
                                                             name: str) -> None:
    server = await raw(reply(ENCODED[name]))
    expected, got = await both(server.url())
    assert (got.error_class is None, got.body) == (expected.error_class is None, expected.body), (got, expected)


@pytest.mark.parametrize("name", list(CLOSING))
async def test_a_closed_connection_reads_as_aiohttp_reads_it(raw: Callable[[Answer], Awaitable[RawServer]],
                                                             name: str) -> None:
    server = await raw(reply(CLOSING[name], close=True))
    expected, got = await both(server.url())
    assert same(got, expected), (got, expected)


async def test_cut_off_answers_are_payload_errors(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    pool = Pool(idle_limit=8)
    for name in ("cut off mid-body", "cut off mid-chunk", "closed before any answer", "broken gzip"):
        server = await raw(reply(CLOSING[name], close=True))
        result = await lean(pool, server.url())
        assert (result.body, result.error_class) == (None, "payload_error"), name
        assert result.error is not None and result.error.startswith("the answer was cut off: "), name
    pool.close()


async def test_the_request_bytes_are_aiohttps(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    server = await raw(reply(ANSWERS["ok"]))
    for path in ("/hook", "/h%41ok/ü?x=a b&y=é#frag", "/"):
        await both(server.url(path))
    sent_by_aiohttp, sent_here = server.heads[0::2], server.heads[1::2]
    assert sent_here == sent_by_aiohttp
    assert sent_here[0].startswith(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server.port)


async def test_a_connection_is_kept_alive_and_reused(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    server = await raw(reply(ANSWERS["ok"]))
    pool = Pool(idle_limit=8)
    results = [await lean(pool, server.url()) for _ in range(5)]
    assert [r.status for r in results] == [200] * 5
    assert server.connections == 1
    pool.close()


async def test_connection_close_is_not_reused(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    server = await raw(reply(ANSWERS["Connection: close"]))
    pool = Pool(idle_limit=8)
    results = [await lean(pool, server.url()) for _ in range(3)]
    assert [(r.status, r.body) for r in results] == [(200, "close")] * 3
    assert server.connections == 3
    pool.close()


async def test_a_receiver_closing_between_requests_costs_no_delivery(
        raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    """The receiver answers with keep-alive but then drops the idle connection: the next POST opens a new one."""
    server = await raw(reply(ANSWERS["ok"], close=True))
    pool = Pool(idle_limit=8)
    for _ in range(3):
        server.closed.clear()
        result = await lean(pool, server.url())
        assert (result.status, result.error_class) == (200, None)
        await server.closed.wait()
        for _ in range(3):  # let the loop see the end of the connection
            await asyncio.sleep(0)
    assert server.connections == 3
    pool.close()


async def test_no_answer_within_the_timeout(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    release = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()

    server = await raw(hang)
    pool = Pool(idle_limit=8)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await lean(pool, server.url(), timeout=0.2)
    assert (result.status, result.error_class, result.error) == (None, "timeout", "no response within 0.2 s")
    assert 0.2 <= loop.time() - started < 1.5
    release.set()
    # The timed-out connection is not reused: the next POST opens its own.
    server.answer = reply(ANSWERS["ok"])
    assert (await lean(pool, server.url())).status == 200
    assert server.connections == 2
    pool.close()


async def test_a_slow_body_times_out_too(raw: Callable[[Answer], Awaitable[RawServer]]) -> None:
    server = await raw(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", pause=3))
    pool = Pool(idle_limit=8)
    result = await lean(pool, server.url(), timeout=0.2)
    assert result.error_class == "timeout"
    pool.close()


async def test_connection_refused_reads_as_aiohttps() -> None:
    closed = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    url = f"http://127.0.0.1:{port}/hook"
    expected, got = await both(url)
    assert (got.error_class, got.error) == (expected.error_class, expected.error) == (
        "connection_refused", expected.error)
    assert got.error is not None and got.error.startswith(f"Cannot connect to host 127.0.0.1:{port} ssl:default [")


def test_what_stays_with_aiohttp() -> None:
    assert plain_target("https://example.com/hook") is None
    assert plain_target("http://user:pw@127.0.0.1:9/hook") is None
    assert plain_target("http://127.0.0.1:9/hook") is not None
    assert header_block({"Host": "elsewhere"}) is None
    assert header_block({"X-Evil": "a\r\nInjected: 1"}) is None
    assert header_block(HEADERS) == (b"Content-Type: application/json\r\nUser-Agent: facebookexternalua\r\n"
                                     b"X-Hub-Signature-256: sha256=00ff\r\n")


BURST = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}]
defaults: {v1.whatsapp: wa}
"""


async def test_a_burst_of_webhooks_keeps_its_connections_alive(make_sim: SimFactory, aiohttp_server: Any) -> None:
    """300 deliveries to one receiver: every one arrives once, over no more connections than the subscription
    has deliveries in flight (8), not one connection each."""
    peers: list[object] = []
    bodies: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        bodies.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    sim = await make_sim(BURST)
    response = await sim.client.post("/_sim/webhooks", json={"url": str(server.make_url("/hook")), "format": "meta"})
    assert response.status == 201
    for i in range(150):
        sim.engine.accept(face="v1", channel="whatsapp", tenant="t", recipient=f"65{80000000 + i}", payload={},
                          facts=Facts(wamid=f"wamid.k{i}"))
    await sim.advance(3)
    await sim.app[DISPATCHER].drain()
    assert len(bodies) == len(set(bodies)) == 300
    assert len(set(peers)) <= 8
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["delivered"], stats["dead"], stats["pending"]) == (300, 0, 0)
