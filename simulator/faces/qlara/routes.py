"""QlaraRuntime: the guard's hooks and what every Qlara endpoint shares (body reading, lookups, reset,
inbound messages); QlaraRoutes: the send, status and catalog endpoints as @route methods. Mounted at /api:
sends under /message-server, the rest under /partner-gateway/v1."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.core.models import Facts, Message, Plan
from simulator.core.ratelimit import Verdict
from simulator.core.trace import note_read
from simulator.faces.base import Caller, FaceApp, FaceError, route
from simulator.faces.common import BadBody, read_json_object, wamid
from simulator.faces.jsonio import json_response
from simulator.faces.qlara import errors, plans, sms_text, validation
from simulator.faces.qlara.config import TEMPLATE_STATUSES, QlaraConfig, Template
from simulator.faces.qlara.errors import bad_request, not_found
from simulator.faces.qlara.plans import FACE, FLOWS
from simulator.faces.qlara.serialise import send_view, status_view
from simulator.faces.qlara.state import Company, Inbound, QlaraState

SEND = "/message-server"
GATEWAY = "/partner-gateway/v1"


class QlaraRuntime(FaceApp[Company, QlaraConfig]):
    """A company (from its API key or Basic user) is the tenant; every call counts against the key's limits,
    and every answer, 4xx included, carries X-RateLimit-*."""

    rate_headers_on_errors = True
    log = logging.getLogger("postman_sim.qlara")

    def __init__(self, engine: Engine, config: QlaraConfig, open_mode: bool) -> None:
        super().__init__(engine, config, open_mode)
        self.state = QlaraState.create(config, open_mode)

    def reset(self, tenant: str | None) -> None:
        self.state.forget(tenant)

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: Mapping[str, Any]) -> None:
        self.state.import_state(data)

    def messages_evicted(self, messages: Sequence[Message]) -> None:
        customer_ids = self.state.customer_ids
        for message in messages:
            if message.face == FACE:
                customer_id = message.payload.get("customerMessageId")
                if customer_id is not None:
                    customer_ids.drop(message.tenant, message.channel, str(customer_id), message)

    def message_restored(self, message: Message) -> None:
        customer_id = message.payload.get("customerMessageId")
        if customer_id is not None:
            self.state.customer_ids.add(message.tenant, message.channel, str(customer_id), message)

    # -- the guard's hooks ----------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Caller[Company] | None:
        cred = validation.credential(request)
        company = self.state.companies.resolve(cred)
        if cred is None or company is None:
            return None
        return Caller(company, company.id, cred.limiter_key, company.limits)

    def unauthorized(self) -> FaceError:
        return errors.QlaraError(401, errors.UNAUTHORIZED)

    def too_many(self, verdict: Verdict) -> FaceError:
        return errors.QlaraRateLimited(verdict.retry_after)

    def error_response(self, request: web.Request, error: FaceError) -> web.Response:
        if isinstance(error, errors.QlaraRateLimited):
            return json_response(errors.rate_limited_body(error.retry_after), status=429)
        body = errors.error_body(error.status, error.message, request.path, self.engine.clock.now())
        return json_response(body, status=error.status)

    def http_error(self, exc: web.HTTPException) -> FaceError:
        return errors.http_error(exc)

    def internal_error(self) -> FaceError:
        return errors.QlaraError(500, "Internal server error")

    def fault_error(self, status: int, code: str | None = None, message: str | None = None,
                    retry_after: int = 1) -> FaceError:
        return errors.fault(status, message, retry_after, code)

    def rate_headers(self, verdict: Verdict | None) -> dict[str, str]:
        """X-RateLimit-Limit/Remaining/Reset for the tightest window (Reset: seconds until it restarts)."""
        if verdict is None:
            return {}
        return {"X-RateLimit-Limit": str(verdict.limit.count), "X-RateLimit-Remaining": str(verdict.remaining),
                "X-RateLimit-Reset": str(max(1, math.ceil(verdict.reset_in)))}

    def simulated_windows(self) -> bool:
        return self.config.rate_limit_clock == "simulated"

    def max_body(self) -> int:
        return self.config.max_body_bytes + 1024

    # -- shared by the endpoints ----------------------------------------------------------------

    async def json_body(self, request: web.Request) -> dict[str, Any]:
        try:
            return await read_json_object(request, self.config.max_body_bytes)
        except BadBody as exc:
            if str(exc) == "too large":
                raise errors.QlaraError(413, f"Request body exceeds {self.config.max_body_bytes} bytes") from exc
            if str(exc) == "lone surrogate":
                raise bad_request("Request body has a string with an unpaired UTF-16 surrogate") from exc
            raise bad_request("Request body must be a JSON object") from exc

    def lookup(self, company: Company, channel: str, customer_id: str) -> Message | None:
        message = self.state.customer_ids.get(company.id, channel, customer_id)
        if message is not None:
            note_read(message.id)  # the request journal: this request read it
        return message

    def messages(self, company: Company) -> list[Message]:
        """The company's messages, oldest first."""
        return self.engine.store.tenant_messages(FACE, company.id)

    def record_inbound(self, company: Company, source: str, destination: str, text: str) -> Inbound:
        """A recipient wrote to the company: the 24-hour window opens (the caller pushes the INBOUND event)."""
        now = self.engine.clock.now()
        closes = self.state.windows.record(company.id, source, now)
        return Inbound(company.id, source, destination, text, now, closes)


class QlaraRoutes(QlaraRuntime):
    """Send, delivery status, history and the WhatsApp catalog."""

    @route("POST", f"{SEND}/whatsapp/send")
    async def whatsapp_send(self, request: web.Request, company: Company) -> web.Response:
        body = await self.json_body(request)
        destination = validation.destination(body)
        number_id = validation.phone_number_id(body)
        number = company.catalog.phone_number(number_id)
        if number is None:
            raise bad_request(f"phoneNumberId {number_id} is not one of this account's WhatsApp numbers")
        has_template, has_body = body.get("template") is not None, body.get("body") is not None
        if has_template and has_body:
            raise bad_request("template and body are mutually exclusive: send one of them")
        if not has_template and not has_body:
            raise bad_request("Either template or body is required")
        campaign_id = validation.optional_text(body, "campaignId")
        client_id = validation.message_id(body)
        simulation = validation.optional_bool(body, "simulation", False)
        template: Template | None = None
        free_form: dict[str, Any] | None = None
        parameters: list[str] = []
        if has_template:
            template, parameters = validation.template(body, company, number_id)
            content = template.render(parameters)
        else:
            free_form, content = validation.free_form(body["body"])
        engine = self.engine
        platform_id = engine.ids.uuid()
        customer_id = client_id or platform_id
        if simulation:
            return json_response(send_view(customer_id, True, "whatsapp", {"accepted": True, "reasons": []}))
        whatsapp_id = wamid(engine.ids, destination)
        window_open = self.state.windows.is_open(company.id, destination, engine.clock.now())
        notify = validation.optional_bool(body, "enableNotification", True)
        payload = {
            "customerMessageId": customer_id, "wamid": whatsapp_id, "phoneNumberId": number_id,
            "sender": number.phone_number, "campaignId": campaign_id, "simulation": False, "notify": notify,
            "template": None if template is None else {"id": template.id, "name": template.name,
                                                       "language": template.language, "parameters": parameters},
            "body": free_form, "text": content,
        }
        message = engine.accept(face=FACE, channel="whatsapp", tenant=company.id, recipient=destination,
                                payload=payload, content=content, message_id=platform_id,
                                plan=self._whatsapp_plan(company, destination, template, content, window_open),
                                facts=Facts(customer_message_id=customer_id, wamid=whatsapp_id, notify=notify,
                                            user_initiated=window_open))
        self.state.customer_ids.add(company.id, "whatsapp", customer_id, message)
        return json_response(send_view(customer_id, False, "whatsapp", {"accepted": True, "reasons": []}))

    def _whatsapp_plan(self, company: Company, destination: str, template: Template | None, content: str,
                       window_open: bool) -> Plan:
        """The face's own rules first (closed window, restricted account, unapproved template), then scenarios."""
        planner, names = self.engine.planner, self.config.timelines
        if template is None and not window_open:
            return plans.named(planner, "window_closed", names.window_closed)
        if company.restricted:
            return plans.named(planner, "account_restricted", names.account_restricted)
        if template is not None and template.status != "APPROVED":
            return plans.named(planner, "template_rejected", names.template_rejected)
        return self.engine.plan(FACE, "whatsapp", company.id, destination, content)

    @route("POST", f"{SEND}/sms/send")
    async def sms_send(self, request: web.Request, company: Company) -> web.Response:
        body = await self.json_body(request)
        destination = validation.destination(body)
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender:
            raise bad_request("sender is required")
        if not validation.SENDER.match(sender):
            raise bad_request("sender must be alphanumeric (at most 11 characters) or numeric (at most 16 digits)")
        text = body.get("body")
        if not isinstance(text, str) or not text:
            raise bad_request("body is required")
        text = validation.placeholders(body, text)
        unicode, parts = sms_text.is_unicode(text), sms_text.parts(text)
        if parts > sms_text.MAX_PARTS:
            raise bad_request(f"body is too long: it needs {parts} parts, at most {sms_text.MAX_PARTS} are allowed")
        campaign_id = validation.optional_text(body, "campaignId")
        client_id = validation.message_id(body)
        udh = body.get("udhData")
        if udh is not None and (not isinstance(udh, str) or not validation.UDH.match(udh)):
            raise bad_request("udhData must be a hexadecimal string")
        simulation = validation.optional_bool(body, "simulation", False)
        notify = validation.optional_bool(body, "enableNotification", True)
        validation.optional_bool(body, "skipRcsOverride", False)
        scheduled = validation.scheduled(body)
        engine = self.engine
        platform_id = engine.ids.uuid()
        customer_id = client_id or platform_id
        result = {"accepted": True, "unicode": unicode, "parts": parts, "reasons": []}
        if simulation:
            return json_response(send_view(customer_id, True, "sms", result))
        payload = {"customerMessageId": customer_id, "sender": sender, "campaignId": campaign_id,
                   "simulation": False, "notify": notify, "text": text, "unicode": unicode, "parts": parts,
                   "udhData": udh, "scheduledDate": body.get("scheduledDate")}
        plan = engine.plan(FACE, "sms", company.id, destination, text)
        if scheduled is not None:
            plan = plans.delayed(plan, scheduled - engine.clock.now())
        message = engine.accept(face=FACE, channel="sms", tenant=company.id, recipient=destination,
                                payload=payload, content=text, message_id=platform_id, plan=plan,
                                facts=Facts(customer_message_id=customer_id, notify=notify))
        self.state.customer_ids.add(company.id, "sms", customer_id, message)
        return json_response(send_view(customer_id, False, "sms", result))

    @route("GET", f"{SEND}/whatsapp/phone-numbers")
    async def phone_numbers(self, request: web.Request, company: Company) -> web.Response:
        page, limit = validation.paging(request, 10)
        return _page([n.view() for n in company.catalog.phone_numbers], page, limit)

    @route("GET", f"{SEND}/whatsapp/templates")
    async def templates(self, request: web.Request, company: Company) -> web.Response:
        page, limit = validation.paging(request, 10)
        status = request.query.get("status") or None
        if status is not None and status not in TEMPLATE_STATUSES:
            raise bad_request(f"Invalid value '{status}' for parameter 'status': expected one of "
                              f"{', '.join(TEMPLATE_STATUSES)}")
        raw_number = request.query.get("phoneNumberId") or None
        number: int | None = None
        if raw_number is not None:
            try:
                number = int(raw_number)
            except ValueError as exc:
                raise bad_request(f"Parameter 'phoneNumberId' must be an integer, not '{raw_number}'") from exc
        chosen = [t.view() for t in company.catalog.templates
                  if (status is None or t.status == status)
                  and (number is None or t.phone_number_id in (None, number))]
        return _page(chosen, page, limit)

    @route("GET", f"{GATEWAY}/messages/status")
    async def batch_status(self, request: web.Request, company: Company) -> web.Response:
        channel = validation.channel_of(request)
        raw = request.query.getall("ids", []) + request.query.getall("customerMessageIds", [])
        if not raw:
            validation.missing("ids", "List")
        wanted: list[str] = []
        for chunk in raw:
            for item in chunk.split(","):
                item = item.strip()
                if item and item not in wanted:
                    wanted.append(item)
        found = [m for m in (self.lookup(company, channel, i) for i in wanted) if m is not None]
        return json_response([status_view(m) for m in found])

    @route("GET", f"{GATEWAY}/messages/status/{{customerMessageId}}")
    async def single_status(self, request: web.Request, company: Company) -> web.Response:
        channel = validation.channel_of(request)
        customer_id = request.match_info["customerMessageId"]
        message = self.lookup(company, channel, customer_id)
        if message is None:
            raise not_found(f"Message {customer_id} not found for channel {request.query['channel']}")
        return json_response(status_view(message))

    @route("GET", f"{GATEWAY}/messages/history")
    async def history(self, request: web.Request, company: Company) -> web.Response:
        """A bare array, newest first; page is 0-based; the last page is the one shorter than limit."""
        channel = validation.channel_of(request)
        start, end = validation.instant(request, "from"), validation.instant(request, "to")
        status = request.query.get("status") or None
        if status is not None:
            # One status enum for every channel (as the gateway's own): READ on SMS is valid and finds nothing
            known = sorted(set().union(*(f.statuses for f in FLOWS.values())))
            if status not in known:
                raise bad_request(f"Invalid value '{status}' for parameter 'status': expected one of "
                                  f"{', '.join(known)}")
        page = validation.query_int(request.query, "page", 0, 0, 10_000_000)
        limit = validation.query_int(request.query, "limit", self.config.history_default_limit, 1,
                                     self.config.history_max_limit)
        matched = [m for m in self.messages(company)
                   if m.channel == channel and start <= m.created_at <= end and (status is None or m.status == status)]
        matched.sort(key=lambda m: (m.created_at, m.seq), reverse=True)  # same-millisecond sends keep send order
        return json_response([status_view(m) for m in matched[page * limit:(page + 1) * limit]])


def _page(items: list[dict[str, Any]], page: int, limit: int) -> web.Response:
    return json_response({"data": items[page * limit:(page + 1) * limit]})
