"""The webhook dispatcher: turns status changes into events and delivers them on the simulated clock.

`on_status` runs inline on the engine's event bus, so it only renders, stores and schedules; the
HTTP work runs later as scheduler jobs (awaited by `advance` on the manual clock, background tasks on
the real one). Each subscription has its own lane (see lanes.py): at most `subscription_in_flight`
attempts of one subscription at a time, `max_in_flight` in all, so a hung or slow receiver delays only
itself. On the manual clock an advance waits for deliveries at most `advance_wait` real seconds (see
core/scheduler.py); a lane whose attempt outlived that wait hands its later attempts to the scheduler as
`Detached`, so a receiver that never answers costs an advance its patience once. Every event keeps its
id and its exact body bytes on every attempt; after the last scheduled attempt it is a dead letter. The
store is bounded: finished events, then the oldest dead letters, then the oldest pending events make room,
each in O(1), and what was dropped is counted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any

import aiohttp
import orjson
from yarl import URL

from simulator.core.engine import Engine
from simulator.core.events import StatusEvent
from simulator.core.ids import random_state, set_random_state
from simulator.core.scheduler import Detached
from simulator.faces import faces
from simulator.scenarios.model import SimConfig
from simulator.webhooks import formats, persist
from simulator.webhooks.canonical import canonical_status
from simulator.webhooks.delivery import classify, request
from simulator.webhooks.formats import Rendering
from simulator.webhooks.http1 import Pool, header_block, plain_target
from simulator.webhooks.lanes import STATES, Lane
from simulator.webhooks.records import AttemptRecord, WebhookEvent
from simulator.webhooks.retry import parse_duration, parse_retry_after
from simulator.webhooks.signing import meta_signature, standard_headers
from simulator.webhooks.subscription import Subscription, SubscriptionError, parse_subscription
from simulator.webhooks.targets import SelfAddress, host_allowed, local_address, resolves_to_self

# Names of the /_sim/webhooks listings (stats, events, ...): a subscription id never takes one.
RESERVED_IDS = ("stats", "events", "deliveries", "dead-letters")

log = logging.getLogger("postman_sim.webhooks")

SECTION_KEYS = {"subscriptions", "defaults", "max_in_flight", "subscription_in_flight", "log_limit", "event_limit",
                "dead_letter_limit", "shutdown_grace", "advance_wait", "allow_hosts", "from_cli"}
DEFAULT_MAX_IN_FLIGHT = 64
DEFAULT_SUBSCRIPTION_IN_FLIGHT = 8
DEFAULT_LOG_LIMIT = 20_000
DEFAULT_EVENT_LIMIT = 100_000
DEFAULT_DEAD_LETTER_LIMIT = 10_000
DEFAULT_SHUTDOWN_GRACE = 5.0
DEFAULT_ADVANCE_WAIT = 5.0  # real seconds an advance waits for deliveries before they carry on in the background
DUPLICATE_DELAY = 1.0  # chaos duplicates follow the delivered copy one simulated second later
CONFIG_SOURCES = ("scenarios", "cli")  # subscriptions the scenarios file and the flags make at every start


def _rng(seed: int | None) -> random.Random:
    """Seeded apart from the engine's ids (same seed, different stream), so event ids never echo them."""
    return random.Random(f"postman-sim webhooks {seed}") if seed is not None else random.Random()


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # one, not one per json.dumps call
# orjson writes what _ENCODER writes but for floats (1.5e-07 is 1.5e-7 there, NaN null): a body that may hold one
# (a digit before '.', 'e' or 'E', or a null anywhere, strings included) is written by the standard library.
_DIGITS_AS_0 = bytes.maketrans(b"123456789", b"000000000")


def _maybe_float(body: bytes) -> bool:
    digits = body.translate(_DIGITS_AS_0)  # C-speed scans; a regex took 5 µs a body
    return b"0." in digits or b"0e" in digits or b"0E" in digits or b"null" in digits


def _encode(payload: Mapping[str, Any]) -> bytes:
    """The exact body bytes every attempt sends: compact JSON, UTF-8, as json.dumps writes it (orjson's bytes when
    they are the same: a fifth of the CPU of rendering an event; tests/webhooks/test_body_encoding.py)."""
    try:
        body = orjson.dumps(payload)
    except TypeError:  # orjson.JSONEncodeError: an int past 64 bits, a non-str key, deep nesting
        return _ENCODER.encode(payload).encode()
    return _ENCODER.encode(payload).encode() if _maybe_float(body) else body


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class NotFound(LookupError):
    """No such subscription or event."""


class Conflict(RuntimeError):
    """The request clashes with the current state (duplicate id, disabled subscription)."""


class Dispatcher:
    def __init__(self, engine: Engine, *, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
                 subscription_in_flight: int = DEFAULT_SUBSCRIPTION_IN_FLIGHT,
                 log_limit: int = DEFAULT_LOG_LIMIT, event_limit: int = DEFAULT_EVENT_LIMIT,
                 dead_letter_limit: int = DEFAULT_DEAD_LETTER_LIMIT, shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
                 advance_wait: float = DEFAULT_ADVANCE_WAIT, allow_hosts: list[str] | None = None,
                 defaults: Mapping[str, Any] | None = None) -> None:
        self.engine = engine
        self.max_in_flight = max_in_flight
        self.subscription_in_flight = subscription_in_flight
        self.event_limit = event_limit
        self.dead_letter_limit = dead_letter_limit
        self.shutdown_grace = shutdown_grace
        engine.scheduler.wait_budget = advance_wait
        self.allow_hosts = allow_hosts
        self.defaults = dict(defaults or {})
        self.self_address = SelfAddress()  # the CLI binds it; requests teach it the address they came to
        self._rng = _rng(engine.seed)
        self._subs: dict[str, Subscription] = {}
        self._lanes: dict[str, Lane] = {}
        self._last_sub = 0    # wh_<n> ids given
        self._events: OrderedDict[str, WebhookEvent] = OrderedDict()   # oldest first
        self._finished: OrderedDict[str, None] = OrderedDict()         # delivered/dropped, oldest first
        self._dead: OrderedDict[str, WebhookEvent] = OrderedDict()     # dead letters, oldest first
        self._counts: Counter[str] = Counter()                         # events per state
        self._dead_dropped = 0
        self._evicted = 0
        self._log: deque[AttemptRecord] = deque(maxlen=log_limit)
        self._last_log = 0    # attempt record ids given
        self._slots = asyncio.Semaphore(max_in_flight)
        self._verify_locks: dict[str, asyncio.Lock] = {}
        self._session: aiohttp.ClientSession | None = None
        self._pool: Pool | None = None  # keep-alive connections to plain http:// receivers (http1.py)
        self._running = 0     # jobs handed to the scheduler and not finished yet
        self._in_flight = 0   # attempts holding a slot
        self._closed = False
        self.on_outcome: Callable[[str], None] | None = None  # e.g. the metrics counter (app.py wires it)
        self.kept = False  # True with serve --snapshot: what is left undelivered on shutdown is in the file

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_config(cls, engine: Engine, config: SimConfig,
                    bound: tuple[str | None, int | None] | None = None) -> Dispatcher:
        """Read `webhooks:` from the scenarios file; ValueError (with every problem) if it is wrong.
        `bound` is the (host, port) the server will listen on, when known before it starts."""
        section = config.section("webhooks")
        problems = [f"webhooks: unknown key {k!r}; known: {sorted(SECTION_KEYS - {'from_cli'})}"
                    for k in section if k not in SECTION_KEYS]
        options: dict[str, Any] = {}
        for key, default in (("max_in_flight", DEFAULT_MAX_IN_FLIGHT),
                             ("subscription_in_flight", DEFAULT_SUBSCRIPTION_IN_FLIGHT),
                             ("log_limit", DEFAULT_LOG_LIMIT), ("event_limit", DEFAULT_EVENT_LIMIT),
                             ("dead_letter_limit", DEFAULT_DEAD_LETTER_LIMIT)):
            value = section.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"webhooks.{key}: must be a whole number >= 1")
                value = default
            options[key] = value
        for key, default_wait in (("shutdown_grace", DEFAULT_SHUTDOWN_GRACE), ("advance_wait", DEFAULT_ADVANCE_WAIT)):
            try:
                options[key] = parse_duration(section.get(key, default_wait))
            except ValueError as exc:
                problems.append(f"webhooks.{key}: {exc}")
        allow = section.get("allow_hosts")
        if allow is not None and (not isinstance(allow, list) or not all(isinstance(h, str) and h for h in allow)):
            problems.append("webhooks.allow_hosts: must be a list of host globs, e.g. ['*.qa.example.com', "
                            "'127.0.0.1']")
            allow = None
        options["allow_hosts"] = allow
        defaults = section.get("defaults") or {}
        if not isinstance(defaults, Mapping):
            problems.append("webhooks.defaults: must be a mapping of subscription keys")
            defaults = {}
        dispatcher = cls(engine, defaults=defaults, **options)
        if bound is not None:
            dispatcher.self_address.bind(*bound)
        for source, key in (("scenarios", "subscriptions"), ("cli", "from_cli")):
            specs = section.get(key) or []
            if not isinstance(specs, list):
                problems.append(f"webhooks.{key}: must be a list of subscriptions")
                continue
            for i, spec in enumerate(specs):
                try:
                    dispatcher.add_subscription(spec, source=source)
                except (SubscriptionError, Conflict) as exc:
                    problems.append(f"webhooks.{key}[{i}]: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return dispatcher

    # -- subscriptions (the API faces and /_sim use) ---------------------------------------------

    def subscriptions(self) -> list[Subscription]:
        return list(self._subs.values())

    def get_subscription(self, sub_id: str) -> Subscription | None:
        return self._subs.get(sub_id)

    def _check_target(self, sub: Subscription) -> Subscription:
        """Refuse a URL at the simulator's own /_sim (but the sink), and face callbacks outside allow_hosts."""
        problem = self.self_address.problem(sub.url)
        if problem is not None:
            raise SubscriptionError([f"url: {problem}"])
        if _from_a_face(sub) and not host_allowed(sub.url, self.allow_hosts):
            raise SubscriptionError([f"url: the host of {sub.url!r} is not allowed here (webhooks.allow_hosts: "
                                     f"{', '.join(self.allow_hosts or [])})"])
        return sub

    def _put(self, sub: Subscription) -> Subscription:
        """Store it, with its lane; a disabled one stops its lane's pending and running attempts."""
        self._subs[sub.id] = sub
        lane = self._lanes.get(sub.id)
        if lane is None:
            self._lanes[sub.id] = Lane(sub.id, min(self.subscription_in_flight, self.max_in_flight))
        elif not sub.enabled:
            self._halt(lane, f"subscription disabled ({sub.disabled_reason or 'by request'})", dead=True)
        return sub

    def add_subscription(self, spec: Mapping[str, Any], *, source: str = "api") -> Subscription:
        """Create one; `spec["id"]` names it (else wh_<n>). SubscriptionError / Conflict on bad input."""
        sub_id = spec.get("id") if isinstance(spec, Mapping) else None
        if sub_id is not None and (not isinstance(sub_id, str) or not sub_id or "/" in sub_id):
            raise SubscriptionError(["id: must be a non-empty string without '/'"])
        if sub_id in RESERVED_IDS:
            raise SubscriptionError([f"id: {sub_id!r} names a /_sim/webhooks listing; choose another id"])
        if sub_id is None:
            self._last_sub += 1
            while f"wh_{self._last_sub}" in self._subs:
                self._last_sub += 1
            sub_id = f"wh_{self._last_sub}"
        if sub_id in self._subs:
            raise Conflict(f"a subscription with id {sub_id!r} already exists")
        sub = parse_subscription(spec, sub_id=sub_id, source=source, now=self.engine.clock.now(),
                                 defaults=self.defaults)
        return self._put(self._check_target(sub))

    def update_subscription(self, sub_id: str, changes: Mapping[str, Any]) -> Subscription:
        """Change some keys (null removes a key); pending events follow the new settings; disabling one
        cancels its queued and running attempts at once (its pending events become dead letters)."""
        old = self._subs.get(sub_id)
        if old is None:
            raise NotFound(f"no webhook subscription {sub_id!r}")
        if "id" in changes and changes["id"] != sub_id:
            raise SubscriptionError(["id: cannot be changed"])
        spec = {**old.spec, **changes}
        spec = {k: v for k, v in spec.items() if v is not None and k != "id"}
        new = self._check_target(parse_subscription(spec, sub_id=sub_id, source=old.source, now=old.created_at,
                                                    defaults=self.defaults))
        new.verified = old.verified and (new.url, new.verify_token) == (old.url, old.verify_token)
        new.updated_at = self.engine.clock.now()
        if not new.enabled:
            new.disabled_reason = old.disabled_reason if not old.enabled else "disabled by request"
        return self._put(new)

    def set_subscription(self, sub_id: str, spec: Mapping[str, Any], *, source: str) -> Subscription:
        """Create or replace the subscription `sub_id` wholesale (what a face's registration calls)."""
        sub = self._check_target(parse_subscription(spec, sub_id=sub_id, source=source, now=self.engine.clock.now(),
                                                    defaults=self.defaults))
        old = self._subs.get(sub_id)
        if old is not None:
            sub.created_at = old.created_at
            sub.verified = old.verified and (sub.url, sub.verify_token) == (old.url, old.verify_token)
        return self._put(sub)

    def remove_subscription(self, sub_id: str) -> bool:
        """Delete it; its queued and running attempts are cancelled and its pending events dropped at once."""
        if self._subs.pop(sub_id, None) is None:
            return False
        lane = self._lanes.pop(sub_id)
        lane.closed = True
        self._halt(lane, "subscription deleted", dead=False)
        return True

    def _halt(self, lane: Lane, reason: str, *, dead: bool) -> None:
        """Stop a lane: pending events become dead letters (disabled) or dropped (deleted); attempts cancelled."""
        for event in list(lane.pending.values()):
            if dead:
                self._bury(event, reason)
            else:
                self._move(event, "dropped")
                event.dead_reason, event.next_attempt_at = reason, None
        current = asyncio.current_task() if _loop_running() else None
        lane.cancel(keep=current)

    def subscription_view(self, sub: Subscription) -> dict[str, Any]:
        return {**sub.view(), **self._lanes[sub.id].view()}

    # -- events ---------------------------------------------------------------------------------

    def on_status(self, change: StatusEvent) -> None:
        """Event-bus subscriber: one webhook event per matching subscription (fast, never blocks)."""
        message = change.message
        if not self._subs or message.facts.notify is False:
            return
        canonical = canonical_status(message.flow, change.status)
        for sub in list(self._subs.values()):
            if not sub.wants(message):
                continue
            event_id = self._event_id()
            item = Rendering(event_id=event_id, message=message, status=change.status, canonical=canonical,
                             previous=change.previous, at=change.at, error=change.error, identity=sub.identity)
            payload = formats.get(sub.format).render(item)
            if payload is None:
                continue
            self._enqueue(sub, WebhookEvent(id=event_id, subscription_id=sub.id, message_id=message.id,
                                            face=message.face, channel=message.channel, tenant=message.tenant,
                                            status=change.status, at=change.at, body=_encode(payload)))

    def learn_local_address(self, transport: object) -> None:
        """Note the address a request came to, so no subscription may target this simulator's own /_sim."""
        self.self_address.learn(local_address(transport))

    def deliver(self, sub_id: str, payload: Mapping[str, Any], *, face: str, channel: str, tenant: str,
                kind: str) -> WebhookEvent | None:
        """Queue a face's ready-made payload (e.g. Qlara INBOUND) for one subscription, now, with the same
        retries, log and dead letters as status events. None when that subscription is absent or disabled."""
        sub = self._subs.get(sub_id)
        if sub is None or not sub.enabled:
            return None
        event = WebhookEvent(id=self._event_id(), subscription_id=sub.id, message_id=None, face=face,
                             channel=channel, tenant=tenant, status=kind, at=self.engine.clock.now(),
                             body=_encode(payload))
        self._enqueue(sub, event)
        return event

    def _event_id(self) -> str:
        """str(uuid.UUID(int=<128 seeded bits>, version=4)), formatted directly (uuid.UUID costs 3 µs)."""
        bits = (self._rng.getrandbits(128) & ~(0xC000 << 48 | 0xF000 << 64)) | (0x8000 << 48 | 0x4000 << 64)
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def _enqueue(self, sub: Subscription, event: WebhookEvent) -> None:
        """Store the event and schedule its first attempt (the retry schedule's first delay, chaos reorder)."""
        self._store(event, self._lanes[sub.id])
        delay = sub.retry.delay(0, self._rng)
        if sub.chaos.reorder and self._rng.random() < sub.chaos.reorder:
            delay += sub.chaos.reorder_delay
        self._schedule(event, event.at + delay, "auto")

    # -- the bounded store: every change of state goes through _move, every removal through _forget --

    def _store(self, event: WebhookEvent, lane: Lane) -> None:
        event.lane = lane
        self._events[event.id] = event
        self._counts[event.state] += 1
        lane.added(event)
        while len(self._events) > self.event_limit:
            self._make_room()

    def _make_room(self) -> None:
        """Drop one event, in O(1): the oldest finished one, else the oldest dead letter, else the oldest
        pending one (a receiver that never answers must not grow the store without end)."""
        if self._finished:
            self._forget(self._events[self._finished.popitem(last=False)[0]])
        elif self._dead:
            self._drop_dead(next(iter(self._dead.values())))
        else:
            event = next(iter(self._events.values()))
            self._evicted += 1
            if event.lane is not None:
                event.lane.evicted += 1
            self._forget(event)

    def _drop_dead(self, event: WebhookEvent) -> None:
        self._dead_dropped += 1
        if event.lane is not None:
            event.lane.dead_dropped += 1
        self._forget(event)

    def _move(self, event: WebhookEvent, state: str) -> None:
        old = event.state
        if event.id not in self._events:  # already pruned or reset: nothing to count
            event.state = state
            return
        self._counts[old] -= 1
        self._counts[state] += 1
        if event.lane is not None:
            event.lane.moved(event, old, state)
        event.state = state
        if state in ("delivered", "dropped"):
            self._finished[event.id] = None
        else:
            self._finished.pop(event.id, None)
        if state == "dead":
            self._dead[event.id] = event
            while len(self._dead) > self.dead_letter_limit:
                self._drop_dead(next(iter(self._dead.values())))
        else:
            self._dead.pop(event.id, None)

    def _forget(self, event: WebhookEvent) -> None:
        if self._events.pop(event.id, None) is None:
            return
        self._counts[event.state] -= 1
        self._finished.pop(event.id, None)
        self._dead.pop(event.id, None)
        if event.lane is not None:
            event.lane.forgotten(event)

    def _drop(self, event: WebhookEvent, reason: str) -> None:
        self._move(event, "dropped")
        event.dead_reason, event.next_attempt_at = reason, None

    def _schedule(self, event: WebhookEvent, when: float, trigger: str) -> None:
        if trigger == "auto":
            event.next_attempt_at = when
        self.engine.scheduler.call_at(when, partial(self._job, event.id, trigger))

    def _job(self, event_id: str, trigger: str, when: float) -> Awaitable[None] | Detached | None:
        self._running += 1  # counted as soon as the scheduler takes it, before the task starts
        work = self._run_job(event_id, trigger, when)
        event = self._events.get(event_id)
        if event is not None and event.lane is not None and event.lane.hanging(when):
            return Detached(work)  # its receiver still holds an earlier attempt: do not hold the clock for it
        return work

    def _ready(self, event_id: str, trigger: str) -> tuple[Subscription, WebhookEvent] | None:
        """The subscription and event a due job is to attempt; None (the event dropped or buried as the
        state demands) when there is nothing to send."""
        event = self._events.get(event_id)
        if event is None or (trigger == "auto" and event.state != "pending"):
            return None
        sub = self._subs.get(event.subscription_id)
        if sub is None or event.lane is not self._lanes.get(sub.id):
            self._drop(event, "subscription deleted")
            return None
        if not sub.enabled:
            self._bury(event, f"subscription disabled ({sub.disabled_reason or 'by request'})")
            return None
        if event.message_id is not None and self.engine.store.get(event.message_id) is None:
            self._drop(event, "message reset")  # reset forgot the message: its webhooks go with it
            return None
        return sub, event

    async def _run_job(self, event_id: str, trigger: str, when: float) -> None:
        """A scheduled attempt runs in the scheduler's own task, made its lane's (so deleting or disabling the
        subscription cancels it): no second task per attempt, as a manual one needs (see _in_lane)."""
        try:
            ready = self._ready(event_id, trigger)
            if ready is not None:
                sub, event = ready
                lane = self._lanes[sub.id]
                task = asyncio.current_task()
                assert task is not None
                lane.start(task, when)
                try:
                    await self._attempt(sub, event, trigger, when, lane)
                finally:
                    lane.finish(task)
        except Exception:  # a job must never take the scheduler down
            if not self._closed:
                log.exception("webhook job for event %s failed", event_id)
        finally:
            self._running -= 1

    async def _in_lane(self, sub: Subscription, event: WebhookEvent, trigger: str,
                       scheduled_at: float) -> AttemptRecord | None:
        """Run one manual attempt as a task of its own in the subscription's lane, so deleting or disabling it
        cancels the attempt (queued or in flight) and not the request that asked for it; None when it was
        cancelled that way."""
        lane = self._lanes[sub.id]
        task: asyncio.Task[object] = asyncio.ensure_future(self._attempt(sub, event, trigger, scheduled_at, lane))
        lane.start(task, scheduled_at)
        try:
            record = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we were cancelled ourselves, not the lane's attempt
            return None
        finally:
            lane.finish(task)
        return record if isinstance(record, AttemptRecord) else None

    # -- attempts -------------------------------------------------------------------------------

    async def _attempt(self, sub: Subscription, event: WebhookEvent, trigger: str,
                       scheduled_at: float, lane: Lane) -> AttemptRecord | None:
        async with lane.slots, self._slots:  # the lane's own limit first: a stuck lane holds few global slots
            if self._closed or lane.closed or (trigger == "auto" and event.state != "pending"):
                return None
            self._in_flight += 1
            try:
                record, retry_after = await self._send(sub, event, trigger, scheduled_at)
            finally:
                self._in_flight -= 1
        self._settle(sub, event, record, retry_after)
        return record

    async def _send(self, sub: Subscription, event: WebhookEvent, trigger: str,
                    scheduled_at: float) -> tuple[AttemptRecord, str | None]:
        at = self.engine.clock.now()
        record = AttemptRecord(id=0, event_id=event.id, subscription_id=sub.id,
                               number=len(event.attempts) + 1, trigger=trigger, scheduled_at=scheduled_at, at=at,
                               url=sub.url, request_headers={}, request_body=event.body.decode())
        try:
            return record, await self._exchange(sub, event, record)
        except Exception as exc:  # a URL no check foresaw, a bug: a failed attempt, retried and dead-lettered as usual
            record.response_status = record.response_body = record.latency_ms = None
            record.error_class = "connection_error"
            record.error = f"the attempt could not be made: {type(exc).__name__}: {exc}"
            log.warning("webhook attempt %d of event %s (subscription %s) could not be made: %s: %s",
                        record.number, event.id, sub.id, type(exc).__name__, exc)
            return record, None

    async def _exchange(self, sub: Subscription, event: WebhookEvent, record: AttemptRecord) -> str | None:
        """The attempt's HTTP part, filling in `record`; the answer's Retry-After."""
        if sub.verify_token is not None and not sub.verified:
            ok, info = await self._verify(sub)
            record.verification = info
            if not ok:
                record.error_class = "verification_failed"
                record.error = "the hub.challenge handshake did not succeed; nothing was POSTed"
                return None
        fmt = formats.get(sub.format)
        headers = self._headers(sub, fmt, event)
        record.request_headers = headers
        if await resolves_to_self(self.self_address, sub.url):
            record.error_class = "refused_target"
            record.error = "the URL reaches the simulator's own /_sim control routes; nothing was POSTed"
            return None
        target = plain_target(sub.url)
        block = header_block(headers) if target is not None else None
        if target is not None and block is not None:  # plain http: the lean keep-alive client
            result = await self._plain().post(target, block, event.body, sub.timeout)
        else:
            result = await request(self._http(), "POST", sub.url, timeout=sub.timeout, headers=headers,
                                   body=event.body)
        record.response_status, record.response_body = result.status, result.body
        record.latency_ms, record.error_class, record.error = result.latency_ms, result.error_class, result.error
        if result.status is not None and result.error_class is None:  # a cut-off body is a failure
            record.error_class = classify(result.status, fmt.only_200)
            if record.error_class is not None:
                record.error = f"receiver answered {result.status}"
        return result.retry_after

    def _headers(self, sub: Subscription, fmt: formats.Format, event: WebhookEvent) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": fmt.user_agent}
        if "meta" in sub.signing and sub.secret is not None:
            headers["X-Hub-Signature-256"] = meta_signature(sub.secret, event.body)
        if "standard" in sub.signing and sub.secret is not None:
            headers.update(standard_headers(sub.secret, event.id, event.body))  # wall-clock timestamp
        return headers

    async def _verify(self, sub: Subscription) -> tuple[bool, dict[str, Any]]:
        """Meta's GET hub.mode=subscribe handshake: 200 with exactly the challenge as the body."""
        lock = self._verify_locks.setdefault(sub.id, asyncio.Lock())
        async with lock:
            if sub.verified:
                return True, {"skipped": "verified meanwhile"}
            challenge = self._challenge()
            url = str(URL(sub.url).update_query({"hub.mode": "subscribe", "hub.challenge": challenge,
                                                 "hub.verify_token": sub.verify_token or ""}))
            result = await request(self._http(), "GET", url, timeout=sub.timeout)
            ok = result.status == 200 and (result.body or "").strip() == challenge
            if ok:
                sub.verified = True
            return ok, {"url": url, "status": result.status, "body": result.body, "error_class": result.error_class,
                        "latency_ms": result.latency_ms, "ok": ok}

    def _challenge(self) -> str:
        """hub.challenge for the verification handshake."""
        return str(self._rng.randrange(10**9, 10**10))

    def _settle(self, sub: Subscription, event: WebhookEvent, record: AttemptRecord, retry_after: str | None) -> None:
        self._last_log += 1
        record.id = self._last_log  # numbered as logged (a replica on Redis logs outcomes in stream order)
        event.attempts.append(record)
        self._log.append(record)
        auto = record.trigger == "auto"
        if auto:
            event.auto_attempts += 1
        if record.error_class is None:
            record.outcome = "delivered"
            self._move(event, "delivered")
            event.next_attempt_at, event.dead_reason, event.dead_at = None, None, None
            if auto and sub.chaos.duplicate and self._rng.random() < sub.chaos.duplicate:
                self._schedule(event, record.at + DUPLICATE_DELAY, "chaos_duplicate")
            self._report("delivered")
            return
        if record.error_class == "gone":
            record.outcome = "gone"
            sub.enabled, sub.disabled_reason = False, f"the receiver answered 410 Gone at attempt {record.id}"
            sub.spec["enabled"] = False  # stays disabled through later updates until enabled: true
            self._bury(event, "the receiver answered 410 Gone: subscription disabled")
            lane = self._lanes.get(sub.id)
            if lane is not None:  # the rest of its queue stops too
                self._halt(lane, f"subscription disabled ({sub.disabled_reason})", dead=True)
            self._report("gave_up")
            return
        if not auto:
            self._report("failed")
            return  # manual and chaos attempts never change the event's own schedule
        if event.auto_attempts < sub.retry.max_attempts:
            delay = sub.retry.delay(event.auto_attempts, self._rng)
            wait = parse_retry_after(retry_after, record.at)
            if wait is not None:
                delay = max(delay, wait)
            record.next_attempt_at = record.at + delay
            self._schedule(event, record.at + delay, "auto")
            self._report("retrying")
        else:
            self._bury(event, f"all {sub.retry.max_attempts} attempts failed; last: {record.error_class}")
            self._report("gave_up")

    def _report(self, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def _bury(self, event: WebhookEvent, reason: str) -> None:
        """A dead letter; beyond dead_letter_limit the oldest are dropped (and counted)."""
        event.dead_reason, event.next_attempt_at = reason, None
        event.dead_at = self.engine.clock.now()
        self._move(event, "dead")

    # -- redelivery -----------------------------------------------------------------------------

    def event(self, event_id: str) -> WebhookEvent:
        event = self._events.get(event_id)
        if event is None:
            raise NotFound(f"no webhook event {event_id!r}")
        return event

    def manual_target(self, event_id: str) -> tuple[WebhookEvent, Subscription]:
        """The event a manual attempt re-sends and its subscription (Conflict when that is deleted or off)."""
        event = self.event(event_id)
        sub = self._subs.get(event.subscription_id)
        if sub is None:
            raise Conflict(f"subscription {event.subscription_id!r} was deleted")
        if not sub.enabled:
            raise Conflict(f"subscription {sub.id!r} is disabled; enable it first (PATCH enabled: true)")
        return event, sub

    async def redeliver(self, event_id: str) -> AttemptRecord:
        """One manual attempt now with the same id and body; success takes it off the dead letters."""
        event, sub = self.manual_target(event_id)
        self._running += 1
        try:
            record = await self._in_lane(sub, event, "manual", self.engine.clock.now())
        finally:
            self._running -= 1
        if record is None:
            raise Conflict("the attempt was cancelled: the subscription was deleted or disabled, or the "
                           "dispatcher is shutting down")
        return record

    async def replay_dead(self, event_ids: Iterable[str] | None = None,
                          subscription_id: str | None = None) -> list[AttemptRecord]:
        """Redeliver dead letters (all, some ids, or one subscription's), in flight bounds as usual."""
        wanted = set(event_ids) if event_ids is not None else None
        targets = [e for e in self._dead.values() if (wanted is None or e.id in wanted)
                   and (subscription_id is None or e.subscription_id == subscription_id)]
        results = await asyncio.gather(*(self.redeliver(e.id) for e in targets), return_exceptions=True)
        return [r for r in results if isinstance(r, AttemptRecord)]

    # -- views ----------------------------------------------------------------------------------

    def events(self) -> list[WebhookEvent]:
        return list(self._events.values())

    def dead_letters(self) -> list[WebhookEvent]:
        return list(self._dead.values())

    def attempts(self) -> list[AttemptRecord]:
        return list(self._log)

    def stats(self) -> dict[str, Any]:
        """From counters kept on every change (never a scan of the store)."""
        return {"subscriptions": len(self._subs), "events": len(self._events),
                **{state: self._counts[state] for state in STATES},
                "in_flight": self._in_flight, "waiting": max(0, self._running - self._in_flight),
                "max_in_flight": self.max_in_flight, "subscription_in_flight": self.subscription_in_flight,
                "attempts_logged": len(self._log),
                "discarded": {"dead_letters": self._dead_dropped, "pending": self._evicted}}

    # -- snapshots (simulator.webhooks.persist reads and writes the data) --------------------------

    def export_state(self) -> dict[str, Any]:
        """Subscriptions, every held event with its attempts, counters and the seeded stream, as plain data."""
        return {"subscriptions": [persist.subscription_data(s) for s in self._subs.values()],
                "events": [persist.event_data(e) for e in self._events.values()],
                "last_sub": self._last_sub, "last_log": self._last_log, "random": random_state(self._rng),
                "dead_dropped": self._dead_dropped, "evicted": self._evicted}

    def import_state(self, data: Mapping[str, Any], notes: list[str] | None = None) -> int:
        """Put a snapshot's state back (after the messages): subscriptions as they were (one from the scenarios
        file or the flags only while it is still there unchanged), events in their states (those of a
        subscription now gone are dropped), pending ones scheduled again at their next attempt. A subscription
        whose URL no longer passes the checks comes back disabled (see persist.subscription_from), its pending
        events dead letters, and a line for the user in `notes`. Returns how many are pending."""
        unusable: list[Subscription] = []
        for item in data["subscriptions"]:
            sub, problem = persist.subscription_from(item, self.defaults)
            current = self._subs.get(sub.id)
            if sub.source in CONFIG_SOURCES and (current is None or current.spec != sub.spec):
                continue  # gone from, or changed in, the scenarios file or the flags since: their word wins
            self._put(sub)
            if problem is not None:
                unusable.append(sub)
        pending = 0
        for item in data["events"]:
            event = persist.event_from(item)
            lane = self._lanes.get(event.subscription_id)
            if lane is None:
                continue  # its subscription is gone from the scenarios file
            state, event.state = event.state, "pending"
            self._store(event, lane)
            if state != "pending":
                self._move(event, state)
            elif event.next_attempt_at is not None:
                self._schedule(event, event.next_attempt_at, "auto")
                pending += 1
        for sub in unusable:
            lane = self._lanes[sub.id]
            pending -= sum(1 for event in lane.pending.values() if event.next_attempt_at is not None)
            self._halt(lane, f"subscription disabled ({sub.disabled_reason})", dead=True)
            if notes is not None:
                notes.append(f"its webhook subscription {sub.id} comes back disabled: {sub.disabled_reason}")
        self._log.extend(sorted((a for e in self._events.values() for a in e.attempts), key=persist.record_id))
        self._last_sub, self._last_log = int(data["last_sub"]), int(data["last_log"])
        set_random_state(self._rng, data["random"])
        self._dead_dropped, self._evicted = int(data["dead_dropped"]), int(data["evicted"])
        return pending

    # -- lifecycle ------------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.max_in_flight * 2))
        return self._session

    def _plain(self) -> Pool:
        if self._pool is None:
            self._pool = Pool(idle_limit=self.max_in_flight * 2)
        return self._pool

    async def drain(self) -> None:
        """Wait until no attempt is due now or running (tests and the bench use this)."""
        scheduler = self.engine.scheduler
        while True:
            await scheduler.run_due()
            due = scheduler.next_due()
            if self._running == 0 and (due is None or due > self.engine.clock.now()):
                return
            await asyncio.sleep(0.005)

    def on_reset(self, tenant: str | None) -> None:
        """Engine reset: forget events, log and dead letters (all, or one tenant's). Subscriptions made
        through a face's own API (e.g. Qlara's registration) are that face's state and go too; the
        ones from the CLI, the scenarios file and /_sim/webhooks stay."""
        for sub_id in [s.id for s in self._subs.values()
                       if _from_a_face(s) and (tenant is None or s.tenant == tenant)]:
            self.remove_subscription(sub_id)
        for event in [e for e in self._events.values() if tenant is None or e.tenant == tenant]:
            self._forget(event)
        if tenant is None:
            self._log.clear()
            self._rng = _rng(self.engine.seed)
            self._dead_dropped = self._evicted = 0
            for sub in self._subs.values():
                sub.verified = False
                lane = self._lanes[sub.id]
                lane.dead_dropped = lane.evicted = 0

    async def shutdown(self, grace: float | None = None) -> dict[str, int]:
        """On the way down: let the attempts that are running or due finish within `grace` real seconds,
        then cancel the rest and log (warning) how many events each subscription leaves undelivered."""
        grace = self.shutdown_grace if grace is None else grace
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while loop.time() < deadline and self._deliverable():
            await asyncio.sleep(0.02)
        left = {lane.sub_id: len(lane.pending) for lane in self._lanes.values() if lane.pending}
        if left:
            fate = "kept in the snapshot" if self.kept else "state is in memory and is lost"
            log.warning("shutting down: %d webhook events left undelivered (%s): %s", sum(left.values()), fate,
                        ", ".join(f"{sub_id}={n}" for sub_id, n in left.items()))
        await self.close()
        return left

    def _deliverable(self) -> bool:
        """Is an attempt running, or a pending event of an enabled subscription due now?"""
        if self._running:
            return True
        now = self.engine.clock.now()
        return any(event.next_attempt_at is not None and event.next_attempt_at <= now
                   for sub_id, lane in self._lanes.items() if self._subs[sub_id].enabled
                   for event in lane.pending.values())

    async def close(self) -> None:
        self._closed = True
        for lane in self._lanes.values():
            lane.cancel()
        tasks = [task for lane in self._lanes.values() for task in lane.running]
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._pool is not None:
            self._pool.close()


def _from_a_face(sub: Subscription) -> bool:
    """A registration a face's own API made (e.g. a Qlara callback URL), not one of the simulator's."""
    return sub.source in {face.id for face in faces()}
