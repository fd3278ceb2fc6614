"""V2App: the seven v2 endpoints (mounted at /api/v2), each an @route method behind the one guard."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from simulator.core.engine import Engine
from simulator.core.models import NO_FACTS, Message
from simulator.core.ratelimit import Limit, Verdict
from simulator.faces.base import Caller, FaceApp, FaceError, admin_route, route
from simulator.faces.common import BadBody, bearer_token, no_full_collections, read_json_object, yield_every
from simulator.faces.jsonio import json_response
from simulator.faces.v2 import errors
from simulator.faces.v2.batch import BatchInvalid, parse_batch
from simulator.faces.v2.config import Campaign, V2Config
from simulator.faces.v2.pagination import Key, decode_cursor, paginate
from simulator.faces.v2.payload import V2Payload
from simulator.faces.v2.serialise import batch_item_view, created_view, list_item_view, message_view
from simulator.faces.v2.state import RETRYABLE_BATCH, Batch, V2State
from simulator.faces.v2.validation import language_error, recipient_ok, values_ok

FACE = "v2"
CHANNEL = "sms"
MAX_ATTEMPTS = 3
RESOLVED = ("success", "failure")
BASE = "/campaigns/{campaignId}"


class V2App(FaceApp[Campaign, V2Config]):
    """The seven v2 endpoints over one engine; a campaign (from its key) is the tenant."""

    log = logging.getLogger("postman_sim.v2")

    def __init__(self, engine: Engine, config: V2Config, open_mode: bool) -> None:
        super().__init__(engine, config, open_mode)
        self.state = V2State(config=config, open_mode=open_mode)
        self.state.load(engine.ids, engine.clock.now())
        self.limits = (Limit(config.rate_limit, 1.0),) if config.rate_limit else ()
        self._callers: dict[str, Caller[Campaign]] = {}  # campaign id -> its Caller (built once, not per request)

    def reset(self, tenant: str | None) -> None:
        self._callers.clear()
        if tenant is None:
            self.state.load(self.engine.ids, self.engine.clock.now())
        else:
            self.state.forget_tenant(tenant)

    # -- snapshots ------------------------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: Mapping[str, Any]) -> None:
        self.state.import_state(data)

    def export_payload(self, payload: Mapping[str, Any]) -> Any:
        """The values and language: fullMessage is rendered again from the campaign (restored first)."""
        return {"values": payload["values"], "language": payload["language"]}

    def import_payload(self, data: Any, tenant: str) -> Mapping[str, Any]:
        campaign = self.state.campaigns.get(tenant)
        template = None if campaign is None else campaign.templates.get(str(data["language"]))
        if campaign is None or template is None:
            raise ValueError(f"a v2 message of campaign {tenant!r} names a template it does not have")
        return V2Payload({str(k): str(v) for k, v in data["values"].items()}, template, campaign)

    # -- the guard's hooks ----------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Caller[Campaign] | None:
        """The campaign the key may use (open mode binds a new key to its first campaign)."""
        campaign = self.state.authorise(bearer_token(request), request.match_info["campaignId"],
                                        self.engine.ids, self.engine.clock.now())
        if campaign is None:
            return None
        caller = self._callers.get(campaign.id)
        if caller is None or caller.tenant is not campaign:
            caller = self._callers[campaign.id] = Caller(campaign, campaign.id, f"v2:{campaign.id}", self.limits)
        return caller

    def unauthorized(self) -> FaceError:
        return errors.unauthorized()

    def too_many(self, verdict: Verdict) -> FaceError:
        return errors.too_many_requests()

    def error_response(self, request: web.Request, error: FaceError) -> web.Response:
        v2 = error if isinstance(error, errors.V2Error) else errors.V2Error(
            error.status, error.code or "http_error", error.message, "invalid_request_error")
        body = errors.error_body(v2, self.engine.ids.uuid(), self.config.unauthorized_body == "legacy")
        return json_response(body, status=error.status)

    def http_error(self, exc: web.HTTPException) -> FaceError:
        return errors.http_error(exc)

    def internal_error(self) -> FaceError:
        return errors.fault(500)

    def fault_error(self, status: int, code: str | None = None, message: str | None = None,
                    retry_after: int = 1) -> FaceError:
        return errors.fault(status, code, message)

    def simulated_windows(self) -> bool:
        return self.config.rate_limit_clock == "simulated"

    def max_body(self) -> int:
        return self.config.batch_max_bytes + 1024 * 1024

    def _message(self, campaign: Campaign, message_id: str) -> Message | None:
        message = self.engine.store.get(message_id)
        if message is None or message.face != FACE or message.tenant != campaign.id:
            return None
        return message

    def _batch_of(self, message: Message) -> Batch | None:
        return None if message.batch_id is None else self.state.batches.get(message.batch_id)

    def _accept(self, campaign: Campaign, recipient: str, language: str, values: dict[str, str],
                batch_id: str | None = None) -> tuple[Message, str]:
        """The accepted message and its rendered body."""
        template = campaign.templates[language]
        body = template.render(values)
        if len(body) > self.config.max_message_chars:
            raise errors.invalid(f"Message exceeds the maximum length of {self.config.max_message_chars} characters.")
        payload = V2Payload(values, template, campaign)  # fullMessage is rendered again when read
        message = self.engine.accept(face=FACE, channel=CHANNEL, tenant=campaign.id, recipient=recipient,
                                     payload=payload, content=body, message_id=self.engine.ids.prefixed("message"),
                                     batch_id=batch_id, facts=NO_FACTS)
        return message, body

    # -- endpoints ------------------------------------------------------------------------------

    @route("POST", f"{BASE}/messages")
    async def send(self, request: web.Request, campaign: Campaign) -> web.Response:
        if not _is_json(request.content_type):
            raise errors.invalid(errors.NOT_JSON)
        try:
            body = await read_json_object(request, self.config.max_body_bytes)
        except BadBody as exc:
            if str(exc) == "too large":
                raise errors.invalid(f"Request body exceeds {self.config.max_body_bytes} bytes.") from exc
            if str(exc) == "lone surrogate":
                raise errors.invalid(errors.LONE_SURROGATE) from exc
            raise errors.invalid("Request body must be a JSON object.") from exc
        recipient = body.get("recipient")
        if not isinstance(recipient, str) or not recipient_ok(recipient):
            raise errors.invalid(errors.INVALID_RECIPIENT)
        language = body.get("language")
        problem = language_error(language, campaign)
        if problem:
            raise errors.invalid(problem)
        assert isinstance(language, str)
        values = body.get("values")
        if not values_ok(values, campaign.templates[language].variables):
            raise errors.invalid(errors.VALUES_INVALID)
        assert isinstance(values, dict)
        message, text = self._accept(campaign, recipient, language, values)
        return json_response(created_view(message, campaign, campaign.full_message(text)), status=201)

    @route("GET", f"{BASE}/messages")
    async def list_messages(self, request: web.Request, campaign: Campaign) -> web.Response:
        store = self.engine.store
        return self._page(request, store.tenant_messages(FACE, campaign.id), store.tenant_keys(FACE, campaign.id),
                          lambda m: list_item_view(m, campaign, self._batch_of(m)))

    @route("GET", f"{BASE}/messages/{{messageId}}")
    async def get_message(self, request: web.Request, campaign: Campaign) -> web.Response:
        message = self._message(campaign, request.match_info["messageId"])
        if message is None:
            raise errors.not_found(f"Message {request.match_info['messageId']} not found.")
        return json_response(message_view(message, campaign, self._batch_of(message)))

    @route("POST", f"{BASE}/messages/{{messageId}}/retry")
    async def retry(self, request: web.Request, campaign: Campaign) -> web.Response:
        message = self._message(campaign, request.match_info["messageId"])
        self._retry(message)
        assert message is not None
        return json_response(created_view(message, campaign), status=201)

    @admin_route("POST", "/v2/messages/{id}/retry")
    async def admin_retry(self, request: web.Request) -> web.Response:
        """The public retry for the dashboard, which holds no API key: the same rules, any campaign's message,
        answered in the /_sim error shape."""
        message = self.engine.store.get(request.match_info["id"])
        if message is None or message.face != FACE:
            return web.json_response({"error": {"code": "not_found", "message": "No v2 message with that id."}},
                                     status=404)
        try:
            self._retry(message)
        except errors.V2Error as exc:
            return web.json_response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
        return web.json_response({"id": message.id, "status": message.status, "attempts": len(message.attempts)},
                                 status=201)

    def _retry(self, message: Message | None) -> None:
        """Start a new attempt of a failed message, or raise the v2 error the real API answers with."""
        if message is None or message.status != "failure":
            raise errors.domain("message_not_found_or_retry_message_not_in_failure_status",
                                errors.RETRY_NOT_FAILED)
        if len(message.attempts) >= MAX_ATTEMPTS:
            raise errors.domain("too_many_message_attempts_error", errors.RETRY_TOO_MANY)
        batch = self._batch_of(message)
        if batch is not None and batch.status not in RETRYABLE_BATCH:
            raise errors.domain("message_not_found_or_retry_message_not_in_failure_status",
                                errors.RETRY_NOT_FAILED)
        self.engine.retry(message, content=message.payload["fullMessage"])

    @route("POST", f"{BASE}/batch/messages")
    async def batch_send(self, request: web.Request, campaign: Campaign) -> web.Response:
        raw = await self._read_csv(request)
        with no_full_collections():
            return await self._batch(raw, campaign)

    async def _batch(self, raw: bytes, campaign: Campaign) -> web.Response:
        """Validate every row, then accept them all, pausing for the loop (defect 8 of issue 10)."""
        pause = yield_every()
        try:
            rows = await parse_batch(raw, campaign, self.config.batch_max_rows, pause)
        except BatchInvalid as exc:
            raise errors.invalid(str(exc), details=exc.problems, omitted=exc.omitted) from exc
        for row in rows:
            await pause()
            if len(campaign.templates[row.language].render(row.values)) > self.config.max_message_chars:
                raise errors.invalid(
                    f"Message exceeds the maximum length of {self.config.max_message_chars} characters.")
        now = self.engine.clock.now()
        batch = Batch(id=self.engine.ids.prefixed("batch"), campaign_id=campaign.id, message_ids=[],
                      created_at=now, updated_at=now)
        self.state.batches[batch.id] = batch
        rows.reverse()  # popped from the end, so each row is freed once accepted (no pause to free them all)
        while rows:  # accepted in slices between pauses: other requests may see the batch filling up
            await pause()
            row = rows.pop()
            if self.state.batches.get(batch.id) is not batch:  # a reset forgot it meanwhile: stop filling it
                break
            message, _ = self._accept(campaign, row.recipient, row.language, row.values, batch_id=batch.id)
            batch.message_ids.append(message.id)
        return json_response({"isValid": True, "batchId": batch.id}, status=201)

    async def _read_csv(self, request: web.Request) -> bytes:
        limit = self.config.batch_max_bytes
        if request.content_length is not None and request.content_length > limit + 64 * 1024:
            raise errors.invalid(errors.FILE_TOO_LARGE)
        if not request.content_type.startswith("multipart/"):
            raise errors.invalid("Request must be multipart/form-data with the CSV in the field 'file'.")
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if getattr(part, "name", None) != "file":
                    continue
                data = bytearray()
                while chunk := await part.read_chunk():  # type: ignore[union-attr]
                    data.extend(chunk)
                    if len(data) > limit:
                        raise errors.invalid(errors.FILE_TOO_LARGE)
                return bytes(data)
        except (ValueError, AssertionError, HttpProcessingError) as exc:
            raise errors.invalid("Request must be multipart/form-data with the CSV in the field 'file'.") from exc
        raise errors.invalid("The CSV must be uploaded in the form field 'file'.")

    def _list_args(self, request: web.Request) -> tuple[int, Key | None, Key | None, str | None]:
        query = request.query
        limit = self.config.list_default_limit
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError as exc:
                raise errors.invalid("limit must be an integer number") from exc
            if limit < 1:
                raise errors.invalid("limit must not be less than 1")
            if limit > 1000:
                raise errors.invalid("limit must not be greater than 1000")
        if query.get("after") and query.get("before"):
            raise errors.invalid("Use either after or before, not both.")
        try:
            after = decode_cursor(query["after"]) if query.get("after") else None
            before = decode_cursor(query["before"]) if query.get("before") else None
        except ValueError as exc:
            raise errors.invalid("Invalid cursor.") from exc
        return limit, after, before, query.get("search") or None

    def _page(self, request: web.Request, messages: list[Message], keys: Sequence[Key],
              view: Callable[[Message], dict[str, Any]]) -> web.Response:
        limit, after, before, search = self._list_args(request)
        if search is not None:
            chosen = [i for i, m in enumerate(messages) if search in m.recipient]
            messages = [messages[i] for i in chosen]
            keys = [keys[i] for i in chosen]
        page = paginate(keys, messages, limit, after=after, before=before)
        return json_response({"data": [view(m) for m in page.items], "pageData": page.page_data()})

    @route("GET", f"{BASE}/batch/{{batchId}}/messages")
    async def list_batch(self, request: web.Request, campaign: Campaign) -> web.Response:
        batch = self.state.batches.get(request.match_info["batchId"])
        if batch is None or batch.campaign_id != campaign.id:
            raise errors.not_found(f"Batch {request.match_info['batchId']} not found.")
        store = self.engine.store
        ids = set(batch.message_ids)
        pairs = [(k, m) for k, m in zip(store.tenant_keys(FACE, campaign.id), store.tenant_messages(FACE, campaign.id),
                                        strict=True) if m.id in ids]
        return self._page(request, [m for _, m in pairs], [k for k, _ in pairs],
                          lambda m: batch_item_view(m, campaign))

    @route("POST", f"{BASE}/batch/{{batchId}}/retry")
    async def batch_retry(self, request: web.Request, campaign: Campaign) -> web.Response:
        batch = self.state.batches.get(request.match_info["batchId"])
        if batch is None or batch.campaign_id != campaign.id or batch.status not in RETRYABLE_BATCH:
            raise errors.domain("batch_not_found_or_is_not_retryable", errors.BATCH_NOT_RETRYABLE)
        messages = [m for m in (self.engine.store.get(i) for i in batch.message_ids) if m is not None]
        if any(not self._resolved(m) for m in messages):
            batch.status = "messages_enqueuing_failed"
            batch.updated_at = self.engine.clock.now()
            raise errors.domain("unresolved_batch_messages", errors.BATCH_UNRESOLVED)
        retryable = [m for m in messages if m.status == "failure" and len(m.attempts) < MAX_ATTEMPTS]
        if not retryable:
            raise errors.domain("no_failed_batch_messages_to_retry", errors.BATCH_NOTHING_TO_RETRY)
        for message in retryable:
            self.engine.retry(message, content=message.payload["fullMessage"])
        batch.status = "messages_enqueued"
        batch.updated_at = self.engine.clock.now()
        return web.Response(status=201)

    @staticmethod
    def _resolved(message: Message) -> bool:
        """Final: success, failure, or a plan that has nothing left to do (e.g. foreign sent_to_telco)."""
        attempt = message.attempt
        return message.status in RESOLVED or attempt.halted or attempt.next_step >= len(attempt.plan.steps)


def _is_json(content_type: str) -> bool:
    """application/json or a +json type: the documented body. text/plain, XML or a form is not read as JSON."""
    return content_type == "application/json" or (content_type.startswith("application/")
                                                   and content_type.endswith("+json"))
