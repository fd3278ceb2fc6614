"""/v1/transactional/email: send (JSON, urlencoded or multipart with attachments), get, list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.core.models import Plan
from simulator.faces.base import route
from simulator.faces.jsonio import json_response
from simulator.faces.v1 import errors
from simulator.faces.v1.config import DEFAULT_ADDRESSES
from simulator.faces.v1.forms import Attachment, read_send_form
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.routes import V1Routes, accepted_first
from simulator.faces.v1.serialise import email_view
from simulator.faces.v1.validation import EmailRequest, empty_after_sanitising, parse_email

CHANNEL = "email"
MAX_LIMIT = 1000
MISSING = "Email message with ID {id} not found."
REFUSED = Plan(rule="refused at send", steps=())


class EmailRoutes(V1Routes):
    """The email channel's three endpoints."""

    @route("POST", "/transactional/email/send")
    async def send_email(self, request: web.Request, tenant: str) -> web.Response:
        config = self.config
        form = await read_send_form(request, config.attachment_max_bytes, config.attachments_max_bytes)
        req = parse_email(form.fields, config.body_max_bytes)
        payload = self._email_payload(req, form.attachments)
        problem = self._from_problem(req.from_address)
        if problem is not None:
            code = "Invalid from address" if problem == errors.BAD_FROM else "From Address has not been verified"
            raise self._refuse(tenant, req, payload, code, errors.V1Error(400, "invalid_from_address", problem))
        if form.attachments and (req.from_address is None or req.from_address in DEFAULT_ADDRESSES):
            raise errors.V1Error(403, "unauthorized", errors.ATTACHMENT_DEFAULT_FROM)
        if any(a.filename.rsplit(".", 1)[-1].lower() not in config.attachment_extensions or "." not in a.filename
               for a in form.attachments):
            raise self._refuse(tenant, req, payload, "Error 400: Unsupported file type",
                               errors.V1Error(400, "invalid_template", errors.ATTACHMENT_TYPE))
        if empty_after_sanitising(req.subject) or empty_after_sanitising(req.body):
            raise self._refuse(tenant, req, payload, "Error 400: Email subject and/or body empty after removing "
                               "invalid HTML tags",
                               errors.V1Error(400, "invalid_template", errors.EMPTY_AFTER_SANITISING))
        if req.recipient in config.blacklist:
            raise self._refuse(tenant, req, payload, "Error 400: Blacklisted recipient",
                               errors.V1Error(400, "invalid_template", errors.BLACKLISTED))
        plan = accepted_first(self.plan(CHANNEL, tenant, req.recipient, req.body))
        if req.disable_tracking:
            plan = Plan(rule=plan.rule, steps=tuple(s for s in plan.steps if s.status != "OPENED"))
        message = self.store(CHANNEL, tenant, req.recipient, payload, req.body, plan)
        return json_response(email_view(message, error_fields=self.config.email_error_fields), status=201)

    @route("GET", "/transactional/email", limited=False)
    async def list_email(self, request: web.Request, tenant: str) -> web.Response:
        query = parse_list_query(request.query, self.statuses(CHANNEL), MAX_LIMIT, email=True)
        has_more, page = select(self.messages(CHANNEL, tenant), query, lambda m: m.payload["tag"])
        return json_response({"has_more": has_more,
                                  "data": [email_view(m, query.exclude_params, self.config.email_error_fields)
                                           for m in page]})

    @route("GET", "/transactional/email/{emailId}", limited=False)
    async def get_email(self, request: web.Request, tenant: str) -> web.Response:
        message = self.find(request, CHANNEL, tenant, "emailId", MISSING)
        return json_response(email_view(message, error_fields=self.config.email_error_fields))

    def _from_problem(self, address: str | None) -> str | None:
        """None when the from-address may be used, else the invalid_from_address message."""
        if address is None or address in DEFAULT_ADDRESSES or address in self.config.verified_from:
            return None
        if address in self.config.unverified_from:
            return errors.UNVERIFIED_FROM
        return errors.BAD_FROM

    def _email_payload(self, req: EmailRequest, attachments: list[Attachment]) -> dict[str, Any]:
        blacklist = self.config.blacklist
        sender = req.from_ if req.from_ is not None else self.config.default_from
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

    def _refuse(self, tenant: str, req: EmailRequest, payload: dict[str, Any], error_code: str,
                error: errors.V1Error) -> errors.V1Error:
        """The real service saves the row (UNSENT, with an error_code) before refusing; so do we."""
        payload["error_code"] = error_code
        self.store(CHANNEL, tenant, req.recipient, payload, req.body, REFUSED)
        return error
