"""Postman v1 transactional SMS: send through a credential label, the Twilio-style lifecycle and the
SG test numbers mapped to Twilio error codes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Sim, SimFactory
from tests.faces.v1.client import KEY, SMS, call, fetch, send


def sms(recipient: str = "6591234567", **extra: Any) -> dict[str, Any]:
    return {"body": "Your OTP is 123456", "recipient": recipient, "label": "default", **extra}


async def test_send_returns_201_with_the_documented_fields(sim: Sim) -> None:
    body = await send(sim, SMS, sms(" +65 9123 4567 "))
    assert re.fullmatch(r"SM[0-9a-f]{32}", body.pop("message_id"))
    assert body == {
        "id": "1",
        "credentialsLabel": "default",
        "recipient": "+65 9123 4567",
        "body": "Your OTP is 123456",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "status": "UNSENT",  # the real send handler sets accepted_at but leaves the status
        "error_code": None,
        "accepted_at": "2026-01-01T00:00:00.000Z",
        "sent_at": None, "delivered_at": None, "errored_at": None,
    }


async def test_status_on_send_can_be_accepted_as_the_openapi_says(make_sim: SimFactory) -> None:
    sim = await make_sim("v1:\n  sms:\n    status_on_send: ACCEPTED\n"
                         "timelines:\n  t: [{after: 1, status: SENT}]\ndefaults:\n  v1.sms: t\n")
    body = await send(sim, SMS, sms())
    assert body["status"] == "ACCEPTED"
    await sim.advance(1)
    assert (await fetch(sim, SMS, body["id"]))["status"] == "SENT"


async def test_urlencoded_send_works_too(sim: Sim) -> None:
    status, body = await call(sim, "POST", f"{SMS}/send", data=sms())
    assert (status, body["recipient"]) == (201, "6591234567")


async def test_an_ordinary_number_is_sent_then_delivered(sim: Sim) -> None:
    sent = await send(sim, SMS, sms())
    await sim.advance(1)
    now = await fetch(sim, SMS, sent["id"])
    assert (now["status"], now["sent_at"], now["delivered_at"]) == ("SENT", "2026-01-01T00:00:01.000Z", None)
    await sim.advance(3)
    now = await fetch(sim, SMS, sent["id"])
    assert (now["status"], now["delivered_at"], now["error_code"], now["errored_at"]) == (
        "DELIVERED", "2026-01-01T00:00:04.000Z", None, None)


@pytest.mark.parametrize(("number", "code", "sent"), [
    ("6511111111", "30005", True),
    ("6511112222", "30003", True),
    ("6511113333", "30007", True),
    ("6511114444", "30006", True),
    ("6511115555", "30036", True),
    ("6511119999", "30008", True),
    ("+65 2222 2222", "30001", False),
])
async def test_sg_test_numbers_end_in_error_with_a_twilio_code(sim: Sim, number: str, code: str, sent: bool) -> None:
    message = await send(sim, SMS, sms(number))
    await sim.advance(60)
    now = await fetch(sim, SMS, message["id"])
    assert (now["status"], now["error_code"], now["delivered_at"]) == ("ERROR", code, None)
    assert now["errored_at"] == now["updated_at"] == "2026-01-01T00:00:04.000Z"
    assert (now["sent_at"] is not None) is sent


@pytest.mark.parametrize("recipient", ["abc", "12345", "+65 9123 456a", "6591234567890123",
                                       "+65９１２３４５６７"])  # full-width digits are not digits to a telco
async def test_an_invalid_number_is_invalid_recipient(sim: Sim, recipient: str) -> None:
    assert await call(sim, "POST", f"{SMS}/send", json=sms(recipient)) == (
        400, {"code": "invalid_recipient", "message": f"Phone number {recipient} is invalid"})
    assert (await call(sim, "GET", SMS))[1]["data"] == []


@pytest.mark.parametrize(("body", "message"), [
    ({"recipient": "6591234567", "label": "default"}, '"body" is required'),
    ({"body": "", "recipient": "6591234567", "label": "default"}, '"body" is not allowed to be empty'),
    ({"body": "hi", "label": "default"}, '"recipient" is required'),
    ({"body": "hi", "recipient": 6591234567, "label": "default"}, '"recipient" must be a string'),
    ({"body": "hi", "recipient": "6591234567"}, '"label" is required'),
    (sms(sender="Agency"), '"sender" is not allowed'),
])
async def test_validation_messages(sim: Sim, body: dict[str, Any], message: str) -> None:
    assert await call(sim, "POST", f"{SMS}/send", json=body) == (400, {"code": "api_validation", "message": message})


async def test_labels_name_configured_twilio_credentials(make_sim: SimFactory) -> None:
    sim = await make_sim(f"mode: strict\nv1:\n  keys: [{KEY}]\n"
                         "  sms:\n    credentials: [ops]\n    broken_credentials: [old]\n")
    assert (await call(sim, "POST", f"{SMS}/send", json=sms(label="ops")))[0] == 201
    assert await call(sim, "POST", f"{SMS}/send", json=sms(label="other")) == (
        400, {"code": "invalid_credentials", "message": "User credential cannot be found"})
    assert await call(sim, "POST", f"{SMS}/send", json=sms(label="old")) == (
        400, {"code": "invalid_credentials", "message": "Invalid Twilio credentials"})


async def test_open_mode_accepts_any_label_except_broken_ones(sim: Sim) -> None:
    assert (await send(sim, SMS, sms(label="anything")))["credentialsLabel"] == "anything"
    status, body = await call(sim, "POST", f"{SMS}/send", json=sms(label="expired-twilio"))
    assert (status, body["code"]) == (400, "invalid_credentials")
