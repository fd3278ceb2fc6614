"""Inputs a schemathesis run against /_sim/openapi.json found: each is a clear 4xx, never a 500 or bad JSON."""

from __future__ import annotations

import json

from tests.conftest import DEMO_CAMPAIGN, ROOT, Sim, SimFactory
from tests.faces.v2.helpers import auth, send_ok


async def test_force_status_with_a_non_string_status_is_a_400(sim: Sim) -> None:
    message_id = (await send_ok(sim))["id"]
    statuses: list[object] = [{}, [], ["sent"]]
    for status in statuses:
        response = await sim.client.post(f"/_sim/messages/{message_id}/status", json={"status": status})
        assert response.status == 400 and (await response.json())["error"]["code"] == "bad_status"


async def test_webhook_subscriptions_with_odd_format_signing_or_schedule_are_400s(sim: Sim) -> None:
    url = "http://127.0.0.1:1/x"
    bodies: list[dict[str, object]] = [{"format": {}}, {"format": []}, {"signing": [{}]}, {"signing": [[]]},
                                       {"enabled": False, "retry": {"schedule": [1e308 * 10]}}]
    for body in bodies:
        response = await sim.client.post("/_sim/webhooks", data=json.dumps({"url": url, **body}),
                                         headers={"Content-Type": "application/json"})
        assert response.status == 400, (body, await response.text())
    listing = await sim.client.get("/_sim/webhooks")
    json.loads(await listing.text())  # still strict JSON: no Infinity slipped in


async def test_nan_and_infinity_are_not_json(sim: Sim) -> None:
    response = await sim.client.post("/_sim/clock/advance", data=b'{"seconds": NaN}',
                                     headers={"Content-Type": "application/json"})
    assert response.status == 400
    response = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", data=b'{"recipient": Infinity}',
                                     headers={**auth(), "Content-Type": "application/json"})
    assert response.status == 400


async def test_sink_ignores_a_retry_after_with_control_characters(sim: Sim) -> None:
    response = await sim.client.post("/_sim/sink?status=503&retry_after=%0A")
    assert response.status == 503 and "Retry-After" not in response.headers


async def test_405_says_which_methods_are_allowed(sim: Sim) -> None:
    response = await sim.client.delete("/_sim/clock")
    assert response.status == 405 and "GET" in response.headers["Allow"]
    response = await sim.client.delete(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth())
    assert response.status == 405 and "POST" in response.headers["Allow"]


async def test_empty_cursors_count_as_absent(sim: Sim) -> None:
    response = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages?after=&before=", headers=auth())
    assert response.status == 200


async def test_qlara_rate_limit_zero_is_off(make_sim: SimFactory) -> None:
    text = (ROOT / "scenarios.yaml").read_text(encoding="utf-8")
    text = text.replace("rate_limit: {per_minute: 1000, per_second: 50}", "rate_limit: 0")
    sim = await make_sim(text)
    for _ in range(60):
        response = await sim.client.post("/api/message-server/sms/send",
                                         headers={"X-Api-Key": "qlara_demo_api_key_0000000001"},
                                         json={"destination": "+393401234567", "sender": "Shop", "body": "hi"})
        assert response.status == 200


async def test_the_sink_takes_any_sub_path_even_with_a_newline_in_it(sim: Sim) -> None:
    for method in ("POST", "GET", "DELETE"):
        response = await sim.client.request(method, "/_sim/sink/a%0Ab")
        assert response.status in (200, 204), (method, response.status)


async def test_a_listing_under_webhooks_never_answers_for_a_subscription_id(sim: Sim) -> None:
    for listing in ("stats", "events", "deliveries", "dead-letters"):
        created = await sim.client.post("/_sim/webhooks", json={"id": listing, "url": "http://127.0.0.1:1/x"})
        assert created.status == 400 and "names a /_sim/webhooks listing" in await created.text()
        wrong = await sim.client.delete(f"/_sim/webhooks/{listing}")
        assert wrong.status == 405, listing
        assert "DELETE" not in wrong.headers["Allow"] and "PATCH" not in wrong.headers["Allow"]
    named = await sim.client.post("/_sim/webhooks", json={"id": "stats-2", "url": "http://127.0.0.1:1/x"})
    assert named.status == 201
    assert (await sim.client.delete("/_sim/webhooks/stats-2")).status == 204


async def test_request_count_takes_a_status_written_as_a_whole_float(sim: Sim) -> None:
    await sim.client.get("/api/v2/nowhere")
    counted = await sim.client.post("/_sim/requests/count", json={"status": 404.0})
    assert counted.status == 200 and (await counted.json())["count"] == 1
    assert (await sim.client.post("/_sim/requests/count", json={"status": 404.5})).status == 400


async def test_openapi_says_an_empty_query_choice_means_any(sim: Sim) -> None:
    document = await (await sim.client.get("/_sim/openapi.json")).json()
    face = next(p for p in document["paths"]["/_sim/requests"]["get"]["parameters"] if p["name"] == "face")
    assert "" in face["schema"]["enum"] and "v2" in face["schema"]["enum"]
    assert (await sim.client.get("/_sim/requests?face=")).status == 200
    history = document["paths"]["/api/partner-gateway/v1/messages/history"]["get"]["parameters"]
    qlara_status = next(p for p in history if p.get("name") == "status")
    assert qlara_status["schema"] == {"$ref": "#/components/schemas/QlaraStatus"}  # a face's own API: untouched
    assert "" not in document["components"]["schemas"]["QlaraStatus"]["enum"]


async def test_a_webhook_tenant_written_as_a_number_is_its_digits_as_in_yaml(sim: Sim) -> None:
    created = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:1/x", "tenant": 12345,
                                                            "phone_number_id": 106540352242922})
    assert created.status == 201
    body = await created.json()
    assert body["tenant"] == "12345" and body["phone_number_id"] == "106540352242922"
    document = await (await sim.client.get("/_sim/openapi.json")).json()
    spec = document["components"]["schemas"]["WebhooksSubscriptionSpec"]["properties"]
    assert "integer" in spec["tenant"]["type"] and "integer" in spec["phone_number_id"]["type"]


async def test_a_null_in_a_webhook_spec_is_the_keys_default(sim: Sim) -> None:
    nulls = {"timeout": None, "enabled": None, "format": None, "channels": None, "pricing_model": None}
    created = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:1/x", **nulls})
    assert created.status == 201, await created.text()
    body = await created.json()
    assert (body["timeout"], body["enabled"], body["format"], body["channels"]) == (10.0, True, "chuanglan",
                                                                                  ["whatsapp"])
    changed = await sim.client.patch(f"/_sim/webhooks/{body['id']}", json={"timeout": 5})
    assert (await changed.json())["timeout"] == 5.0
    reverted = await sim.client.patch(f"/_sim/webhooks/{body['id']}", json={"timeout": None})
    assert (await reverted.json())["timeout"] == 10.0


HUGE = "1" + "0" * 400  # an integer past the double range: JavaScript's JSON.parse reads it as Infinity


async def test_integers_past_the_double_range_are_400s_like_1e400(sim: Sim) -> None:
    as_json = {"Content-Type": "application/json"}
    for path, body in (("/_sim/clock/advance", f'{{"seconds": {HUGE}}}'), ("/_sim/clock/set", f'{{"epoch": {HUGE}}}'),
                       ("/_sim/clock/speed", f'{{"speed": -{HUGE}}}')):
        response = await sim.client.post(path, data=body, headers=as_json)
        assert response.status == 400, (path, await response.text())
        assert (await response.json())["error"]["code"] == "bad_request"
    govsg = await sim.client.post("/v1/transactional/govsg/send", headers={**as_json, **auth("demo_v1_c2VjcmV0")},
                                  data=f'{{"recipient": "6591234567", "template_id": {HUGE}, "params": {{}}}}')
    assert (govsg.status, await govsg.json()) == (400, {"code": "api_validation",
                                                         "message": '"template_id" must be a number'})
    v2 = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers={**as_json, **auth()},
                               data=f'{{"recipient": "6591234567", "language": "english", "values": {{"n": {HUGE}}}}}')
    assert v2.status == 400
    assert (await (await sim.client.get("/_sim/health")).json())["messages"] == 0


async def test_a_scenarios_reload_with_numbers_past_any_range_is_refused_like_any_bad_file(sim: Sim) -> None:
    step = f"{{after: {HUGE}, status: sent}}"
    for text in (f"version: 1\nrules:\n  - {{name: x, match: {{face: v2}}, steps: [{step}]}}\n",
                 "version: " + "7" * 5000 + "\n",
                 f"version: 1\nfaults:\n  - {{match: {{face: v2}}, error: 500, probability: {HUGE}}}\n"):
        response = await sim.client.post("/_sim/scenarios/reload", data=text)
        assert response.status == 422, (text[:60], await response.text())
        assert (await response.json())["error"]["code"] == "invalid_scenarios"
    assert (await sim.client.get("/_sim/scenarios")).status == 200
    assert (await send_ok(sim))["latestStatus"] == "created"
