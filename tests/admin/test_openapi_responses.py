"""Real answers match the OpenAPI document: each call's body validates against the schema documented for its
operation and status, and carries no field the schema does not name (so a renamed field fails here)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import ClientResponse
from jsonschema import Draft202012Validator

from simulator.openapi import load_document
from simulator.webhooks import DISPATCHER
from tests.conftest import Sim

V1 = {"Authorization": "Bearer alice_v1_c2VjcmV0"}
QLARA = {"X-Api-Key": "qlara_demo_api_key_0000000001"}
V2 = {"Authorization": "Bearer key_test_openapi"}  # open mode: a new campaign, template {{body}}
CAMPAIGN = "campaign_0aa00000-0000-4000-8000-000000000001"
DOC = load_document()


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = DOC["components"][section][name]
    return node


def _schema(method: str, path: str, status: int) -> dict[str, Any]:
    responses = DOC["paths"][path][method.lower()]["responses"]
    response = _resolve(responses.get(str(status)) or responses["default"])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def _names(schema: Any) -> set[str] | None:
    """The property names an object schema documents (through $ref and allOf); None if it names none."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return None
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _names(part) or set()
    return names or None


def _no_undocumented_fields(schema: Any, value: Any, where: str) -> None:
    schema = _resolve(schema)
    if isinstance(value, list) and isinstance(schema, dict) and "items" in schema:
        for i, item in enumerate(value):
            _no_undocumented_fields(schema["items"], item, f"{where}[{i}]")
    elif isinstance(value, dict):
        names = _names(schema)
        if names is None:
            return
        assert set(value) <= names, f"{where}: undocumented field(s) {sorted(set(value) - names)}"
        properties: dict[str, Any] = {}
        for part in [schema, *[_resolve(p) for p in schema.get("allOf", [])]]:
            properties.update(part.get("properties", {}))
        for key, item in value.items():
            _no_undocumented_fields(properties[key], item, f"{where}.{key}")


async def check(response: ClientResponse, method: str, path: str, status: int) -> Any:
    """Assert the status, validate the JSON body against the document, and return the body."""
    assert response.status == status, await response.text()
    body = await response.json()
    schema = _schema(method, path, status)
    Draft202012Validator({**schema, "components": DOC["components"]}).validate(body)
    _no_undocumented_fields(schema, body, f"{method} {path} {status}")
    return body


async def test_v1_answers_match_the_document(sim: Sim) -> None:
    c = sim.client
    email = {"recipient": "bounce@simulator.amazonses.com", "subject": "Hi", "body": "<p>Hi</p>", "tag": "t"}
    await check(await c.post("/v1/transactional/email/send", json=email, headers=V1),
                "POST", "/v1/transactional/email/send", 201)
    form = {"recipient": "a@example.com", "subject": "Hi", "body": "Hi", "cc": '["b@example.com"]'}
    await check(await c.post("/v1/transactional/email/send", data=form, headers=V1),
                "POST", "/v1/transactional/email/send", 201)
    await sim.advance(10)
    await check(await c.get("/v1/transactional/email/1", headers=V1), "GET", "/v1/transactional/email/{emailId}", 200)
    await check(await c.get("/v1/transactional/email?exclude_params=true&created_at[gte]=2026-01-01T00:00:00Z",
                            headers=V1), "GET", "/v1/transactional/email", 200)
    sms = {"body": "OTP 1", "recipient": "6511112222", "label": "default"}
    await check(await c.post("/v1/transactional/sms/send", json=sms, headers=V1),
                "POST", "/v1/transactional/sms/send", 201)
    await check(await c.get("/v1/transactional/sms/1", headers=V1), "GET", "/v1/transactional/sms/{smsId}", 200)
    await check(await c.get("/v1/transactional/sms?sort_by=%2Bcreated_at", headers=V1),
                "GET", "/v1/transactional/sms", 200)
    govsg = {"recipient": "91234567", "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}}
    sent = await check(await c.post("/v1/transactional/govSG/send", json=govsg, headers=V1),
                       "POST", "/v1/transactional/govsg/send", 201)
    assert sent["recipient"] == "+6591234567"
    await check(await c.post("/v1/transactional/govsg/send", json={**govsg, "params": {}}, headers=V1),
                "POST", "/v1/transactional/govsg/send", 400)
    await check(await c.get("/v1/transactional/govsg", headers=V1), "GET", "/v1/transactional/govsg", 200)
    error = await check(await c.get("/v1/transactional/sms", headers={"Authorization": "Bearer nope"}),
                        "GET", "/v1/transactional/sms", 401)
    assert error["code"] == "unauthenticated"
    await check(await c.get("/v1/transactional/email/x", headers=V1), "GET", "/v1/transactional/email/{emailId}", 400)
    await check(await c.get("/v1/transactional/email/99", headers=V1), "GET", "/v1/transactional/email/{emailId}", 404)


async def test_qlara_answers_match_the_document(sim: Sim) -> None:
    c = sim.client
    send = {"destination": "+393401234567", "phoneNumberId": 5, "messageId": "order-1",
            "template": {"id": 42, "parameters": ["Mario", "A-1001", "TRK123"]}}
    await check(await c.post("/api/message-server/whatsapp/send", json=send, headers=QLARA),
                "POST", "/api/message-server/whatsapp/send", 200)
    sms = {"destination": "+393401234567", "sender": "Postman", "body": "Hi {name}", "placeholders": {"name": "M"},
           "messageId": "sms-1"}
    await check(await c.post("/api/message-server/sms/send", json=sms, headers=QLARA),
                "POST", "/api/message-server/sms/send", 200)
    await sim.advance(10)
    gateway = "/api/partner-gateway/v1"
    await check(await c.get(f"{gateway}/messages/status/order-1?channel=WHATSAPP", headers=QLARA),
                "GET", f"{gateway}/messages/status/{{customerMessageId}}", 200)
    await check(await c.get(f"{gateway}/messages/status/sms-1?channel=SMS", headers=QLARA),
                "GET", f"{gateway}/messages/status/{{customerMessageId}}", 200)
    await check(await c.get(f"{gateway}/messages/status?ids=order-1,nope&channel=WHATSAPP", headers=QLARA),
                "GET", f"{gateway}/messages/status", 200)
    history = await check(await c.get(f"{gateway}/messages/history", headers=QLARA, params={
        "channel": "SMS", "from": "2025-01-01T00:00:00Z", "to": "2027-01-01T00:00:00+08:00"}),
        "GET", f"{gateway}/messages/history", 200)
    assert len(history) == 1
    await check(await c.get("/api/message-server/whatsapp/phone-numbers", headers=QLARA),
                "GET", "/api/message-server/whatsapp/phone-numbers", 200)
    await check(await c.get("/api/message-server/whatsapp/templates?status=APPROVED", headers=QLARA),
                "GET", "/api/message-server/whatsapp/templates", 200)
    hook = f"{gateway}/webhooks/delivery-status"
    basic = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
    await check(await c.post(hook, json={"callbackUrl": "https://example.com/x"}, headers=basic), "POST", hook, 201)
    await check(await c.post(hook, json={"callbackUrl": "https://example.com/x"}, headers=QLARA), "POST", hook, 409)
    await check(await c.put(hook, json={"callbackUrl": "https://example.com/y"}, headers=QLARA), "PUT", hook, 200)
    await check(await c.get(hook, headers=QLARA), "GET", hook, 200)
    assert (await c.delete(hook, headers=QLARA)).status == 204
    await check(await c.get(hook, headers=QLARA), "GET", hook, 404)
    await check(await c.get(f"{gateway}/messages/history?channel=SMS"), "GET", f"{gateway}/messages/history", 401)
    await check(await c.post("/api/message-server/sms/send", json={}, headers=QLARA),
                "POST", "/api/message-server/sms/send", 400)


async def test_qlara_rate_limit_answer_matches_the_document(make_sim: Any) -> None:
    sim = await make_sim("version: 1\nqlara:\n  rate_limit: {per_second: 1, per_minute: 0}\n")
    headers = {"X-Api-Key": "open_mode_key_12345"}
    path = "/api/message-server/whatsapp/phone-numbers"
    await check(await sim.client.get(path, headers=headers), "GET", path, 200)
    body = await check(await sim.client.get(path, headers=headers), "GET", path, 429)
    assert body["retryAfter"] >= 1


async def test_control_surface_answers_match_the_document(sim: Sim) -> None:
    c = sim.client
    sub = await check(await c.post("/_sim/webhooks", json={"url": f"{c.make_url('/_sim/sink/hook')}",
                                                          "format": "standard", "channels": ["sms"]}),
                      "POST", "/_sim/webhooks", 201)
    await check(await c.post("/_sim/webhooks", json={"url": "ftp://x"}), "POST", "/_sim/webhooks", 400)
    await check(await c.get("/_sim/webhooks"), "GET", "/_sim/webhooks", 200)
    await check(await c.patch(f"/_sim/webhooks/{sub['id']}", json={"timeout": "5s"}),
                "PATCH", "/_sim/webhooks/{id}", 200)
    sent = await c.post(f"/api/v2/campaigns/{CAMPAIGN}/messages", headers=V2,
                        json={"recipient": "6591234567", "language": "english", "values": {"body": "hi"}})
    assert sent.status == 201, await sent.text()
    await sim.advance(10)
    await sim.app[DISPATCHER].drain()
    events = await check(await c.get("/_sim/webhooks/events"), "GET", "/_sim/webhooks/events", 200)
    assert events["total"] >= 1
    event_id = events["data"][0]["id"]
    await check(await c.get(f"/_sim/webhooks/events/{event_id}"), "GET", "/_sim/webhooks/events/{id}", 200)
    await check(await c.post(f"/_sim/webhooks/events/{event_id}/redeliver"),
                "POST", "/_sim/webhooks/events/{id}/redeliver", 200)
    await check(await c.get("/_sim/webhooks/deliveries?trigger=manual"), "GET", "/_sim/webhooks/deliveries", 200)
    await check(await c.get("/_sim/webhooks/dead-letters"), "GET", "/_sim/webhooks/dead-letters", 200)
    await check(await c.post("/_sim/webhooks/dead-letters/replay"), "POST", "/_sim/webhooks/dead-letters/replay", 200)
    await check(await c.post(f"/_sim/webhooks/dead-letters/{event_id}/replay"),
                "POST", "/_sim/webhooks/dead-letters/{id}/replay", 409)
    await check(await c.get("/_sim/webhooks/stats"), "GET", "/_sim/webhooks/stats", 200)
    sink = await check(await c.get("/_sim/sink/"), "GET", "/_sim/sink/{tail}", 200)
    assert sink["total"] >= 2 and sink["data"][0]["path"] == "/_sim/sink/hook"
    await check(await c.get("/_sim/scenarios"), "GET", "/_sim/scenarios", 200)
    await check(await c.post("/_sim/scenarios/reload", data="version: 1\nrules: [{name: x}]\n"),
                "POST", "/_sim/scenarios/reload", 422)
    await check(await c.post("/_sim/scenarios/reload", data="version: 1\n"), "POST", "/_sim/scenarios/reload", 200)
    await check(await c.post("/_sim/qlara/inbound", json={"company": "qlara-demo", "from": "+39 340 123 4567"}),
                "POST", "/_sim/qlara/inbound", 201)
    await check(await c.post("/_sim/qlara/inbound", json={"from": "+393401234567"}), "POST", "/_sim/qlara/inbound", 400)


@pytest.mark.parametrize("path", ["/_sim/sink", "/_sim/sink/", "/_sim/sink/a/b"])
async def test_every_path_below_the_sink_is_the_same_sink(sim: Sim, path: str) -> None:
    assert (await sim.client.post(path, json={"n": 1})).status == 200
    assert (await sim.client.put(path + "?status=503&retry_after=7", data=b"x")).headers["Retry-After"] == "7"
    shown = await check(await sim.client.get(path), "GET", "/_sim/sink", 200)
    assert [r["method"] for r in shown["data"]] == ["PUT", "POST"]
    assert (await sim.client.delete(path)).status == 204
    assert (await (await sim.client.get("/_sim/sink")).json())["total"] == 0


async def test_v2_answers_match_the_document(sim: Sim) -> None:
    c = sim.client
    base = f"/api/v2/campaigns/{CAMPAIGN}"
    body = {"recipient": "6591234567", "language": "english", "values": {"body": "hi"}}
    sent = await check(await c.post(f"{base}/messages", json=body, headers=V2),
                       "POST", "/api/v2/campaigns/{campaignId}/messages", 201)
    await sim.advance(10)
    await check(await c.get(f"{base}/messages/{sent['id']}", headers=V2),
                "GET", "/api/v2/campaigns/{campaignId}/messages/{messageId}", 200)
    await check(await c.get(f"{base}/messages?limit=5", headers=V2),
                "GET", "/api/v2/campaigns/{campaignId}/messages", 200)
    await check(await c.post(f"{base}/messages", json={**body, "recipient": "x"}, headers=V2),
                "POST", "/api/v2/campaigns/{campaignId}/messages", 400)
