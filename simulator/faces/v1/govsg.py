"""/v1/transactional/govsg: send a configured WhatsApp template {recipient, template_id, language_code,
params}; get, list. A recipient the provider refuses is stored as INVALID_RECIPIENT and answered 400."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.core.models import ErrorInfo, Plan, Step
from simulator.faces.base import route
from simulator.faces.common import wamid
from simulator.faces.jsonio import json_response
from simulator.faces.v1 import errors
from simulator.faces.v1.forms import read_body
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.routes import V1Routes, accepted_first
from simulator.faces.v1.serialise import govsg_view
from simulator.faces.v1.validation import check_params, normalise_phone, parse_govsg

CHANNEL = "whatsapp"
MAX_LIMIT = 1000
MISSING = "GovSG message with ID {id} not found."
INVALID_RECIPIENT = ErrorInfo(code="400", description="invalid_recipient")


class GovsgRoutes(V1Routes):
    """The GovSG WhatsApp channel's three endpoints."""

    @route("POST", "/transactional/govsg/send")
    async def send_govsg(self, request: web.Request, tenant: str) -> web.Response:
        recipient, template_id, language, params = parse_govsg(await read_body(request))
        template = self.config.templates.get(template_id) if isinstance(template_id, int) else None
        if template is None and not self.open_mode:
            raise errors.not_found(f"Template with ID {template_id} not found")
        if template is not None and language not in template.languages and language != "en_GB":
            raise errors.validation(f"Language Code {language} not available on the template")
        phone = normalise_phone(recipient)
        if phone is None:
            code = self.config.govsg_invalid_number_code  # api_validation (source) or invalid_recipient (seed 000)
            raise errors.V1Error(400, code, f"recipient {recipient} is not a valid phone number")
        if template is not None:
            check_params(template, params)
        whatsapp_id = wamid(self.engine.ids, phone)
        payload: dict[str, Any] = {"template_id": template_id, "params": params, "language_code": language,
                                   "wamid": whatsapp_id}  # shown in the /_sim journal
        plan = self.plan(CHANNEL, tenant, phone, str(template_id))
        if plan.steps and plan.steps[0].status == "INVALID_RECIPIENT":
            error = plan.steps[0].error or INVALID_RECIPIENT
            refused = Plan(rule=plan.rule, steps=(Step(0.0, "INVALID_RECIPIENT", error),))
            payload["notify"] = False  # nothing was sent to WhatsApp, so no provider would push a status for it
            self.store(CHANNEL, tenant, phone, payload, str(template_id), refused, wamid=whatsapp_id, notify=False)
            raise errors.V1Error(400, "invalid_recipient",
                                 f"Recipient is not a valid WhatsApp user. Recipient: {phone}")
        message = self.store(CHANNEL, tenant, phone, payload, str(template_id), accepted_first(plan),
                             wamid=whatsapp_id)
        return json_response(govsg_view(message), status=201)

    @route("GET", "/transactional/govsg", limited=False)
    async def list_govsg(self, request: web.Request, tenant: str) -> web.Response:
        query = parse_list_query(request.query, self.statuses(CHANNEL), MAX_LIMIT)
        has_more, page = select(self.messages(CHANNEL, tenant), query)
        return json_response({"has_more": has_more, "data": [govsg_view(m) for m in page]})

    @route("GET", "/transactional/govsg/{messageId}", limited=False)
    async def get_govsg(self, request: web.Request, tenant: str) -> web.Response:
        return json_response(govsg_view(self.find(request, CHANNEL, tenant, "messageId", MISSING)))
