"""How a replica runs a stream entry through its own app: HTTP/1.1 over a private unix socket.

The request goes out as plain bytes on one kept-alive connection, one at a time; the answer is taken by the
replica's outermost middleware as the app hands it back (`capture`), so no HTTP client parses it again (the
bytes that follow on the socket are read and dropped). Every middleware and handler runs as for a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger("postman_sim.replicas")

Answer = tuple[int, str, list[tuple[str, str]], bytes]
ANSWER_WITHIN = 120.0  # real seconds an entry may take (a long advance is one entry)
# Hop-by-hop and framing headers: the internal request and the client's response make their own. The body an
# entry carries is already decoded (aiohttp undoes gzip and deflate), so its Content-Encoding goes too.
REQUEST_DROP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "te", "upgrade",
                          "expect", "proxy-connection", "content-encoding"})
RESPONSE_DROP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})
# What the applier gets for a request whose handler let it go on (it waits on later entries: a manual webhook
# attempt's outcome); the handler's own answer goes to the waiting client when it is ready.
DETACHED: Answer = (0, "detached", [], b"")
LINGER = 1.0  # real seconds a detached connection stays open once its handler answered (its answer is unread)
UNAVAILABLE: Answer = (503, "Service Unavailable", [("Content-Type", "application/json")],
                       b'{"error": "replica_unavailable", "message": "this replica could not apply the request"}')


def answer_of(response: web.StreamResponse) -> Answer:
    """What a client gets: status, reason, end-to-end headers, body (a prepared stream has none to copy)."""
    body = response.body if isinstance(response, web.Response) else None
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in RESPONSE_DROP]
    return response.status, response.reason, headers, body if isinstance(body, bytes) else b""


EFFECTS = "X-Postman-Sim-Replica-Effects"  # between a replica's applier and its front only; never sent to a client


def with_effects(answer: Answer, effects: list[tuple[str, float]]) -> Answer:
    """`answer` carrying the real-time effects a fault deferred (see simulator.runtime.faults.DEFERRED)."""
    if not effects:
        return answer
    status, reason, headers, body = answer
    return status, reason, [*headers, (EFFECTS, ";".join(f"{kind}={value!r}" for kind, value in effects))], body


def effects_of(headers: list[tuple[str, str]]) -> tuple[float, bool]:
    """(seconds to wait, whether to drop the connection) from an answer's effects, which are removed from
    `headers` in place."""
    delay, drop = 0.0, False
    for name, value in [h for h in headers if h[0] == EFFECTS]:
        headers.remove((name, value))
        for part in value.split(";"):
            kind, _, amount = part.partition("=")
            if kind == "delay":
                delay += float(amount)
            drop = drop or kind == "drop"
    return delay, drop


class ApplyChannel:
    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._writer: asyncio.StreamWriter | None = None
        self._drain: asyncio.Task[None] | None = None
        self._pending: asyncio.Future[Answer] | None = None

    async def _connect(self) -> asyncio.StreamWriter:
        if self._writer is None or self._writer.is_closing():
            reader, self._writer = await asyncio.open_unix_connection(self.socket_path)
            self._drain = asyncio.create_task(self._discard(reader))
        return self._writer

    async def _discard(self, reader: asyncio.StreamReader) -> None:
        while not reader.at_eof():
            await reader.read(1 << 16)

    def detach(self) -> Callable[[], None]:
        """Leave the current connection to the request still running on it (the next entry opens a new one);
        returns what closes it, to call once that request has answered."""
        writer, drain = self._writer, self._drain
        self._writer, self._drain = None, None

        def finish() -> None:
            if writer is not None:
                writer.close()
            if drain is not None:
                drain.cancel()

        def close() -> None:
            asyncio.get_running_loop().call_later(LINGER, finish)

        return close

    def capture(self, answer: Answer) -> None:
        """The app's answer to the request in flight (the replica's middleware calls this)."""
        if self._pending is not None and not self._pending.done():
            self._pending.set_result(answer)

    async def run(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        lines = [f"{method} {path} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in REQUEST_DROP]
        if not any(k.lower() == "host" for k, _ in headers):
            lines.append("Host: replica")
        lines.append(f"Content-Length: {len(body)}")
        self._pending = asyncio.get_running_loop().create_future()
        try:
            writer = await self._connect()
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            async with asyncio.timeout(ANSWER_WITHIN):  # not wait_for: on 3.11 it can swallow a cancel
                return await self._pending
        except (OSError, TimeoutError) as exc:  # the app did not answer: say so, start a new connection
            log.error("applying %s %s failed: %s", method, path, str(exc) or type(exc).__name__)
            await self.close()
            return UNAVAILABLE
        finally:
            self._pending = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
