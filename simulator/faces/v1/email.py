"""/v1/transactional/email: send (JSON, urlencoded or multipart with attachments), get, list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.core.models import Plan
from simulator.faces.v1 import errors
from simulator.faces.v1.config import DEFAULT_ADDRESSES
from simulator.faces.v1.email_fields import EmailRequest, empty_after_sanitising, parse_email
from simulator.faces.v1.face import V1Face, accepted_first
from simulator.faces.v1.forms import Attachment, read_send_form
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.serialise import email_view

CHANNEL = "email"
STATUSES = ("UNSENT", "ACCEPTED", "SENT", "BOUNCED", "DELIVERED", "OPENED", "COMPLAINT")
MAX_LIMIT = 1000
MISSING = "Email message with ID {id} not found."
REFUSED = Plan(rule="refused at send", steps=())


def _from_problem(face: V1Face, address: str | None) -> str | None:
    """None when the from-address may be used, else the invalid_from_address message."""
    if address is None or address in DEFAULT_ADDRESSES or address in face.config.verified_from:
        return None
    if address in face.config.unverified_from:
        return errors.UNVERIFIED_FROM
    return errors.BAD_FROM


def _payload(face: V1Face, req: EmailRequest, attachments: list[Attachment]) -> dict[str, Any]:
    blacklist = face.config.blacklist
    sender = req.from_ if req.from_ is not None else face.config.default_from
    return {
        "from": sender,
        "params": {"subject": req.subject, "body": req.body, "from": sender, "reply_to": req.reply_to},
        "attachments_metadata": [{"fileName": a.filename, "fileSize": a.size, "hash": a.hash}
                                 for a in attachments] or None,
        "classification": req.classification,
        "tag": req.tag,
        "cc": [a for a in req.cc if a not in blacklist],
        "bcc": [a for a in req.bcc if a not in blacklist],
        "disable_tracking": req.disable_tracking,
    }


def _refuse(face: V1Face, tenant: str, req: EmailRequest, payload: dict[str, Any], error_code: str,
            error: errors.V1Error) -> errors.V1Error:
    """The real service saves the row (UNSENT, with an error_code) before refusing; so do we."""
    payload["error_code"] = error_code
    face.store(CHANNEL, tenant, req.recipient, payload, req.body, REFUSED)
    return error


async def send(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    config = face.config
    form = await read_send_form(request, config.attachment_max_bytes, config.attachments_max_bytes)
    req = parse_email(form.fields, config.body_max_bytes)
    payload = _payload(face, req, form.attachments)
    problem = _from_problem(face, req.from_address)
    if problem is not None:
        code = "Invalid from address" if problem == errors.BAD_FROM else "From Address has not been verified"
        raise _refuse(face, tenant, req, payload, code, errors.V1Error(400, "invalid_from_address", problem))
    if form.attachments and (req.from_address is None or req.from_address in DEFAULT_ADDRESSES):
        raise errors.V1Error(403, "unauthorized", errors.ATTACHMENT_DEFAULT_FROM)
    if any(a.filename.rsplit(".", 1)[-1].lower() not in config.attachment_extensions or "." not in a.filename
           for a in form.attachments):
        raise _refuse(face, tenant, req, payload, "Error 400: Unsupported file type",
                      errors.V1Error(400, "invalid_template", errors.ATTACHMENT_TYPE))
    if empty_after_sanitising(req.subject) or empty_after_sanitising(req.body):
        raise _refuse(face, tenant, req, payload, "Error 400: Email subject and/or body empty after removing "
                      "invalid HTML tags", errors.V1Error(400, "invalid_template", errors.EMPTY_AFTER_SANITISING))
    if req.recipient in config.blacklist:
        raise _refuse(face, tenant, req, payload, "Error 400: Blacklisted recipient",
                      errors.V1Error(400, "invalid_template", errors.BLACKLISTED))
    plan = accepted_first(face.plan(CHANNEL, tenant, req.recipient, req.body))
    if req.disable_tracking:
        plan = Plan(rule=plan.rule, steps=tuple(s for s in plan.steps if s.status != "OPENED"))
    message = face.store(CHANNEL, tenant, req.recipient, payload, req.body, plan)
    return web.json_response(email_view(message, error_fields=config.email_error_fields), status=201)


async def get_one(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    message = face.find(request, CHANNEL, tenant, "emailId", MISSING)
    return web.json_response(email_view(message, error_fields=face.config.email_error_fields))


async def list_all(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    query = parse_list_query(request.query, STATUSES, MAX_LIMIT, email=True)
    has_more, page = select(face.messages(CHANNEL, tenant), query, lambda m: m.payload["tag"])
    return web.json_response({"has_more": has_more,
                              "data": [email_view(m, query.exclude_params, face.config.email_error_fields)
                                       for m in page]})
