"""/v1/transactional/govsg: send a configured WhatsApp template {recipient, template_id, language_code,
params}; get, list. A recipient the provider refuses is stored as INVALID_RECIPIENT and answered 400."""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any

from aiohttp import web

from simulator.core.models import ErrorInfo, Plan, Step
from simulator.faces.common import wamid
from simulator.faces.v1 import errors
from simulator.faces.v1.config import LANGUAGES, GovsgTemplate
from simulator.faces.v1.face import V1Face, accepted_first
from simulator.faces.v1.forms import read_body
from simulator.faces.v1.lists import parse_list_query, select
from simulator.faces.v1.serialise import govsg_view

CHANNEL = "whatsapp"
STATUSES = ("UNSENT", "ACCEPTED", "SENT", "DELIVERED", "READ", "ERROR", "INVALID_RECIPIENT")
MAX_LIMIT = 1000
MISSING = "GovSG message with ID {id} not found."
MAX_SAFE_INTEGER = 2 ** 53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER
FIELDS = ("recipient", "template_id", "language_code", "params")
SG_MOBILE = re.compile(r"^(?:\+?65)?([89]\d{7})$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_NOISE = re.compile(r"[\s\-().]")
INVALID_RECIPIENT = ErrorInfo(code="400", description="invalid_recipient")


def normalise_phone(recipient: str) -> str | None:
    """E.164 with '+'; a bare number is read as Singaporean, as the real service's default country."""
    text = _NOISE.sub("", recipient)
    sg = SG_MOBILE.match(text)
    if sg:
        return "+65" + sg.group(1)
    return text if E164.match(text) else None


def _template_id(fields: dict[str, Any]) -> int | float:
    if "template_id" not in fields:
        raise errors.validation('"template_id" is required')
    value = fields["template_id"]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.strip()) if value.strip() else value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.validation('"template_id" must be a number')
    if abs(value) > MAX_SAFE_INTEGER:  # Joi refuses numbers JavaScript cannot hold exactly
        raise errors.validation('"template_id" must be a safe number')
    return int(value) if float(value).is_integer() else value


def _fields(fields: dict[str, Any]) -> tuple[str, int | float, str, dict[str, str]]:
    """Joi's checks in schema order, first error only."""
    recipient = fields.get("recipient")
    if "recipient" not in fields:
        raise errors.validation('"recipient" is required')
    if not isinstance(recipient, str):
        raise errors.validation('"recipient" must be a string')
    if recipient == "":
        raise errors.validation('"recipient" is not allowed to be empty')
    template_id = _template_id(fields)
    language = fields.get("language_code", "en_GB")
    if language not in LANGUAGES:
        raise errors.validation(f'"language_code" must be one of [{", ".join(LANGUAGES)}]')
    params = fields.get("params", {})
    if not isinstance(params, dict):
        raise errors.validation('"params" must be of type object')
    for key, value in params.items():
        if not isinstance(value, str):
            raise errors.validation(f'"params.{key}" must be a string')
    for name in fields:
        if name not in FIELDS:
            raise errors.validation(f'"{name}" is not allowed')
    return recipient, template_id, language, params


def _check_params(template: GovsgTemplate, params: dict[str, str]) -> None:
    if not template.params and not params:
        return
    if not params:
        raise errors.validation(f"No params provided; params needed for template {template.id}")
    if not template.params:
        raise errors.validation(f"Template {template.id} does not accept any params")
    missing = [p for p in template.params if not params.get(p)]
    if missing:
        raise errors.validation(f"Missing values for params {', '.join(missing)}")


async def send(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    recipient, template_id, language, params = _fields(await read_body(request))
    template = face.config.templates.get(template_id) if isinstance(template_id, int) else None
    if template is None and not face.open_mode:
        raise errors.not_found(f"Template with ID {template_id} not found")
    if template is not None and language not in template.languages and language != "en_GB":
        raise errors.validation(f"Language Code {language} not available on the template")
    phone = normalise_phone(recipient)
    if phone is None:
        code = face.config.govsg_invalid_number_code  # api_validation (source) or invalid_recipient (seed 000)
        raise errors.V1Error(400, code, f"recipient {recipient} is not a valid phone number")
    if template is not None:
        _check_params(template, params)
    payload: dict[str, Any] = {"template_id": template_id, "params": params, "language_code": language,
                               "wamid": wamid(face.engine.ids, phone)}
    plan = face.plan(CHANNEL, tenant, phone, str(template_id))
    if plan.steps and plan.steps[0].status == "INVALID_RECIPIENT":
        error = plan.steps[0].error or INVALID_RECIPIENT
        refused = Plan(rule=plan.rule, steps=(Step(0.0, "INVALID_RECIPIENT", error),))
        payload["notify"] = False  # nothing was sent to WhatsApp, so no provider would push a status for it
        face.store(CHANNEL, tenant, phone, payload, str(template_id), refused)
        raise errors.V1Error(400, "invalid_recipient", f"Recipient is not a valid WhatsApp user. Recipient: {phone}")
    message = face.store(CHANNEL, tenant, phone, payload, str(template_id), accepted_first(plan))
    return web.json_response(govsg_view(message), status=201)


async def get_one(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    return web.json_response(govsg_view(face.find(request, CHANNEL, tenant, "messageId", MISSING)))


async def list_all(face: V1Face, request: web.Request, tenant: str) -> web.Response:
    query = parse_list_query(request.query, STATUSES, MAX_LIMIT)
    has_more, page = select(face.messages(CHANNEL, tenant), query)
    return web.json_response({"has_more": has_more, "data": [govsg_view(m) for m in page]})
