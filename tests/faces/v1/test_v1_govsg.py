"""Postman v1 GovSG WhatsApp: templates, params and languages, INVALID_RECIPIENT at send, WhatsApp
error codes after sending, read receipts."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import Sim, SimFactory
from tests.faces.v1.client import GOVSG, call, fetch, send

TEMPLATES = """
mode: strict
v1:
  keys: [alice_v1_c2VjcmV0LWtleS1mb3ItYWxpY2UtMDAwMDAwMDAwMDAx]
  govsg:
    templates:
      - {id: 1001, params: [name, date], languages: [en_GB, zh_CN]}
      - {id: 1002, params: [], languages: [en_GB]}
      - {id: 1004, params: [], languages: [ta]}
"""


def wa(recipient: str = "91234567", **extra: Any) -> dict[str, Any]:
    return {"recipient": recipient, "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}, **extra}


async def test_send_returns_201_accepted_with_the_documented_fields(sim: Sim) -> None:
    body = await send(sim, GOVSG, wa(language_code="zh_CN"))
    assert body == {
        "id": "1", "recipient": "+6591234567", "template_id": 1001,
        "params": {"name": "Tan", "date": "1 May"}, "language_code": "zh_CN",
        "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
        "accepted_at": "2026-01-01T00:00:00.000Z",
        "sent_at": None, "delivered_at": None, "read_at": None, "errored_at": None,
        "error_code": None, "error_description": None, "status": "ACCEPTED",
    }


async def test_each_message_stores_a_meta_style_wamid(sim: Sim) -> None:
    first = await send(sim, GOVSG, wa())
    second = await send(sim, GOVSG, wa())
    wamids = [sim.engine.store.get(f"v1.whatsapp.{m['id']}").payload["wamid"] for m in (first, second)]  # type: ignore[union-attr]
    assert wamids[0] != wamids[1]
    for wamid in wamids:
        assert wamid.startswith("wamid.")
        assert b"6591234567" in base64.b64decode(wamid.removeprefix("wamid."))


async def test_everyone_else_reaches_read(sim: Sim) -> None:
    sent = await send(sim, GOVSG, wa("+65 8123 4567"))
    await sim.advance(3)
    now = await fetch(sim, GOVSG, sent["id"])
    assert (now["status"], now["sent_at"], now["delivered_at"], now["read_at"]) == (
        "DELIVERED", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z", None)
    await sim.advance(5)
    now = await fetch(sim, GOVSG, sent["id"])
    assert (now["status"], now["read_at"], now["updated_at"]) == (
        "READ", "2026-01-01T00:00:08.000Z", "2026-01-01T00:00:08.000Z")


async def test_read_receipts_off_finalises_at_delivered(sim: Sim) -> None:
    sent = await send(sim, GOVSG, wa("6580000002"))
    await sim.advance(86400)
    now = await fetch(sim, GOVSG, sent["id"])
    assert (now["status"], now["read_at"], now["delivered_at"]) == ("DELIVERED", None, "2026-01-01T00:00:03.000Z")


async def test_no_whatsapp_account_is_invalid_recipient_and_nothing_is_sent(sim: Sim) -> None:
    status, body = await call(sim, "POST", f"{GOVSG}/send", json=wa("+6580000001"))
    assert (status, body["code"]) == (400, "invalid_recipient")
    assert body["message"] == "Recipient is not a valid WhatsApp user. Recipient: +6580000001"
    await sim.advance(3600)
    status, listing = await call(sim, "GET", f"{GOVSG}?status=invalid_recipient")
    [row] = listing["data"]
    assert (row["status"], row["error_code"], row["error_description"]) == ("INVALID_RECIPIENT", "400",
                                                                            "invalid_recipient")
    assert (row["errored_at"], row["accepted_at"], row["sent_at"]) == ("2026-01-01T00:00:00.000Z", None, None)


@pytest.mark.parametrize(("code", "words"), [
    ("131026", "Message undeliverable"),
    ("131047", "24 hours"),
    ("131049", "healthy ecosystem engagement"),
    ("131050", "stop receiving marketing messages"),
    ("131056", "pair rate limit"),
    ("130429", "Rate limit hit"),
])
async def test_whatsapp_errors_after_sending(sim: Sim, code: str, words: str) -> None:
    sent = await send(sim, GOVSG, wa(f"+6580{code}"))
    assert sent["status"] == "ACCEPTED"
    await sim.advance(60)
    now = await fetch(sim, GOVSG, sent["id"])
    assert (now["status"], now["error_code"], now["sent_at"]) == ("ERROR", code, "2026-01-01T00:00:01.000Z")
    assert words in now["error_description"]
    assert (now["errored_at"], now["delivered_at"], now["read_at"]) == ("2026-01-01T00:00:03.000Z", None, None)


async def test_configured_templates_are_checked(make_sim: SimFactory) -> None:
    sim = await make_sim(TEMPLATES)

    async def refused(body: dict[str, Any]) -> tuple[int, Any]:
        return await call(sim, "POST", f"{GOVSG}/send", json=body)

    assert await refused(wa(template_id=999)) == (404, {"code": "not_found",
                                                        "message": "Template with ID 999 not found"})
    assert await refused(wa(language_code="ms")) == (
        400, {"code": "api_validation", "message": "Language Code ms not available on the template"})
    assert await refused(wa("12345")) == (
        400, {"code": "api_validation", "message": "recipient 12345 is not a valid phone number"})
    assert await refused(wa(params={})) == (
        400, {"code": "api_validation", "message": "No params provided; params needed for template 1001"})
    assert await refused(wa(template_id=1002)) == (
        400, {"code": "api_validation", "message": "Template 1002 does not accept any params"})
    assert await refused(wa(params={"name": "Tan", "date": ""})) == (
        400, {"code": "api_validation", "message": "Missing values for params date"})
    assert await refused(wa(params={"other": "x"})) == (
        400, {"code": "api_validation", "message": "Missing values for params name, date"})
    assert (await call(sim, "GET", GOVSG))[1]["data"] == []
    # en_GB is always allowed; extra params beside the required ones are accepted, as in the real code
    assert (await refused({"recipient": "91234567", "template_id": 1004}))[0] == 201
    assert (await refused(wa(params={"name": "Tan", "date": "1 May", "extra": "x"})))[0] == 201


async def test_open_mode_accepts_an_unknown_template_with_any_params(sim: Sim) -> None:
    body = await send(sim, GOVSG, {"recipient": "91234567", "template_id": "77", "params": {"x": "y"}})
    assert (body["template_id"], body["params"], body["language_code"]) == (77, {"x": "y"}, "en_GB")


@pytest.mark.parametrize(("body", "message"), [
    ({"template_id": 1001}, '"recipient" is required'),
    ({"recipient": 91234567, "template_id": 1001}, '"recipient" must be a string'),
    ({"recipient": "91234567"}, '"template_id" is required'),
    ({"recipient": "91234567", "template_id": 2 ** 53}, '"template_id" must be a safe number'),
    ({"recipient": "91234567", "template_id": "abc"}, '"template_id" must be a number'),
    (wa(language_code="fr"), '"language_code" must be one of [en_GB, zh_CN, ms, ta]'),
    (wa(params=["a"]), '"params" must be of type object'),
    (wa(params={"name": 1}), '"params.name" must be a string'),
    (wa(channel="sms"), '"channel" is not allowed'),
])
async def test_validation_messages(sim: Sim, body: dict[str, Any], message: str) -> None:
    assert await call(sim, "POST", f"{GOVSG}/send", json=body) == (400, {"code": "api_validation",
                                                                         "message": message})
