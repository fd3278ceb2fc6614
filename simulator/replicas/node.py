"""One replica: the front middleware, the applier, the lease and its ticks (see the package's docstring).

- Front: a request that can change state is appended to the stream with the wall time it arrived; its answer
  is what this replica's own apply of that entry produced. GET/HEAD /_sim catches up, then answers locally.
- Applier: reads the stream in order; for each entry it sets the entry's time, runs the transitions due by
  then, and runs a request entry through this app over a private unix socket (channel.py).
- Lease: one replica at a time (SET NX PX, renewed every TICK) appends a tick entry while work is due, so the
  real clock's transitions fire at the same point of the stream everywhere, and sends the webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import count

from aiohttp import web
from multidict import CIMultiDict
from redis.exceptions import RedisError

from simulator.faces import by_mount
from simulator.faces.common import encoded_but_empty
from simulator.journal.entries import EXCERPT
from simulator.replicas import checkpoint
from simulator.replicas.channel import DETACHED, REQUEST_DROP, Answer, ApplyChannel, answer_of, effects_of, with_effects
from simulator.replicas.clocks import EntryTime, ReplicatedManualClock, ReplicatedSystemClock
from simulator.replicas.compaction import Checkpointer
from simulator.replicas.stream import Fields, Order, Stream, order
from simulator.replicas.trimwatch import TrimWatch
from simulator.runtime.faults import DEFERRED, drop_connection
from simulator.state import ENGINE, REPLICA
from simulator.webhooks import DISPATCHER
from simulator.webhooks.replicated import RELEASE, ReplicatedDispatcher

log = logging.getLogger("postman_sim.replicas")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TICK = 0.1            # real seconds between two lease renewals (and at most one tick entry each)
LEASE_MS = 2000       # a dead holder's lease lapses after this; another replica takes over
BATCH = 500           # entries read at once
# A body is appended whole up to this size (above every face's own limit, e.g. v2 batch_max_bytes 40 MiB);
# past it, only this much and one byte more: the face still sees a body over its limit and says so its way.
BODY_CAP = 64 * 1024 * 1024
POSITION_EVERY = 1.0  # real seconds between two reports of this replica's applied position
WAIT = 60.0           # real seconds a client waits for its entry's apply (or a read for the catch-up)
_FAILED: Answer = (500, "Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")],
                   b"500 Internal Server Error\n\nServer got itself in trouble")


# Reads answered at once: liveness must not wait behind a long entry (a 100,000-row batch, a big advance).
_NO_CATCH_UP = frozenset({"/_sim/health", "/_sim/dashboard"})


def _admin(path: str) -> bool:
    return path == "/_sim" or path.startswith("/_sim/")


class Replica:
    def __init__(self, app: web.Application, stream: Stream, entry_time: EntryTime, socket_path: str,
                 checkpointer: Checkpointer, start: bytes = b"0-0") -> None:
        self.app = app
        self.engine = app[ENGINE]
        dispatcher = app[DISPATCHER]
        assert isinstance(dispatcher, ReplicatedDispatcher)
        self.dispatcher = dispatcher
        clock = self.engine.clock
        assert isinstance(clock, ReplicatedManualClock | ReplicatedSystemClock)
        self.clock = clock
        self.stream = stream
        self.entry_time = entry_time
        self.socket_path = socket_path
        self.id = secrets.token_hex(6)  # new at every start: a restarted process answers none of the old entries
        self.holder = False
        self._tokens = count(1)
        self._publishes = count(1)
        self._waiting: dict[bytes, asyncio.Future[Answer]] = {}
        self._last, self._applied = start, order(start)  # the checkpoint loaded at start covers the log so far
        self.checkpointer = checkpointer
        self.trim_watch = TrimWatch(checkpointer.policy.stale)
        self._catching: list[tuple[Order, asyncio.Future[None]]] = []
        self._ticking = False
        self._channel = ApplyChannel(socket_path)
        self._origin = b""  # the token of the entry being applied
        self._doing = ""  # the entry being applied, for a 503 that waited on it
        self._read_error = ""  # why the last read of the stream failed ("": it did not)

    def install(self) -> None:
        """Outermost middleware and the background tasks; call before the app starts."""
        self.app.middlewares.insert(0, self._front)
        self.app[REPLICA] = lambda: {"id": self.id, "holder": self.holder}
        self.app.cleanup_ctx.append(self._lifecycle)

    # -- the front ------------------------------------------------------------------------------

    @web.middleware
    async def _front(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._internal(request):  # an entry being applied: its answer goes back to the applier
            return await self._applying(request, handler)
        if request.method in ("GET", "HEAD") and _admin(request.path):
            if request.path in _NO_CATCH_UP:
                return await handler(request)
            try:
                async with asyncio.timeout(WAIT):
                    await self.caught_up()
            except (RedisError, OSError) as exc:
                return _unavailable(exc)
            except TimeoutError:
                return self._stuck("caught up with the shared log")
            return await handler(request)
        try:
            body = await _read_body(request)
        except web.RequestPayloadError:  # its Content-Encoding does not decode: every route answers a 400 (or
            return await handler(request)  # 404) without touching state, so this replica answers it alone
        if encoded_but_empty(request, body):
            return await handler(request)  # (a gzip cut short): the same 400, from the route itself
        try:
            answer = await self._submit(request, body)
        except (RedisError, OSError) as exc:
            return _unavailable(exc)
        except TimeoutError:
            return self._stuck("applied the request (it is in the shared log and will still be applied)")
        status, reason, headers, data = answer
        delay, drop = effects_of(headers)
        if delay > 0:
            await asyncio.sleep(delay)
        if drop:
            return await drop_connection(request)
        return web.Response(status=status, reason=reason, headers=CIMultiDict(headers), body=data)

    async def _applying(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run an entry's request; its answer goes to the applier, or, when the handler let the applier go on
        (RELEASE: it waits on a later entry), straight to the client waiting on this replica, if any."""
        origin = self._origin
        effects: list[tuple[str, float]] = []
        closer: Callable[[], None] | None = None

        def release() -> None:
            nonlocal closer
            if closer is None:
                closer = self._channel.detach()
                self._channel.capture(DETACHED)

        deferred = DEFERRED.set(effects)  # a fault's sleep or drop happens at the receiving replica, not here
        releasing = RELEASE.set(release)
        answer = _FAILED  # a cancel too: the applier must never wait out ANSWER_WITHIN for nothing
        try:
            response = await handler(request)
            answer = with_effects(answer_of(response), effects)
            return response
        except web.HTTPException as exc:
            answer = with_effects(answer_of(exc), effects)
            raise
        finally:
            DEFERRED.reset(deferred)
            RELEASE.reset(releasing)
            if closer is None:
                self._channel.capture(answer)
            else:
                self._answer(origin, answer)
                closer()

    def _stuck(self, what: str) -> web.Response:
        """The 503 of a request that waited WAIT seconds for the applier: blame Redis only when reading it
        failed; otherwise say where the applier is."""
        if self._read_error:
            return _unavailable(OSError(self._read_error))
        doing = f"applying {self._doing}" if self._doing else f"after entry {self._last.decode()}"
        log.error("the applier is behind: no answer within %gs (it is %s)", WAIT, doing)
        return web.json_response({"error": "replica_behind",
                                  "message": f"This replica has not {what} within {WAIT:g}s: its applier is "
                                             f"still busy ({doing}). Redis answered; see the replica's log."},
                                 status=503, headers={"Retry-After": "1"})

    def _answer(self, origin: bytes, answer: Answer) -> None:
        future = self._waiting.get(origin)
        if future is not None and not future.done():
            future.set_result(answer)

    def _internal(self, request: web.Request) -> bool:
        transport = request.transport
        return transport is not None and transport.get_extra_info("sockname") == self.socket_path

    async def _submit(self, request: web.Request, body: bytes) -> Answer:
        token = f"{self.id}:{next(self._tokens)}".encode()
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers
                   if k.decode("latin-1").lower() not in REQUEST_DROP]
        try:
            await self.stream.append({"k": "q", "o": token, "w": repr(time.time()), "m": request.method,
                                      "p": request.raw_path, "h": json.dumps(headers), "b": body})
            async with asyncio.timeout(WAIT):
                return await future
        finally:
            self._waiting.pop(token, None)

    async def caught_up(self) -> None:
        """Return once every entry in the stream when called has been applied here."""
        head = await self.stream.head()
        if head is None or order(head) <= self._applied:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._catching.append((order(head), future))
        await future

    # -- the applier ----------------------------------------------------------------------------

    async def _apply_forever(self) -> None:
        while not os.path.exists(self.socket_path):  # the unix site starts after the app's start-up
            await asyncio.sleep(0.01)
        watch = self.trim_watch
        while True:
            try:
                looked = time.monotonic()
                with_mark = watch.mark_due(looked)
                batch, mark = await self.stream.read(self._last, BATCH, 1000, with_mark=with_mark)
                if batch and not with_mark and not watch.holds(time.monotonic()):
                    looked = time.monotonic()  # Redis may have run the read once a trim could pass this replica
                    mark = await self.stream.trim_mark()
                if mark is not None:
                    if self._applied < mark:  # entries after ours may be gone: the checkpoint covers them
                        if await self._recover(mark):
                            watch.mark_read(looked)
                        continue
                    watch.mark_read(looked)
            except (RedisError, OSError) as exc:
                self._read_error = str(exc) or type(exc).__name__
                log.warning("cannot read the stream (%s); retrying", exc)
                await asyncio.sleep(0.5)
                continue
            except Exception:  # a bug must not stop this replica applying the stream for good
                log.exception("reading the stream failed; retrying")
                await asyncio.sleep(0.5)
                continue
            self._read_error = ""
            for entry_id, fields in batch:
                self._doing = _describe(entry_id, fields)
                try:
                    await self._apply(fields)
                except Exception:  # a bug must not stop this replica applying the stream
                    log.exception("entry %s could not be applied; skipped", entry_id.decode())
                self._doing = ""
                self._last, self._applied = entry_id, order(entry_id)
                self.checkpointer.applied()
                if self._catching:
                    self._release()
                await self._checkpoint_if_due()
            if not batch:  # idle: a checkpoint put off while entries came in (DUTY, --checkpoint-every) is due
                await self._checkpoint_if_due()

    async def _checkpoint_if_due(self) -> None:
        if self.holder and self.checkpointer.due():
            try:
                await self.checkpointer.take(self.id, self._last)
            except Exception:  # a bug must not stop this replica applying the stream
                log.exception("checkpoint at %s not taken", self._last.decode())

    async def _recover(self, mark: Order) -> bool:
        """Entries this replica had not applied were trimmed (it was stopped, or too slow): load the newest
        checkpoint in place of everything it holds, and read on from there. False: none could be loaded (it is
        tried again with the next read)."""
        found = await self.stream.load_checkpoint()
        try:
            if found is None:
                raise checkpoint.CheckpointError("there is none")
            if order(found[0]) < mark:  # a trim never passes the stored checkpoint: written by hand, or lost
                raise checkpoint.CheckpointError(f"it covers the log up to {found[0].decode()} only")
            at, payload = checkpoint.decode(found[1])
        except checkpoint.CheckpointError as exc:
            log.error("entries after %s were trimmed and the checkpoint cannot be loaded (%s); retrying",
                      self._last.decode(), exc)
            await asyncio.sleep(1.0)
            return False
        log.warning("entries after %s were trimmed before this replica applied them: loading the checkpoint "
                    "at %s", self._last.decode(), at.decode())
        checkpoint.wipe(self.app)
        try:
            checkpoint.restore(self.app, payload, self.entry_time)
        except checkpoint.CheckpointError as exc:  # reads keep waiting (nothing is applied) until one loads
            log.error("the checkpoint at %s cannot be loaded (%s); retrying", at.decode(), exc)
            await asyncio.sleep(1.0)
            return False
        self._last, self._applied = at, order(at)
        self.checkpointer.loaded()
        self._release()
        return True

    def _release(self) -> None:
        still = []
        for wanted, future in self._catching:
            if wanted <= self._applied:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((wanted, future))
        self._catching = still

    async def _apply(self, fields: Fields) -> None:
        kind, origin = fields.get(b"k"), fields.get(b"o", b"")
        self.entry_time.enter(float(fields.get(b"w", b"0")))
        self.engine.catch_up()  # the transitions due by this entry's time, in time order, before it
        if kind == b"q":
            self._origin = origin
            answer = await self._run(fields)
            if answer is not DETACHED:
                self._answer(origin, answer)
        elif kind == b"o":
            self.dispatcher.apply_outcome(json.loads(fields.get(b"d", b"{}")))
        elif kind == b"t" and origin == self.id.encode():
            self._ticking = False

    async def _run(self, fields: Fields) -> Answer:
        """The entry's request through this app, with the client's headers and body."""
        headers = [(str(k), str(v)) for k, v in json.loads(fields.get(b"h", b"[]"))]
        return await self._channel.run(fields.get(b"m", b"GET").decode("latin-1"),
                                       fields.get(b"p", b"/").decode("latin-1"), headers, fields.get(b"b", b""))

    # -- the lease: ticks and webhooks -----------------------------------------------------------

    def _due(self) -> bool:
        due = self.engine.scheduler.next_due()
        return due is not None and due <= self.clock.now_at(time.time())

    async def _lease_forever(self) -> None:
        said = 0.0
        while True:
            try:
                if time.monotonic() - said >= POSITION_EVERY:  # what this replica has applied: the trim waits
                    said = time.monotonic()
                    new = await self.stream.publish_position(self.id, self._last, next(self._publishes),
                                                             int(self.trim_watch.stale * 1000))
                    self.trim_watch.published(said, time.monotonic(), new)
                    if self.holder:
                        await self.checkpointer.trim(self.id, self._last)
                self.holder = await self.stream.hold_lease(self.id, LEASE_MS)
                if self.holder and not self._ticking and self._due():
                    self._ticking = True
                    await self.stream.append({"k": "t", "o": self.id, "w": repr(time.time())})
            except (RedisError, OSError) as exc:
                self.holder = self._ticking = False
                log.warning("cannot reach Redis for the lease (%s)", exc)
            await asyncio.sleep(TICK)

    async def _may_send(self) -> bool:
        """Send webhooks only while holding the lease, and only once everything appended so far is applied."""
        if not self.holder:
            return False
        try:
            async with asyncio.timeout(WAIT):
                await self.caught_up()
        except (RedisError, OSError, TimeoutError):
            return False
        return self.holder

    async def _publish(self, outcome: dict[str, object]) -> None:
        await self.stream.append({"k": "o", "o": self.id, "w": repr(time.time()), "d": json.dumps(outcome)})

    async def _lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(self._apply_forever()), asyncio.create_task(self._lease_forever()),
                 asyncio.create_task(self.dispatcher.send_forever(self._may_send, self._publish))]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)
        await self.checkpointer.close()
        with contextlib.suppress(RedisError, OSError):
            await self.stream.release_lease(self.id)  # the next holder need not wait for it to lapse
            await self.stream.forget_position(self.id)  # a stopped replica holds no trim back
        await self._channel.close()
        await self.stream.close()


async def _read_body(request: web.Request) -> bytes:
    """The body as the client sent it (not request.read(): that stops at the app's client_max_size with a
    413 of its own, where the face would have answered in its own shape), up to BODY_CAP and a byte; for a
    path no face or /_sim serves only the journal's excerpt and a byte, since the stream keeps every entry
    and nothing but the journal reads that body."""
    cap = _cap(request)
    raw = bytearray()
    while len(raw) <= cap and (chunk := await request.content.read(256 * 1024)):
        raw.extend(chunk)
    return bytes(raw[:cap + 1])


def _cap(request: web.Request) -> int:
    served = request.path.startswith("/_sim") or by_mount(request.path) is not None
    return BODY_CAP if served else EXCERPT


def _describe(entry_id: bytes, fields: Fields) -> str:
    kind = fields.get(b"k")
    if kind == b"q":
        path = fields.get(b"p", b"").partition(b"?")[0]  # never the query: it may carry another client's key
        what = f"{fields.get(b'm', b'').decode('latin-1')} {path.decode('latin-1')[:80]}"
    else:
        what = {b"o": "a webhook outcome", b"t": "a clock tick"}.get(kind or b"", "an entry")
    return f"{what}, entry {entry_id.decode()}"


def _unavailable(exc: BaseException) -> web.Response:
    log.error("state store unavailable: %s", str(exc) or type(exc).__name__)
    return web.json_response({"error": "state_unavailable",
                              "message": "The simulator's state store (Redis) did not answer in time."},
                             status=503, headers={"Retry-After": "1"})
