"""/_sim/requests (the request journal) and /_sim/report (the integration report built from it)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.admin.bodies import query_choice, read_fields
from simulator.admin.errors import AdminError
from simulator.core.timefmt import iso_utc, parse_iso
from simulator.faces import faces
from simulator.journal import JOURNAL, REPORT_SETTINGS, Matcher, grade, render_report, status_ok
from simulator.journal.entries import Journal
from simulator.state import ENGINE
from simulator.webhooks import DISPATCHER

MATCHER_FIELDS = {"face": "string|null", "method": "string|null", "path": "string|null",
                  "status": "string|integer|null", "tenant": "string|null", "body_contains": "string|null",
                  "since": "string|null", "until": "string|null", "message_id": "string|null"}


def _face_ids() -> set[str]:
    """Every registered face's id, looked up per request (a face registered later counts too)."""
    return {face.id for face in faces()}


def _journal(request: web.Request) -> Journal:
    return request.config_dict[JOURNAL]


def _time(name: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso(str(value))
    except ValueError as exc:
        raise AdminError(400, "bad_request", f"'{name}' must be an ISO 8601 time (simulated).") from exc


def _matcher(values: dict[str, Any], *, unmatched: bool = False) -> Matcher:
    face = values.get("face") or None
    known = _face_ids()
    if face is not None and face not in known:
        choices = ", ".join(sorted(known))
        raise AdminError(400, "bad_request", f"face={face!r} is not allowed; it takes one of {choices}.")
    status = values.get("status")
    status = None if status is None or status == "" else str(int(status) if isinstance(status, float) else status)
    if status is not None and not status_ok(status):
        raise AdminError(400, "bad_request", "'status' must be a code such as 404 or a class such as 4xx.")
    return Matcher(face=face, method=values.get("method") or None, path=values.get("path") or None, status=status,
                   tenant=values.get("tenant") or None, body_contains=values.get("body_contains") or None,
                   since=_time("since", values.get("since")), until=_time("until", values.get("until")),
                   message_id=values.get("message_id") or None, unmatched=unmatched)


def _page(request: web.Request, matched: list[Any]) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
        offset = int(request.query.get("offset", "0"))
    except ValueError as exc:
        raise AdminError(400, "bad_request", "limit and offset must be integers.") from exc
    if not 1 <= limit <= 10000 or offset < 0:
        raise AdminError(400, "bad_request", "limit must be 1..10000 and offset >= 0.")
    journal = _journal(request)
    return web.json_response({"data": [e.view() for e in matched[offset:offset + limit]], "total": len(matched),
                              "dropped": journal.dropped, "size": journal.size})


async def list_requests(request: web.Request) -> web.Response:
    query_choice(request, "face", _face_ids())
    return _page(request, _matcher(dict(request.query)).select(_journal(request)))


async def unmatched_requests(request: web.Request) -> web.Response:
    return _page(request, _matcher(dict(request.query), unmatched=True).select(_journal(request)))


async def get_request(request: web.Request) -> web.Response:
    entry = _journal(request).get(request.match_info["id"])
    if entry is None:
        raise AdminError(404, "not_found", f"No journaled request with id {request.match_info['id']}.")
    return web.json_response(entry.view())


async def clear_requests(request: web.Request) -> web.Response:
    tenant = (await read_fields(request, {"tenant": "string"}, optional=True)).get("tenant")
    return web.json_response({"removed": _journal(request).forget(tenant), "tenant": tenant})


async def count_requests(request: web.Request) -> web.Response:
    matcher = _matcher(await read_fields(request, MATCHER_FIELDS, optional=True))
    return web.json_response({"count": sum(1 for entry in _journal(request) if matcher(entry))})


def build_report(request: web.Request) -> dict[str, Any]:
    """The report for ?tenant= (or everyone): findings from the journal, the store and webhook deliveries."""
    tenant = request.query.get("tenant") or None
    engine = request.config_dict[ENGINE]
    engine.catch_up()
    journal = _journal(request)
    entries = [e for e in journal if tenant is None or e.tenant == tenant]
    messages = [m for m in engine.store.all() if tenant is None or m.tenant == tenant]
    deliveries = [e for e in request.config_dict[DISPATCHER].events() if tenant is None or e.tenant == tenant]
    settings = request.config_dict[REPORT_SETTINGS]
    findings = [f.view() for f in grade(entries, messages, deliveries, settings)]
    return {"tenant": tenant, "generated_at": iso_utc(engine.clock.now()),
            "journal": {"entries": len(entries), "dropped": journal.dropped, "size": journal.size},
            "counts": {s: sum(f["severity"] == s for f in findings) for s in ("error", "warning", "info")},
            "findings": findings, "settings": settings.view()}


async def report(request: web.Request) -> web.Response:
    return web.json_response(build_report(request))


async def report_html(request: web.Request) -> web.Response:
    return web.Response(text=render_report(build_report(request)), content_type="text/html")


def add_routes(admin: web.Application) -> None:
    router = admin.router
    router.add_get("/requests", list_requests)
    router.add_delete("/requests", clear_requests)
    router.add_post("/requests/count", count_requests)
    router.add_get("/requests/unmatched", unmatched_requests)
    router.add_get("/requests/{id:(?!count$|unmatched$)[^/]+}", get_request)  # a 405 on /count lists POST only
    router.add_get("/report", report)
    router.add_get("/report.html", report_html)
