"""The lean keep-alive client (simulator/webhooks/http1.py) against hostile receivers over real loopback sockets:
an answer that never ends its head, a compression bomb, answers nobody asked for, a protocol switch, sloppy but
common framing. Each ends as aiohttp (delivery.request) ends it, promptly and in bounded memory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import pytest

from simulator.webhooks import http1
from simulator.webhooks.delivery import MAX_BODY
from simulator.webhooks.http1 import Pool
from tests.webhooks.test_http1 import Answer, RawServer, both, lean, raw, reply, same

__all__ = ["raw"]  # the fixture, shared with test_http1.py

Start = Callable[[Answer], Awaitable[RawServer]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def endless(head: bytes, piece: bytes) -> Answer:
    """Starts an answer and never finishes its head: `piece` after `piece` until the client hangs up."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(head)
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                writer.write(piece)
                await writer.drain()
        writer.close()
    return answer


@pytest.mark.parametrize("head, piece", [
    (b"HTTP/1.1 200 OK\r\nX-Big: ", b"v" * 65536),   # one header value that never ends
    (b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n" * 2000),  # small headers that never end
    (b"HTTP/1.1 200 ", b"O" * 65536),                # a status line that never ends
], ids=["value", "headers", "status line"])
async def test_an_endless_head_fails_at_once_as_aiohttp_fails_it(raw: Start, head: bytes, piece: bytes) -> None:
    """It froze the event loop (httptools joins a header value's pieces, quadratically) and grew by hundreds of
    MB until the attempt's timeout; aiohttp gives up past 8190 bytes a line or 128 headers, within ms."""
    server = await raw(endless(head, piece))
    loop = asyncio.get_running_loop()
    expected, _ = await both(server.url(), timeout=5)
    pool = Pool(idle_limit=8)
    started = loop.time()
    got = await lean(pool, server.url(), timeout=5)
    pool.close()
    assert (expected.status, expected.error_class) == (None, "connection_error"), expected
    assert same(got, expected), (got, expected)
    assert loop.time() - started < 1


async def test_an_endless_run_of_interim_answers_fails_at_once(raw: Start) -> None:
    """100 Continue after 100 Continue: they count towards the head's 64 KiB (aiohttp skips them until the
    attempt's timeout, reading all the while)."""
    server = await raw(endless(b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 500))
    loop = asyncio.get_running_loop()
    pool = Pool(idle_limit=8)
    started = loop.time()
    got = await lean(pool, server.url(), timeout=5)
    pool.close()
    assert (got.status, got.error_class) == (None, "connection_error"), got
    assert loop.time() - started < 1


async def test_interim_answers_within_the_limit_pass(raw: Start) -> None:
    server = await raw(reply(b"HTTP/1.1 100 Continue\r\n\r\n" * 200 + OK))
    expected, got = await both(server.url())
    assert same(got, expected) and got.status == 200, (got, expected)


LIMITS = {
    "129 headers": b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 128 + b"Content-Length: 2\r\n\r\nok",
    "128 headers": b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 127 + b"Content-Length: 2\r\n\r\nok",
    "a header of 8191 bytes": b"HTTP/1.1 200 OK\r\nX-A: " + b"v" * 8188 + b"\r\nContent-Length: 2\r\n\r\nok",
    "a header of 8190 bytes": b"HTTP/1.1 200 OK\r\nX-A: " + b"v" * 8187 + b"\r\nContent-Length: 2\r\n\r\nok",
    "a reason of 9000 bytes": b"HTTP/1.1 200 " + b"O" * 9000 + b"\r\nContent-Length: 2\r\n\r\nok",
}


@pytest.mark.parametrize("name", list(LIMITS))
async def test_the_head_limits_are_aiohttps(raw: Start, name: str) -> None:
    server = await raw(reply(LIMITS[name]))
    expected, got = await both(server.url())
    assert same(got, expected), (got, expected)


def bomb(wbits: int, megabytes: int) -> bytes:
    """`megabytes` MiB of zeros, compressed about a thousandfold."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(1 << 20)
    return b"".join([packer.compress(zeros) for _ in range(megabytes)] + [packer.flush()])


@pytest.mark.parametrize("encoding, wbits, framed", [
    ("gzip", 16 + zlib.MAX_WBITS, True),
    ("deflate", zlib.MAX_WBITS, False),  # no length: the body runs to the end of the connection
], ids=["gzip with a length", "deflate to the end of the connection"])
async def test_a_compression_bomb_stays_within_bounded_memory(raw: Start, encoding: str, wbits: int,
                                                             framed: bool) -> None:
    """64 MiB of zeros in 64 KiB on the wire: the client inflates no more than it reads of a plain answer
    (MAX_BODY), and answers as aiohttp does."""
    payload = bomb(wbits, 64)
    length = b"Content-Length: %d\r\n" % len(payload) if framed else b"Connection: close\r\n"
    server = await raw(reply(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n%s\r\n%s"
                             % (encoding.encode(), length, payload), close=not framed))
    expected, _ = await both(server.url())
    pool = Pool(idle_limit=8)
    tracemalloc.start()
    try:
        got = await lean(pool, server.url())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        pool.close()
    assert (got.status, got.error_class) == (expected.status, expected.error_class) == (200, None), (got, expected)
    assert got.body == expected.body
    assert peak < 4 * MAX_BODY, f"{peak / 1e6:.1f} MB held at once"


async def test_an_answer_nobody_asked_for_does_not_replace_the_real_one(raw: Start) -> None:
    """A 500 then, in the same segment, an unrequested 200: the lean client recorded 200 (delivered, no retry)
    where aiohttp records the 500; and the connection is not used again."""
    server = await raw(reply(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom" + OK))
    expected, got = await both(server.url())
    assert same(got, expected), (got, expected)
    assert (got.status, got.body) == (500, "boom")
    pool = Pool(idle_limit=8)
    first = await lean(pool, server.url())
    server.answer = reply(OK)
    second = await lean(pool, server.url())
    pool.close()
    assert (first.status, second.status) == (500, 200)
    assert server.connections == 4  # aiohttp's, and each of the lean client's POSTs its own


async def test_switching_protocols_reads_as_aiohttp_reads_it(raw: Start, caplog: pytest.LogCaptureFixture) -> None:
    """101 raised httptools.HttpParserUpgrade out of data_received: "Fatal error on transport" in the log."""
    server = await raw(reply(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                             b"\r\nxyz"))
    with caplog.at_level(logging.ERROR):
        expected, got = await both(server.url())
    assert same(got, expected), (got, expected)
    assert (got.status, got.error_class) == (101, None)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


SLOPPY = {  # aiohttp reads these (its parser is lenient for responses), so the lean client does too
    "bare LF line ends": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "a space before the colon": b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
    "an obs-fold header": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
    "a space after the chunk size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n0\r\n\r\n",
    # ... but not these
    "a NUL in a header value": b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok",
    "a CR without LF": b"HTTP/1.1 200 OK\rContent-Length: 2\r\n\r\nok",
    "two lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk",
    "length and chunked": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"2\r\nok\r\n0\r\n\r\n",
    # odd statuses and encodings
    "status 099": b"HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n",
    "status 1000": b"HTTP/1.1 1000 X\r\nContent-Length: 0\r\n\r\n",
    "brotli, no decoder": b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nok",
}


@pytest.mark.parametrize("name", list(SLOPPY))
async def test_a_sloppy_answer_reads_as_aiohttp_reads_it(raw: Start, name: str) -> None:
    server = await raw(reply(SLOPPY[name]))
    loop = asyncio.get_running_loop()
    started = loop.time()
    expected, got = await both(server.url(), timeout=3)
    assert same(got, expected), (got, expected)
    assert loop.time() - started < 1  # status 099 waited out the timeout as if it were a 1xx


async def test_a_reset_before_the_answer_reads_as_aiohttp_reads_it() -> None:
    """The receiver resets the connection (RST) after reading the request line: a connection error for
    aiohttp, where the lean client said payload_error."""
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n")
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        expected, got = await both(f"http://127.0.0.1:{port}/hook")
    finally:
        server.close()
    assert same(got, expected), (got, expected)
    assert got.error_class == "connection_error"


async def test_an_idle_connection_is_closed_after_keep_idle_without_new_traffic(
        raw: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle connections were swept only when another answer came back: a receiver written to once kept its
    connection (and a file descriptor here) for good."""
    monkeypatch.setattr(http1, "KEEP_IDLE", 0.2)
    server = await raw(reply(OK))
    pool = Pool(idle_limit=8)
    assert (await lean(pool, server.url())).status == 200
    await asyncio.wait_for(server.closed.wait(), 2)  # the receiver sees the client hang up
    assert (await lean(pool, server.url())).status == 200
    assert server.connections == 2
    server.closed.clear()
    pool.close()  # on shutdown: at once
    await asyncio.wait_for(server.closed.wait(), 0.1)
