"""/v1/transactional/sms: send {body, recipient, label} through a named Twilio credential; get, list."""

from __future__ import annotations

from aiohttp import web

from simulator.faces.base import route
from simulator.faces.jsonio import json_response
from simulator.faces.v1 import errors
from simulator.faces.v1.forms import read_body
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.routes import V1Routes, accepted_first
from simulator.faces.v1.serialise import sms_view
from simulator.faces.v1.validation import parse_sms, sms_phone_ok

CHANNEL = "sms"
MAX_LIMIT = 100
MISSING = "Sms message with ID {id} not found."


class SmsRoutes(V1Routes):
    """The SMS channel's three endpoints."""

    @route("POST", "/transactional/sms/send")
    async def send_sms(self, request: web.Request, tenant: str) -> web.Response:
        body, recipient, label = parse_sms(await read_body(request))
        config = self.config
        if label in config.sms_broken_credentials:
            raise errors.V1Error(400, "invalid_credentials", errors.BAD_TWILIO)
        if not self.open_mode and label not in config.sms_credentials:
            raise errors.V1Error(400, "invalid_credentials", errors.UNKNOWN_CREDENTIAL)
        if not sms_phone_ok(recipient):
            raise errors.V1Error(400, "invalid_recipient", f"Phone number {recipient} is invalid")
        plan = self.plan(CHANNEL, tenant, recipient, body)
        if config.sms_status_on_send == "ACCEPTED":
            plan = accepted_first(plan)
        sid = "SM" + self.engine.ids.faker.random.getrandbits(128).to_bytes(16, "big").hex()
        payload = {"body": body, "label": label, "message_id": sid}
        message = self.store(CHANNEL, tenant, recipient, payload, body, plan)
        return json_response(sms_view(message), status=201)

    @route("GET", "/transactional/sms", limited=False)
    async def list_sms(self, request: web.Request, tenant: str) -> web.Response:
        query = parse_list_query(request.query, self.statuses(CHANNEL), MAX_LIMIT)
        has_more, page = select(self.messages(CHANNEL, tenant), query)
        return json_response({"has_more": has_more, "data": [sms_view(m) for m in page]})

    @route("GET", "/transactional/sms/{smsId}", limited=False)
    async def get_sms(self, request: web.Request, tenant: str) -> web.Response:
        return json_response(sms_view(self.find(request, CHANNEL, tenant, "smsId", MISSING)))
