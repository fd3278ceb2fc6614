"""Qlara delivery statuses over time: each documented status and the scenario that produces it."""

from __future__ import annotations

import pytest

from tests.conftest import START, Sim
from tests.faces.qlara.helpers import open_window, send_sms, send_whatsapp, status, template_body, text_body


async def test_template_message_walks_unknown_sent_delivered_read(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    first = await status(sim, message_id)
    assert first["customerMessageId"] == message_id
    assert first["deliveryStatus"] == "UNKNOWN"
    assert first["channel"] == "WHATSAPP"
    assert first["destination"] == "+393401234567"
    assert first["sendDate"] == "2026-01-01T00:00:00.000Z"
    assert first["deliveryDate"] is None
    seen = []
    for step in (1, 1, 4, 1):  # SENT at 0.5 s, DELIVERED at 2 s, READ at 7 s
        await sim.advance(step)
        seen.append((await status(sim, message_id))["deliveryStatus"])
    assert seen == ["SENT", "DELIVERED", "DELIVERED", "READ"]
    final = await status(sim, message_id)
    assert final["deliveryStatusDescription"] == "Message read"
    assert final["deliveryDate"] == "2026-01-01T00:00:02.000Z"
    assert final["readDate"] == "2026-01-01T00:00:07.000Z"


async def test_read_receipts_off_stays_delivered(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393400000001"))
    await sim.advance(3600)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "DELIVERED"
    assert data["readDate"] is None


async def test_device_offline_beyond_ttl_expires(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393400000002"))
    await sim.advance(29 * 86400)
    assert (await status(sim, message_id))["deliveryStatus"] == "SENT"
    await sim.advance(2 * 86400)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "EXPIRED"
    assert data["deliveryDate"] is None


@pytest.mark.parametrize(("recipient", "code", "words"), [
    ("+393400000003", "131026", "not registered on WhatsApp"),
    ("+393400000004", "131031", "restricted or banned"),
    ("+393400000005", "132001", "template was rejected"),
])
async def test_error_numbers_end_in_error_with_a_description(sim: Sim, recipient: str, code: str,
                                                             words: str) -> None:
    message_id = await send_whatsapp(sim, template_body(recipient))
    await sim.advance(5)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "ERROR"
    assert words in data["deliveryStatusDescription"]
    assert data["errorCode"] == code


async def test_a_template_that_is_not_approved_ends_in_error(sim: Sim) -> None:
    body = template_body("+393401234567", template={"name": "summer_promo", "parameters": ["20%"]})
    message_id = await send_whatsapp(sim, body)
    await sim.advance(5)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "ERROR"
    assert "template was rejected" in data["deliveryStatusDescription"]


async def test_a_restricted_account_fails_every_whatsapp_message(make_sim: object) -> None:
    yaml_text = """
mode: strict
qlara:
  companies:
    - {id: banned, api_keys: [banned_company_key_01], restricted: true}
"""
    sim = await make_sim(yaml_text)  # type: ignore[operator]
    headers = {"X-Api-Key": "banned_company_key_01"}
    message_id = await send_whatsapp(sim, {"destination": "+393401234567", "phoneNumberId": 1,
                                           "template": {"name": "hello_world", "parameters": ["Ada"]}}, headers)
    await sim.advance(5)
    data = await status(sim, message_id, headers=headers)
    assert data["deliveryStatus"] == "ERROR"
    assert data["deliveryStatusDescription"] == "The WhatsApp Business account has been restricted or banned"


async def test_received_is_an_intermediate_state(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393400000006"))
    await sim.advance(2)
    received = await status(sim, message_id)
    assert received["deliveryStatus"] == "RECEIVED"
    assert "not yet confirmed" in received["deliveryStatusDescription"]
    await sim.advance(10)
    assert (await status(sim, message_id))["deliveryStatus"] == "READ"


async def test_unknown_when_nothing_is_known(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393400000007"))
    await sim.advance(86400)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "UNKNOWN"
    assert data["deliveryStatusDescription"] == "No status information is available yet"


async def test_sms_is_delivered_and_never_read(sim: Sim) -> None:
    message_id = await send_sms(sim, "+393401234567")
    assert (await status(sim, message_id, "SMS"))["deliveryStatus"] == "UNKNOWN"
    await sim.advance(1)
    assert (await status(sim, message_id, "SMS"))["deliveryStatus"] == "SENT"
    await sim.advance(3600)
    data = await status(sim, message_id, "SMS")
    assert data["deliveryStatus"] == "DELIVERED"
    assert data["deliveryStatusDescription"] == "Message delivered"
    assert data["sender"] == "TechStore"
    assert "readDate" not in data


@pytest.mark.parametrize(("recipient", "advance", "expected"), [
    ("+393400000002", 3 * 86400, "EXPIRED"),
    ("+393400000003", 5, "ERROR"),
    ("+393400000004", 5, "ERROR"),
    ("+393400000006", 2, "RECEIVED"),
    ("+393400000007", 86400, "UNKNOWN"),
])
async def test_sms_test_numbers(sim: Sim, recipient: str, advance: float, expected: str) -> None:
    message_id = await send_sms(sim, recipient)
    await sim.advance(advance)
    assert (await status(sim, message_id, "SMS"))["deliveryStatus"] == expected


async def test_scheduled_sms_waits_for_its_date(sim: Sim) -> None:
    message_id = await send_sms(sim, "+393401234567", scheduledDate="2026-01-01 01:00:00.000+0000")
    await sim.advance(1800)
    assert (await status(sim, message_id, "SMS"))["deliveryStatus"] == "UNKNOWN"
    await sim.advance(1800 + 3)
    assert (await status(sim, message_id, "SMS"))["deliveryStatus"] == "DELIVERED"


async def test_whatsapp_messages_carry_a_wamid(sim: Sim) -> None:
    await open_window(sim, "+393401234567")
    message_id = await send_whatsapp(sim, text_body("+393401234567"))
    journal = await (await sim.client.get("/_sim/messages", params={"face": "qlara"})).json()
    entry = journal["data"][0]
    assert entry["payload"]["customerMessageId"] == message_id
    assert entry["payload"]["wamid"].startswith("wamid.")
    assert entry["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert sim.clock.now() == START
