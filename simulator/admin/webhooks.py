"""/_sim/webhooks: subscriptions (CRUD), events, the delivery log, redelivery and dead-letter replay.

Errors use the control surface's own {"error": {"code", "message"}} shape (simulator.admin.errors); the
dispatcher (simulator.webhooks) knows no HTTP.
"""

from __future__ import annotations

from aiohttp import web

from simulator.admin.bodies import query_choice, read_fields, read_object
from simulator.admin.errors import AdminError, admin_errors
from simulator.admin.paging import page
from simulator.core.flows import statuses_of
from simulator.webhooks.dispatcher import RESERVED_IDS, Conflict, Dispatcher, NotFound
from simulator.webhooks.state import DISPATCHER
from simulator.webhooks.subscription import SubscriptionError
from simulator.webhooks.targets import local_address

# The values the list filters take (a value outside them is a 400 that lists these, not an empty page).
EVENT_STATES = ("pending", "delivered", "dead", "dropped")
OUTCOMES = ("delivered", "failed", "gone", "skipped")
TRIGGERS = ("auto", "manual", "chaos_duplicate")
ERROR_CLASSES = ("timeout", "connection_refused", "connection_error", "payload_error", "refused_target", "http_3xx",
                 "http_4xx", "http_5xx", "http_not_200", "gone", "verification_failed")


def _dispatcher(request: web.Request) -> Dispatcher:
    dispatcher = request.config_dict[DISPATCHER]
    dispatcher.self_address.learn(local_address(request.transport))  # the address we were reached on is ours
    return dispatcher


def _invalid(exc: SubscriptionError) -> AdminError:
    return AdminError(400, "invalid_subscription", "; ".join(exc.problems))


async def list_subscriptions(request: web.Request) -> web.Response:
    dispatcher = _dispatcher(request)
    return web.json_response({"data": [dispatcher.subscription_view(s) for s in dispatcher.subscriptions()]})


async def create_subscription(request: web.Request) -> web.Response:
    # parse_subscription is the field checker here: unknown keys and bad values, all listed in one 400.
    dispatcher = _dispatcher(request)
    try:
        sub = dispatcher.add_subscription(await read_object(request), source="api")
    except SubscriptionError as exc:
        raise _invalid(exc) from exc
    except Conflict as exc:
        raise AdminError(409, "conflict", str(exc)) from exc
    return web.json_response(dispatcher.subscription_view(sub), status=201)


def _subscription_id(request: web.Request) -> str:
    sub_id = request.match_info["id"]
    if _dispatcher(request).get_subscription(sub_id) is None:
        raise AdminError(404, "not_found", f"No webhook subscription {sub_id!r}.")
    return sub_id


async def get_subscription(request: web.Request) -> web.Response:
    dispatcher = _dispatcher(request)
    sub = dispatcher.get_subscription(_subscription_id(request))
    assert sub is not None
    return web.json_response(dispatcher.subscription_view(sub))


async def update_subscription(request: web.Request) -> web.Response:
    dispatcher = _dispatcher(request)
    sub_id = _subscription_id(request)
    try:
        sub = dispatcher.update_subscription(sub_id, await read_object(request))
    except SubscriptionError as exc:
        raise _invalid(exc) from exc
    return web.json_response(dispatcher.subscription_view(sub))


async def delete_subscription(request: web.Request) -> web.Response:
    _dispatcher(request).remove_subscription(_subscription_id(request))
    return web.Response(status=204)


async def list_events(request: web.Request) -> web.Response:
    query = request.query
    dispatcher = _dispatcher(request)
    query_choice(request, "state", EVENT_STATES)
    query_choice(request, "status", statuses_of(dispatcher.engine.flows))
    events = [e for e in dispatcher.events()
              if all(getattr(e, key) == query[key] for key in ("state", "subscription_id", "message_id", "status")
                     if query.get(key))]
    return web.json_response(page([e.view() for e in events], request))


def _event_id(request: web.Request) -> str:
    try:
        return _dispatcher(request).event(request.match_info["id"]).id
    except NotFound as exc:
        raise AdminError(404, "not_found", str(exc)) from exc


async def get_event(request: web.Request) -> web.Response:
    return web.json_response(_dispatcher(request).event(_event_id(request)).view(with_attempts=True))


async def redeliver(request: web.Request) -> web.Response:
    dispatcher = _dispatcher(request)
    event_id = _event_id(request)
    await read_fields(request, {}, optional=True)  # takes no fields: an empty body or {}
    try:
        record = await dispatcher.redeliver(event_id)
    except Conflict as exc:
        raise AdminError(409, "conflict", str(exc)) from exc
    return web.json_response({"event": dispatcher.event(event_id).view(), "attempt": record.view()})


async def list_deliveries(request: web.Request) -> web.Response:
    query = request.query
    query_choice(request, "outcome", OUTCOMES)
    query_choice(request, "trigger", TRIGGERS)
    query_choice(request, "error_class", ERROR_CLASSES)
    rows = [r for r in _dispatcher(request).attempts()
            if all(getattr(r, key) == query[key] for key in ("event_id", "subscription_id", "outcome",
                                                            "error_class", "trigger") if query.get(key))]
    return web.json_response(page([r.view() for r in rows], request))


async def list_dead_letters(request: web.Request) -> web.Response:
    query = request.query
    events = [e for e in _dispatcher(request).dead_letters()
              if not query.get("subscription_id") or e.subscription_id == query["subscription_id"]]
    return web.json_response(page([e.view() for e in events], request))


async def replay_dead_letters(request: web.Request) -> web.Response:
    body = await read_fields(request, {"event_ids": "array|null", "subscription_id": "string|null"}, optional=True)
    ids = body.get("event_ids")
    sub_id = body.get("subscription_id")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise AdminError(400, "bad_request", "'event_ids' must be a list of event ids.")
    if sub_id is not None and not isinstance(sub_id, str):
        raise AdminError(400, "bad_request", "'subscription_id' must be a string.")
    return await _replay(request, ids, sub_id)


async def replay_one(request: web.Request) -> web.Response:
    event_id = _event_id(request)
    await read_fields(request, {}, optional=True)  # takes no fields: an empty body or {}
    if _dispatcher(request).event(event_id).state != "dead":
        raise AdminError(409, "conflict", f"Event {event_id} is not a dead letter; use .../redeliver instead.")
    return await _replay(request, [event_id], None)


async def _replay(request: web.Request, ids: list[str] | None, sub_id: str | None) -> web.Response:
    dispatcher = _dispatcher(request)
    try:
        records = await dispatcher.replay_dead(ids, sub_id)
    except Conflict as exc:
        raise AdminError(409, "conflict", str(exc)) from None
    delivered = sum(1 for r in records if r.outcome == "delivered")
    return web.json_response({"replayed": len(records), "delivered": delivered,
                              "still_dead": len(dispatcher.dead_letters()),
                              "attempts": [r.view() for r in records]})


async def stats(request: web.Request) -> web.Response:
    return web.json_response(_dispatcher(request).stats())


# /{id} never matches a listing's name, so a 405's Allow names only that listing's methods.
SUBSCRIPTION = "/{id:(?!(?:" + "|".join(RESERVED_IDS) + ")$)[^/]+}"


def create_webhook_admin() -> web.Application:
    """The /_sim/webhooks sub-application (static paths first: they win over /{id})."""
    app = web.Application(middlewares=[admin_errors])
    app.add_routes([
        web.get("", list_subscriptions), web.post("", create_subscription),
        web.get("/stats", stats),
        web.get("/events", list_events), web.get("/events/{id}", get_event),
        web.post("/events/{id}/redeliver", redeliver),
        web.get("/deliveries", list_deliveries),
        web.get("/dead-letters", list_dead_letters), web.post("/dead-letters/replay", replay_dead_letters),
        web.post("/dead-letters/{id}/replay", replay_one),
        web.get(SUBSCRIPTION, get_subscription), web.patch(SUBSCRIPTION, update_subscription),
        web.delete(SUBSCRIPTION, delete_subscription),
    ])
    return app
