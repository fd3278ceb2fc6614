"""/_sim/messages: the journal of every face's messages, one message, and forcing a status."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.admin.billing import billing_view
from simulator.admin.bodies import query_choice, read_fields
from simulator.admin.errors import AdminError
from simulator.admin.message_filters import CONTAINS, COUNTS, EXACT, STATUS_CLASSES, predicate, select, tenant_name
from simulator.admin.paging import limits
from simulator.admin.system import engine_of
from simulator.core.flows import channels_of, faces_of, statuses_of
from simulator.core.models import ErrorInfo, Message
from simulator.core.timefmt import iso_utc


def journal_view(message: Message) -> dict[str, Any]:
    """A face-neutral view of a message with every attempt, its plan and its history."""
    return {
        "id": message.id,
        "face": message.face,
        "channel": message.channel,
        "tenant": message.tenant,
        "tenantName": tenant_name(message),
        "recipient": message.recipient,
        "status": message.status,
        "createdAt": iso_utc(message.created_at),
        "updatedAt": iso_utc(message.updated_at),
        "batchId": message.batch_id,
        "rule": message.attempt.plan.rule,
        "payload": dict(message.payload),
        "attempts": [
            {
                "number": attempt.number,
                "createdAt": iso_utc(attempt.created_at),
                "rule": attempt.plan.rule,
                "plan": [{"after": s.after, "status": s.status,
                          "error": None if s.error is None else s.error.as_dict()} for s in attempt.plan.steps],
                "history": [{"status": c.status, "at": iso_utc(c.at), "forced": c.forced,
                             "error": None if c.error is None else c.error.as_dict()} for c in attempt.history],
            }
            for attempt in message.attempts
        ],
        "billing": billing_view(message),
    }


async def list_messages(request: web.Request) -> web.Response:
    engine = engine_of(request)
    engine.catch_up()
    flows = engine.flows  # every registered face's, read per request: a face registered later counts too
    for name, allowed in (("face", faces_of(flows)), ("channel", channels_of(flows)), ("status", statuses_of(flows)),
                          ("status_class", STATUS_CLASSES), ("count", COUNTS)):
        query_choice(request, name, allowed)
    limit, offset = limits(request)
    query = {k: request.query[k] for k in (*EXACT, *CONTAINS, "status_class") if request.query.get(k)}
    if query.keys() <= set(EXACT):  # exact fields only: the store's indexes and counts answer, no scan
        matched, total = engine.store.query(**query, offset=offset, limit=limit)
        return web.json_response({"data": [journal_view(m) for m in matched], "total": total,
                                  "hasMore": offset + limit < total})
    exact = request.query.get("count", "exact") != "none"
    found = select(engine.store.newest_first(), len(engine.store), predicate(query), offset, limit, exact)
    return web.json_response({"data": [journal_view(m) for m in found.data], "total": found.total,
                              "hasMore": found.has_more})


def _find(request: web.Request) -> Message:
    message = engine_of(request).store.get(request.match_info["id"])
    if message is None:
        raise AdminError(404, "not_found", f"No message with id {request.match_info['id']}.")
    return message


async def get_message(request: web.Request) -> web.Response:
    engine_of(request).catch_up()
    return web.json_response(journal_view(_find(request)))


async def force_status(request: web.Request) -> web.Response:
    message = _find(request)
    body = await read_fields(request, {"status": "any", "error": "object|null"})  # a bad status: bad_status
    status = body.get("status")
    vocabulary = engine_of(request).flows[message.flow]
    if not isinstance(status, str) or status not in vocabulary.statuses:
        raise AdminError(400, "bad_status", f"{status!r} is not a {message.flow} status; "
                         f"expected one of {sorted(vocabulary.statuses)}.")
    error = vocabulary.forced_errors.get(str(status))  # a failure always carries an error, as real ones do
    raw_error = body.get("error")
    if raw_error is not None:
        fields = ("code", "type", "description", "sub_type")
        if (not isinstance(raw_error, dict) or not isinstance(raw_error.get("code"), str)
                or any(raw_error.get(k) is not None and not isinstance(raw_error[k], str) for k in fields)):
            raise AdminError(400, "bad_request", "'error' must be an object of strings with at least a 'code'.")
        error = ErrorInfo(code=raw_error["code"], type=raw_error.get("type"),
                          description=raw_error.get("description"), sub_type=raw_error.get("sub_type"))
    engine_of(request).force(message, str(status), error)
    return web.json_response(journal_view(message))
