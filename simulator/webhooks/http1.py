"""A lean keep-alive HTTP/1.1 client for webhook POSTs to plain http:// receivers.

aiohttp's ClientSession.request costs ~150 µs of CPU per POST (request and response objects, tracing,
cookies, timeout objects, redirect machinery, a payload registry); a webhook attempt needs none of it, and
at thousands of deliveries a second that was half the simulator's work. This pool writes the request aiohttp
would write, byte for byte (the same request target and Host from yarl, the same automatic Accept and
Accept-Encoding headers after the caller's, Content-Length last), parses the answer with httptools (llhttp,
as uvicorn does) and keeps connections alive per host and port. It answers like delivery.request: the
status, Retry-After, the first BODY_EXCERPT bytes of the (decompressed) body, and the same error classes:
an answer cut off mid-body or a connection closed before the answer is a payload_error, a connect failure
connection_refused, a malformed answer (or a reset before it) connection_error, no complete answer within the
attempt's timeout a timeout. A hostile receiver gets no more than from aiohttp: a head is held to aiohttp's
limits as it arrives (MAX_LINE, MAX_HEADERS; MAX_HEAD in all), a compressed body is inflated no further than
MAX_BODY, the parser is as lenient as aiohttp's and no more. A connection goes back to the pool only after a
complete answer that allows keep-alive, and is closed after KEEP_IDLE idle.

`plain_target` says which requests it takes; everything else (https, credentials in the URL, a header
aiohttp would treat specially) stays with aiohttp.
"""

from __future__ import annotations

import asyncio
import functools
import zlib
from collections import deque
from dataclasses import dataclass
from typing import cast

import httptools
from yarl import URL

from simulator.webhooks.delivery import MAX_BODY, HttpResult
from simulator.webhooks.records import BODY_EXCERPT

ACCEPT = b"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"  # aiohttp's automatic headers (no brotli, zstd)
SPECIAL = frozenset({"host", "accept", "accept-encoding", "content-length", "transfer-encoding", "connection",
                     "content-encoding", "expect", "upgrade"})
UNDECODABLE = (b"br", b"zstd")  # aiohttp refuses these without the optional decoders (not advertised either)
KEEP_IDLE = 15.0  # real seconds an idle connection is kept (aiohttp's keepalive_timeout)
MAX_LINE = 8190  # aiohttp's limits on an answer's head: bytes a status line or a header (name and value) ...
MAX_HEADERS = 128  # ... and headers an answer
MAX_HEAD = 1 << 16  # and bytes a head in all (folded lines join into one value, an endless one too)


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    head: bytes  # "POST <target> HTTP/1.1\r\nHost: <host>\r\n"


@functools.lru_cache(maxsize=1024)
def plain_target(url: str) -> Target | None:
    """Where a POST to `url` goes, when this client can send it as aiohttp would; None otherwise."""
    try:
        parsed = URL(url)
        host, port, hostport = parsed.raw_host, parsed.port, parsed.host_port_subcomponent
    except ValueError:
        return None
    if parsed.scheme != "http" or not host or port is None or hostport is None or parsed.user is not None \
            or parsed.password is not None:
        return None
    target = parsed.raw_path_qs
    if any(c in target or c in hostport for c in "\r\n \t"):
        return None
    head = f"POST {target} HTTP/1.1\r\nHost: {hostport}\r\n".encode()
    return Target(host=host.strip("[]"), port=port, head=head)


def header_block(headers: dict[str, str]) -> bytes | None:
    """The caller's headers as aiohttp writes them, or None when one needs aiohttp's own handling."""
    lines = []
    for name, value in headers.items():
        if name.lower() in SPECIAL or any(c in name or c in value for c in "\r\n\0") or ":" in name:
            return None
        lines.append(f"{name}: {value}\r\n")
    try:
        return "".join(lines).encode()  # as aiohttp encodes them
    except UnicodeEncodeError:
        return None


class Cutoff(Exception):
    """The connection ended before the answer did."""


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer read by httptools."""

    __slots__ = ("transport", "parser", "waiter", "closed", "idle_since", "status", "retry_after", "excerpt", "total",
                 "framed", "headers_done", "complete", "keep_alive", "inflate", "encoding", "header_count", "head",
                 "line")  # the callbacks touch these a few dozen times an answer

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        # aiohttp's response parser allows these (outside its dev mode), and so receivers get away with them
        self.parser.set_dangerous_leniencies(lenient_headers=True, lenient_optional_cr_before_lf=True,
                                             lenient_spaces_after_chunk_size=True)
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reset()
        self.head = 0  # bytes of the answer's heads so far, interim (1xx) ones too: an endless run of those
        # fails at MAX_HEAD too (aiohttp skips them until the attempt's timeout, busy all the while)

    def _reset(self) -> None:
        self.status = 0
        self.retry_after: str | None = None
        self.excerpt = b""
        self.total = 0
        self.framed = False       # Content-Length or chunked: the answer ends by itself, not at EOF
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.inflate: zlib._Decompress | None = None
        self.encoding: bytes | None = None
        self.header_count = 0     # of the answer's head so far, held to aiohttp's limits
        self.line = 0             # bytes of its last, unfinished line

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one in all but name

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self.close()  # bytes nobody asked for: the connection is not in a known state any more
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:  # a callback's own error comes wrapped, as the context
            cause = exc.__context__
            self._fail(cause if isinstance(cause, zlib.error | MalformedAnswer) else MalformedAnswer(str(exc)))
        except httptools.HttpParserUpgrade:  # 101 Switching Protocols: the answer, and the end of HTTP here
            self._fail(MalformedAnswer("the receiver switched protocols"))
        else:
            if not self.headers_done:
                self._count_head(data)

    def _count_head(self, data: bytes) -> None:
        """Fail a head past aiohttp's limits while it arrives: httptools has none and joins the pieces of a
        header value over and over, so an endless one froze the loop and took memory without bound."""
        end = data.rfind(b"\n")
        self.line = self.line + len(data) if end < 0 else len(data) - end - 1
        self.head += len(data)
        if self.line > MAX_LINE or self.head > MAX_HEAD:
            limit = MAX_LINE if self.line > MAX_LINE else MAX_HEAD
            self._fail(MalformedAnswer(f"Got more than {limit} bytes when reading the answer's head"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.headers_done and not self.framed and self.final():
            try:
                self._finish_body()
            except zlib.error as error:
                waiter.set_exception(error)
                return
            self.complete = True  # an answer without length runs to the end of the connection
            waiter.set_result(None)
        elif self.headers_done:
            waiter.set_exception(Cutoff("Response payload is not completed"))
        elif exc is not None:  # a reset, not an end: aiohttp says ClientOSError
            waiter.set_exception(exc)
        else:
            waiter.set_exception(Cutoff("Server disconnected"))

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.complete:  # an answer nobody asked for: the connection is out of step (the first one stands)
            raise MalformedAnswer("an answer nobody asked for")

    def on_status(self, reason: bytes) -> None:
        if self.line + len(reason) > MAX_LINE:  # self.line: what came of the line in earlier segments
            raise MalformedAnswer(f"Got more than {MAX_LINE} bytes when reading the status line")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1  # `0 in value`: a NUL, found by memchr (a bytes needle costs ten times more)
        if self.header_count > MAX_HEADERS or len(name) + len(value) > MAX_LINE or 0 in value:
            raise MalformedAnswer(_bad_header(self.header_count, len(name) + len(value)))
        lower = name.lower()
        if lower == b"retry-after":
            if self.retry_after is None:
                self.retry_after = value.decode("utf-8", "surrogateescape")
        elif lower == b"content-length" or (lower == b"transfer-encoding" and b"chunked" in value.lower()):
            self.framed = True
        elif lower == b"content-encoding":
            self.encoding = value.strip().lower()

    def on_headers_complete(self) -> None:
        if self.encoding in UNDECODABLE:  # before the status counts: aiohttp has no answer to give then
            raise MalformedAnswer(f"Can not decode content-encoding: {self.encoding.decode()}")
        self.status = self.parser.get_status_code()
        self.headers_done = True
        if self.encoding == b"gzip":
            self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def on_body(self, body: bytes) -> None:
        if self.encoding == b"deflate" and self.inflate is None and body:
            # zlib-wrapped as the RFC says, or raw deflate as some servers send (aiohttp takes both)
            self.inflate = zlib.decompressobj(zlib.MAX_WBITS if body[0] & 0x0F == 8 else -zlib.MAX_WBITS)
        if self.inflate is not None:
            if self.total >= MAX_BODY:
                return
            # no more than the rest of MAX_BODY: a small answer can inflate to gigabytes (what is left over
            # stays compressed in unconsumed_tail and goes with the connection)
            body = self.inflate.decompress(body, MAX_BODY - self.total)
        self._take(body)

    def on_message_complete(self) -> None:
        if not self.final():  # 100 Continue and friends: the real answer follows
            self._reset()
            return
        self._finish_body()
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # asked here: llhttp forgets it once the next begins
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    # helpers

    def final(self) -> bool:
        """Whether the answer so far is the final one: aiohttp skips 1xx but 101, and takes 0xx at its word."""
        return not 100 <= self.status < 200 or self.status == 101

    def _take(self, body: bytes) -> None:
        if self.total < MAX_BODY:
            if len(self.excerpt) < BODY_EXCERPT:
                self.excerpt += body[:BODY_EXCERPT - len(self.excerpt)]
            self.total += len(body)
            if self.total >= MAX_BODY and self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)  # enough seen; the rest is dropped with the connection

    def _finish_body(self) -> None:
        if self.inflate is not None and self.total < MAX_BODY:  # past it the rest is never inflated
            inflate, self.inflate = self.inflate, None
            self._take(inflate.flush())
            if self.encoding == b"deflate" and not inflate.eof:  # aiohttp lets a short gzip stream pass
                raise zlib.error("the compressed answer ends early")

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def send(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.transport.write(data)

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed

    def begin(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        self._reset()
        self.head = 0
        self.waiter = loop.create_future()
        return self.waiter


class MalformedAnswer(Exception):
    """The receiver's bytes are not an HTTP/1.x answer."""


class Pool:
    """Keep-alive connections per (host, port); at most `idle_limit` idle ones in all."""

    def __init__(self, idle_limit: int) -> None:
        self.idle_limit = idle_limit
        self._idle: dict[tuple[str, int], deque[Connection]] = {}
        self._idle_count = 0
        self._timer: asyncio.TimerHandle | None = None  # one for the pool: the next idle connection to expire

    async def post(self, target: Target, headers: bytes, body: bytes, timeout: float) -> HttpResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + timeout
        conn: Connection | None = None
        status: int | None = None
        retry_after = text = error_class = error = None
        try:
            conn = self._take((target.host, target.port), started)
            if conn is None:
                try:
                    async with asyncio.timeout_at(deadline):
                        _, conn = await loop.create_connection(Connection, target.host, target.port)
                except OSError as exc:
                    raise Unreachable(f"Cannot connect to host {target.host}:{target.port} ssl:default "
                                      f"[{exc.strerror or exc}]") from exc
            waiter = conn.begin(loop)
            try:
                conn.send(b"%s%s%sContent-Length: %d\r\n\r\n%s" % (target.head, headers, ACCEPT, len(body), body))
            except (RuntimeError, OSError) as exc:  # the transport closed under us
                raise Cutoff("Server disconnected") from exc
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
            text = conn.excerpt.decode("utf-8", "replace")
        except TimeoutError:
            error_class, error = "timeout", f"no response within {timeout:g} s"
        except Unreachable as exc:
            error_class, error = "connection_refused", str(exc)
        except Cutoff as exc:
            name = "ClientPayloadError" if conn is not None and conn.headers_done else "ServerDisconnectedError"
            error_class, error = "payload_error", f"the answer was cut off: {name}: {exc}"
        except zlib.error as exc:
            error_class, error = "payload_error", f"the answer was cut off: ClientPayloadError: {exc}"
        except (MalformedAnswer, OSError) as exc:
            error_class, error = "connection_error", f"{type(exc).__name__}: {exc}"
        finally:
            if conn is not None:
                if error_class is None and conn.reusable():
                    self._give((target.host, target.port), conn, loop.time())
                else:
                    conn.close()
        if conn is not None and conn.headers_done:  # as aiohttp: the status stands even when the body failed
            status, retry_after = conn.status, conn.retry_after
        latency = round((loop.time() - started) * 1000, 3)
        return HttpResult(status=status, body=text, retry_after=retry_after, latency_ms=latency,
                          error_class=error_class, error=error)

    def _take(self, key: tuple[str, int], now: float) -> Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            if not conn.closed and now - conn.idle_since < KEEP_IDLE and conn.transport is not None \
                    and not conn.transport.is_closing():
                return conn
            conn.close()
        return None

    def _give(self, key: tuple[str, int], conn: Connection, now: float) -> None:
        conn.waiter = None
        conn.idle_since = now
        if self._idle_count >= self.idle_limit:
            conn.close()
            return
        self._idle.setdefault(key, deque()).append(conn)
        self._idle_count += 1
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(now + KEEP_IDLE, self._expire)

    def _expire(self) -> None:
        """Close connections idle KEEP_IDLE (a receiver not written to again), without waiting for traffic;
        then wait for the oldest left (each deque is oldest first: _take takes the newest)."""
        loop = asyncio.get_running_loop()
        self._timer = None
        self._sweep(loop.time())
        if self._idle:
            oldest = min(idle[0].idle_since for idle in self._idle.values())
            self._timer = loop.call_at(oldest + KEEP_IDLE, self._expire)

    def _sweep(self, now: float) -> None:
        for key, idle in list(self._idle.items()):
            fresh = deque(c for c in idle if not c.closed and now - c.idle_since < KEEP_IDLE)
            for conn in idle:
                if conn not in fresh:
                    conn.close()
            self._idle_count -= len(idle) - len(fresh)
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        self._idle_count = 0


class Unreachable(Exception):
    """No connection could be made."""


def _bad_header(count: int, size: int) -> str:
    """Why a header is refused, as aiohttp says it (the lenient parser lets a NUL through; aiohttp does not)."""
    if count > MAX_HEADERS:
        return "Too many headers received"
    if size > MAX_LINE:
        return f"Got more than {MAX_LINE} bytes when reading a header"
    return "Invalid HTTP header: a NUL in its value"


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
