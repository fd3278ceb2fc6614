"""POST /message-server/whatsapp/send and /message-server/sms/send."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from simulator.core.models import Plan
from simulator.faces.common import wamid
from simulator.faces.qlara import fields, plans, sms_text
from simulator.faces.qlara.auth import Company
from simulator.faces.qlara.config import Template
from simulator.faces.qlara.errors import bad_request
from simulator.faces.qlara.face import QlaraFace
from simulator.faces.qlara.serialise import send_view

SENDER = re.compile(r"^(?:[A-Za-z0-9 .\-_&]{1,11}|\+?\d{1,16})$")
UDH = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
SMS_PLACEHOLDER = re.compile(r"{(\w+)}")
SCHEDULED_FORMAT = "%Y-%m-%d %H:%M:%S.%f%z"
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker", "location")
MAX_WHATSAPP_TEXT = 4096


def _phone_number_id(body: dict[str, Any]) -> int:
    value = body.get("phoneNumberId")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("phoneNumberId is required and must be an integer (see GET /whatsapp/phone-numbers)")
    return value


def _template(body: dict[str, Any], company: Company, phone_number_id: int) -> tuple[Template, list[str]]:
    raw = body["template"]
    if not isinstance(raw, dict):
        raise bad_request("template must be an object with id (or name and language) and parameters")
    usable = [t for t in company.catalog.templates if t.phone_number_id in (None, phone_number_id)]
    template_id = raw.get("id")
    if template_id is not None:
        if isinstance(template_id, bool) or not isinstance(template_id, int):
            raise bad_request("template.id must be an integer")
        found = next((t for t in usable if t.id == template_id), None)
    else:
        name, language = raw.get("name"), raw.get("language")
        if not isinstance(name, str) or not name:
            raise bad_request("template needs an id, or a name (and optionally a language)")
        if language is not None and not isinstance(language, str):
            raise bad_request("template.language must be a string")
        found = next((t for t in usable if t.name == name and language in (None, t.language)), None)
    if found is None:
        raise bad_request("Template not found for this phoneNumberId")
    parameters = raw.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise bad_request("template.parameters must be a list of strings")
    values: list[str] = parameters
    if len(values) < found.parameter_count:
        raise bad_request(f"Template {found.name} needs {found.parameter_count} parameter(s), got {len(values)}")
    return found, values


def _free_form(raw: Any) -> tuple[dict[str, Any], str]:
    """The free-form body (a string, or an object with a type) and its text for matching."""
    if isinstance(raw, str):
        raw = {"type": "text", "text": raw}
    if not isinstance(raw, dict):
        raise bad_request('body must be a string or an object such as {"type": "text", "text": "..."}')
    kind = raw.get("type", "text")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("body.text is required for a text message")
        if len(text) > MAX_WHATSAPP_TEXT:
            raise bad_request(f"body.text must be at most {MAX_WHATSAPP_TEXT} characters")
        return dict(raw, type="text"), text
    if kind not in MEDIA_TYPES:
        raise bad_request(f"body.type must be one of {['text', *MEDIA_TYPES]}")
    caption = raw.get("caption")
    return dict(raw), caption if isinstance(caption, str) else ""


async def whatsapp_send(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    body = await face.json_body(request)
    destination = fields.destination(body)
    number_id = _phone_number_id(body)
    number = company.catalog.phone_number(number_id)
    if number is None:
        raise bad_request(f"phoneNumberId {number_id} is not one of this account's WhatsApp numbers")
    has_template, has_body = body.get("template") is not None, body.get("body") is not None
    if has_template and has_body:
        raise bad_request("template and body are mutually exclusive: send one of them")
    if not has_template and not has_body:
        raise bad_request("Either template or body is required")
    campaign_id = fields.optional_text(body, "campaignId")
    client_id = fields.message_id(body)
    simulation = fields.optional_bool(body, "simulation", False)
    template: Template | None = None
    free_form: dict[str, Any] | None = None
    parameters: list[str] = []
    if has_template:
        template, parameters = _template(body, company, number_id)
        content = template.render(parameters)
    else:
        free_form, content = _free_form(body["body"])
    engine = face.engine
    platform_id = engine.ids.uuid()
    customer_id = client_id or platform_id
    if simulation:
        return web.json_response(send_view(customer_id, True, "whatsapp", {"accepted": True, "reasons": []}))
    payload = {
        "customerMessageId": customer_id, "wamid": wamid(face.engine.ids, destination), "phoneNumberId": number_id,
        "sender": number.phone_number, "campaignId": campaign_id, "simulation": False,
        "notify": fields.optional_bool(body, "enableNotification", True),  # the dispatcher reads "notify"
        "template": None if template is None else {"id": template.id, "name": template.name,
                                                   "language": template.language, "parameters": parameters},
        "body": free_form, "text": content,
    }
    message = engine.accept(face=plans.FACE, channel="whatsapp", tenant=company.id, recipient=destination,
                            payload=payload, content=content, message_id=platform_id,
                            plan=_whatsapp_plan(face, company, destination, template, content))
    face.customer_ids.add(company.id, "whatsapp", customer_id, message)
    return web.json_response(send_view(customer_id, False, "whatsapp", {"accepted": True, "reasons": []}))


def _whatsapp_plan(face: QlaraFace, company: Company, destination: str, template: Template | None,
                   content: str) -> Plan:
    scenarios, names = face.engine.scenarios, face.config.timelines
    if template is None and not face.windows.is_open(company.id, destination, face.engine.clock.now()):
        return plans.named(scenarios, "window_closed", names.window_closed)
    if company.restricted:
        return plans.named(scenarios, "account_restricted", names.account_restricted)
    if template is not None and template.status != "APPROVED":
        return plans.named(scenarios, "template_rejected", names.template_rejected)
    return face.engine.plan(plans.FACE, "whatsapp", company.id, destination, content)


def _placeholders(body: dict[str, Any], text: str) -> str:
    raw = body.get("placeholders")
    if raw is None:
        return text
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise bad_request('placeholders must be an object of strings, e.g. {"name": "Mario"}')
    return SMS_PLACEHOLDER.sub(lambda m: raw.get(m.group(1), m.group(0)), text)


def _scheduled(body: dict[str, Any]) -> float | None:
    raw = body.get("scheduledDate")
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return datetime.strptime(raw, SCHEDULED_FORMAT).timestamp()
    except ValueError as exc:
        raise bad_request("scheduledDate must look like 2025-10-01 09:00:00.000+0000") from exc


async def sms_send(face: QlaraFace, request: web.Request, company: Company) -> web.Response:
    body = await face.json_body(request)
    destination = fields.destination(body)
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender:
        raise bad_request("sender is required")
    if not SENDER.match(sender):
        raise bad_request("sender must be alphanumeric (at most 11 characters) or numeric (at most 16 digits)")
    text = body.get("body")
    if not isinstance(text, str) or not text:
        raise bad_request("body is required")
    text = _placeholders(body, text)
    unicode, parts = sms_text.is_unicode(text), sms_text.parts(text)
    if parts > sms_text.MAX_PARTS:
        raise bad_request(f"body is too long: it needs {parts} parts, at most {sms_text.MAX_PARTS} are allowed")
    campaign_id = fields.optional_text(body, "campaignId")
    client_id = fields.message_id(body)
    udh = body.get("udhData")
    if udh is not None and (not isinstance(udh, str) or not UDH.match(udh)):
        raise bad_request("udhData must be a hexadecimal string")
    simulation = fields.optional_bool(body, "simulation", False)
    notify = fields.optional_bool(body, "enableNotification", True)
    fields.optional_bool(body, "skipRcsOverride", False)
    scheduled = _scheduled(body)
    engine = face.engine
    platform_id = engine.ids.uuid()
    customer_id = client_id or platform_id
    result = {"accepted": True, "unicode": unicode, "parts": parts, "reasons": []}
    if simulation:
        return web.json_response(send_view(customer_id, True, "sms", result))
    payload = {"customerMessageId": customer_id, "sender": sender, "campaignId": campaign_id, "simulation": False,
               "notify": notify, "text": text, "unicode": unicode, "parts": parts, "udhData": udh,
               "scheduledDate": body.get("scheduledDate")}
    plan = engine.plan(plans.FACE, "sms", company.id, destination, text)
    if scheduled is not None:
        plan = plans.delayed(plan, scheduled - engine.clock.now())
    message = engine.accept(face=plans.FACE, channel="sms", tenant=company.id, recipient=destination,
                            payload=payload, content=text, message_id=platform_id, plan=plan)
    face.customer_ids.add(company.id, "sms", customer_id, message)
    return web.json_response(send_view(customer_id, False, "sms", result))
