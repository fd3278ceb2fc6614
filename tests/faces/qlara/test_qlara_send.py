"""Qlara send endpoints and catalog listings: documented response shapes, field rules, 400s not 500s."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.conftest import Sim, SimFactory
from tests.faces.qlara.helpers import GATEWAY, KEY, SEND_SMS, SEND_WA, open_window, status, template_body, text_body

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def test_whatsapp_send_generates_a_uuid_message_id(sim: Sim) -> None:
    response = await sim.client.post(SEND_WA, json=template_body("+393401234567"), headers=KEY)
    assert response.status == 200
    body = await response.json()
    assert UUID.match(body["messageId"])
    assert body == {"messageId": body["messageId"], "simulation": False,
                    "results": {"whatsapp": {"accepted": True, "reasons": []}}}


async def test_whatsapp_send_keeps_the_clients_message_id(sim: Sim) -> None:
    response = await sim.client.post(SEND_WA, json=template_body("+393401234567", messageId="order-12345",
                                                                  campaignId="spring"), headers=KEY)
    assert (await response.json())["messageId"] == "order-12345"
    data = await status(sim, "order-12345")
    assert data["campaignId"] == "spring"
    assert data["sender"] == "+393409876543"
    assert UUID.match(data["messageId"])


async def test_template_by_name_and_language(sim: Sim) -> None:
    body = template_body("+393401234567", template={"name": "order_shipped", "language": "it",
                                                     "parameters": ["Mario", "A-1", "TRK9"]})
    response = await sim.client.post(SEND_WA, json=body, headers=KEY)
    assert response.status == 200
    journal = await (await sim.client.get("/_sim/messages")).json()
    assert journal["data"][0]["payload"]["text"] == "Ciao Mario, il tuo ordine A-1 e stato spedito! Tracking: TRK9"


async def test_template_name_and_language_may_be_null_as_in_the_gateways_dto(sim: Sim) -> None:
    body = template_body("+393401234567", template={"id": 43, "name": None, "language": None,
                                                     "parameters": ["Mario", "A-1", "TRK9"]})
    response = await sim.client.post(SEND_WA, json=body, headers=KEY)
    assert response.status == 200, await response.text()


async def test_simulation_validates_without_sending(sim: Sim) -> None:
    response = await sim.client.post(SEND_WA, json=template_body("+393401234567", simulation=True,
                                                                  messageId="dry-run"), headers=KEY)
    assert await response.json() == {"messageId": "dry-run", "simulation": True,
                                     "results": {"whatsapp": {"accepted": True, "reasons": []}}}
    lookup = await sim.client.get(f"{GATEWAY}/messages/status/dry-run", params={"channel": "WHATSAPP"}, headers=KEY)
    assert lookup.status == 404
    assert (await (await sim.client.get("/_sim/messages")).json())["total"] == 0


@pytest.mark.parametrize(("change", "words"), [
    ({"template": {"id": 43, "parameters": ["a", "b"]}, "body": "hi"}, "mutually exclusive"),
    ({"template": None}, "Either template or body is required"),
    ({"phoneNumberId": None}, "phoneNumberId is required"),
    ({"phoneNumberId": 99}, "phoneNumberId 99"),
    ({"phoneNumberId": True}, "phoneNumberId is required"),
    ({"destination": "12"}, "international format"),
    ({"destination": "+39３４０１２３４５６７"}, "international format"),  # full-width digits
    ({"destination": None}, "destination is required"),
    ({"template": {"id": 999}}, "Template not found"),
    ({"template": {"id": 43, "parameters": ["only one"]}}, "needs 2 parameter(s)"),
    ({"template": "order_shipped"}, "template must be an object"),
    ({"template": {"id": 43, "parameters": "x"}}, "parameters must be a list"),
    ({"template": {"id": 43, "parameters": [1, 2, 3]}}, "template.parameters must be a list of strings"),
    ({"template": {"id": 43, "parameters": ["a", 2.5]}}, "template.parameters must be a list of strings"),
    ({"template": {"id": 43, "parameters": ["a", None]}}, "template.parameters must be a list of strings"),
    ({"template": {"id": 43, "parameters": ["a", "b"], "language": {}}}, "template.language must be a string"),
    ({"template": {"id": 43, "parameters": ["a", "b"], "name": 0}}, "template.name must be a string"),
    ({"template": {"name": ["order_shipped"], "parameters": ["a", "b"]}}, "template.name must be a string"),
    ({"messageId": "a,b"}, "commas"),
    ({"messageId": ""}, "messageId must be a non-empty string"),
    ({"simulation": "yes"}, "simulation must be a boolean"),
    ({"campaignId": "x" * 256}, "at most 255"),
])
async def test_whatsapp_send_field_rules_are_400s(sim: Sim, change: dict[str, Any], words: str) -> None:
    body = template_body("+393401234567")
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    response = await sim.client.post(SEND_WA, json=body, headers=KEY)
    assert response.status == 400
    error = await response.json()
    assert set(error) == {"timestamp", "status", "error", "message", "path"}
    assert error["error"] == "Bad Request"
    assert words in error["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
async def test_malformed_bodies_are_400(sim: Sim, raw: bytes) -> None:
    for path in (SEND_WA, SEND_SMS):
        response = await sim.client.post(path, data=raw, headers={**KEY, "Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["message"] == "Request body must be a JSON object"


@pytest.mark.parametrize("free_form", [
    "plain string body",
    {"type": "text", "text": "object body"},
    {"type": "image", "link": "https://example.com/a.png", "caption": "look"},
])
async def test_free_form_body_shapes(sim: Sim, free_form: Any) -> None:
    await open_window(sim, "+393401234567")
    body = {"destination": "+393401234567", "phoneNumberId": 5, "body": free_form}
    response = await sim.client.post(SEND_WA, json=body, headers=KEY)
    assert response.status == 200


@pytest.mark.parametrize("free_form", [{"type": "text"}, {"type": "hologram"}, 42, {"type": "text", "text": ""},
                                       {"type": "image", "link": "https://example.com/a.png", "caption": 7}])
async def test_bad_free_form_bodies_are_400(sim: Sim, free_form: Any) -> None:
    response = await sim.client.post(SEND_WA, json=text_body("+393401234567") | {"body": free_form}, headers=KEY)
    assert response.status == 400


async def test_sms_send_reports_encoding_and_parts(sim: Sim) -> None:
    body = {"destination": "+393401234567", "sender": "TechStore", "body": "Ciao {name}, " + "x" * 150,
            "placeholders": {"name": "Mario"}}
    response = await sim.client.post(SEND_SMS, json=body, headers=KEY)
    assert response.status == 200
    data = await response.json()
    assert UUID.match(data["messageId"])
    assert data["results"] == {"sms": {"accepted": True, "unicode": False, "parts": 2, "reasons": []}}
    unicode = await sim.client.post(SEND_SMS, json={"destination": "+393401234567", "sender": "TechStore",
                                                    "body": "Ciao 😀"}, headers=KEY)
    assert (await unicode.json())["results"]["sms"] == {"accepted": True, "unicode": True, "parts": 1, "reasons": []}
    journal = await (await sim.client.get("/_sim/messages", params={"channel": "sms"})).json()
    assert journal["data"][1]["payload"]["text"].startswith("Ciao Mario, xxx")


@pytest.mark.parametrize(("change", "words"), [
    ({"sender": None}, "sender is required"),
    ({"sender": "WayTooLongSender"}, "sender must be"),
    ({"body": None}, "body is required"),
    ({"body": 5}, "body is required"),
    ({"placeholders": ["x"]}, "placeholders"),
    ({"placeholders": {"name": 5}}, 'placeholders must be an object of strings, e.g. {"name": "Mario"}'),
    ({"placeholders": {"name": "Mario", "n": 1.5}}, "placeholders must be an object of strings"),
    ({"scheduledDate": "tomorrow"}, "scheduledDate"),
    ({"udhData": "zz"}, "udhData"),
    ({"enableNotification": "no"}, "enableNotification"),
    ({"destination": "+39 340"}, "international format"),
])
async def test_sms_field_rules_are_400s(sim: Sim, change: dict[str, Any], words: str) -> None:
    body: dict[str, Any] = {"destination": "+393401234567", "sender": "TechStore", "body": "hello"}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    response = await sim.client.post(SEND_SMS, json=body, headers=KEY)
    assert response.status == 400
    assert words in (await response.json())["message"]


async def test_sms_simulation(sim: Sim) -> None:
    response = await sim.client.post(SEND_SMS, json={"destination": "+393401234567", "sender": "Shop",
                                                     "body": "hi", "simulation": True}, headers=KEY)
    assert (await response.json())["simulation"] is True
    assert (await (await sim.client.get("/_sim/messages")).json())["total"] == 0


async def test_phone_numbers_and_templates_come_from_config(sim: Sim) -> None:
    numbers = await (await sim.client.get("/api/message-server/whatsapp/phone-numbers",
                                          params={"limit": "10", "page": "0"}, headers=KEY)).json()
    assert numbers == {"data": [{"id": 5, "phoneNumber": "+393409876543", "verifiedName": "Demo Store",
                                 "qualityRating": "GREEN", "status": "CONNECTED"}]}
    templates = await (await sim.client.get("/api/message-server/whatsapp/templates", headers=KEY, params={
        "status": "APPROVED", "phoneNumberId": "5", "limit": "10"})).json()
    assert [t["name"] for t in templates["data"]] == ["order_shipped", "appointment_reminder"]
    first = templates["data"][0]
    assert first["id"] == 42
    assert first["category"] == "UTILITY"
    assert first["components"][1] == {"type": "BODY",
                                      "text": "Ciao {{1}}, il tuo ordine {{2}} e stato spedito! Tracking: {{3}}"}
    page = await (await sim.client.get("/api/message-server/whatsapp/templates", headers=KEY,
                                       params={"limit": "1", "page": "2"})).json()
    assert [t["name"] for t in page["data"]] == ["summer_promo"]


async def test_a_template_placeholder_too_long_to_read_is_refused_at_start_naming_the_key(
        make_sim: SimFactory) -> None:
    """A {{n}} whose n has more digits than int() reads (4,300): the template's body is split when the face
    reads its section, so the start fails there, with the key, not with int()'s own words (nor a 500 a send)."""
    yaml_text = ("qlara:\n  open_company:\n    templates:\n      - id: 1\n        name: t\n        components:\n"
                 "          - {type: BODY, text: 'Hi {{" + "1" * 5000 + "}}'}\n")
    with pytest.raises(ValueError, match=r"qlara\.open_company\.templates\[0\]\.components") as refused:
        await make_sim(yaml_text)
    assert "set_int_max_str_digits" not in str(refused.value)


@pytest.mark.parametrize("query", [{"status": "NOPE"}, {"phoneNumberId": "x"}, {"limit": "0"}, {"page": "-1"}])
async def test_bad_listing_parameters_are_400(sim: Sim, query: dict[str, str]) -> None:
    response = await sim.client.get("/api/message-server/whatsapp/templates", params=query, headers=KEY)
    assert response.status == 400


async def test_unknown_paths_and_methods_answer_in_spring_shape(sim: Sim) -> None:
    response = await sim.client.get("/api/message-server/whatsapp/nope", headers=KEY)
    assert response.status == 404
    assert (await response.json())["path"] == "/api/message-server/whatsapp/nope"
    response = await sim.client.delete(SEND_WA, headers=KEY)
    assert response.status == 405
    assert (await response.json())["message"] == "Request method 'DELETE' is not supported"


async def test_the_postman_v2_face_still_answers_under_api_v2(sim: Sim) -> None:
    response = await sim.client.post(
        "/api/v2/campaigns/campaign_00000000-0000-4000-8000-000000000001/messages",
        headers={"Authorization": "Bearer key_test_postman_sim_demo_key_0000000001"},
        json={"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}})
    assert response.status == 201
    assert (await response.json())["latestStatus"] == "created"
    response = await sim.client.get("/api/v2/nowhere")
    assert (await response.json())["error"]["code"] == "invalid_path"


async def test_odd_input_never_makes_a_500(sim: Sim) -> None:
    lone_surrogate = b'{"destination": "+393401234567", "sender": "Shop", "body": "\\ud800 hi"}'
    response = await sim.client.post(SEND_SMS, data=lone_surrogate, headers=KEY)
    assert response.status == 400  # issue 10: half a surrogate pair is not text; it is refused, not stored
    assert (await response.json())["error"] == "Bad Request"
    huge = b'{"body": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await sim.client.post(SEND_WA, data=io.BytesIO(huge), headers=KEY)
    assert response.status == 413
    assert (await response.json())["error"] == "Payload Too Large"
    far = {"destination": "+393401234567", "sender": "Shop", "body": "hi",
           "scheduledDate": "9999-12-31 23:59:59.999+0000"}
    assert (await sim.client.post(SEND_SMS, json=far, headers=KEY)).status == 200
    weird = {"destination": "+393401234567", "phoneNumberId": "5", "template": {"id": 43, "parameters": ["a", "b"]}}
    assert (await sim.client.post(SEND_WA, json=weird, headers=KEY)).status == 200
