"""/v1/transactional/sms: send {body, recipient, label} through a named Twilio credential; get, list."""

from __future__ import annotations

import re

from aiohttp import web

from simulator.faces.v1 import errors
from simulator.faces.v1.face import V1Face, accepted_first
from simulator.faces.v1.forms import read_body
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.serialise import sms_view

CHANNEL = "sms"
STATUSES = ("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "ERROR")
MAX_LIMIT = 100
MISSING = "Sms message with ID {id} not found."
PHONE = re.compile(r"^\+?\d{8,15}$")
_NOISE = re.compile(r"[\s\-().]")
FIELDS = ("body", "recipient", "label")


def _required_string(fields: dict[str, object], name: str) -> str:
    if name not in fields:
        raise errors.validation(f'"{name}" is required')
    value = fields[name]
    if not isinstance(value, str):
        raise errors.validation(f'"{name}" must be a string')
    value = value.strip() if name == "recipient" else value
    if value == "":
        raise errors.validation(f'"{name}" is not allowed to be empty')
    return value


async def send(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    fields = await read_body(request)
    body, recipient, label = (_required_string(fields, name) for name in FIELDS)
    for name in fields:
        if name not in FIELDS:
            raise errors.validation(f'"{name}" is not allowed')
    config = face.config
    if label in config.sms_broken_credentials:
        raise errors.V1Error(400, "invalid_credentials", errors.BAD_TWILIO)
    if not face.open_mode and label not in config.sms_credentials:
        raise errors.V1Error(400, "invalid_credentials", errors.UNKNOWN_CREDENTIAL)
    if PHONE.match(_NOISE.sub("", recipient)) is None:
        raise errors.V1Error(400, "invalid_recipient", f"Phone number {recipient} is invalid")
    plan = face.plan(CHANNEL, tenant, recipient, body)
    if config.sms_status_on_send == "ACCEPTED":
        plan = accepted_first(plan)
    sid = "SM" + face.engine.ids.faker.random.getrandbits(128).to_bytes(16, "big").hex()
    payload = {"body": body, "label": label, "message_id": sid}
    message = face.store(CHANNEL, tenant, recipient, payload, body, plan)
    return web.json_response(sms_view(message), status=201)


async def get_one(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    return web.json_response(sms_view(face.find(request, CHANNEL, tenant, "smsId", MISSING)))


async def list_all(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    query = parse_list_query(request.query, STATUSES, MAX_LIMIT)
    has_more, page = select(face.messages(CHANNEL, tenant), query)
    return web.json_response({"has_more": has_more, "data": [sms_view(m) for m in page]})
