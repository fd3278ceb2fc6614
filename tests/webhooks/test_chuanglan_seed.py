"""Seed 003's details of the chuanglan event, from sends over the faces' real HTTP APIs to a real receiver on
loopback: `uid` in every event, `initiateType` by the Qlara 24 h window, and the SMECL:FAILED test number."""

from __future__ import annotations

from typing import Any

from simulator.webhooks import DISPATCHER
from tests.conftest import Sim
from tests.faces.qlara.helpers import open_window, send_whatsapp, template_body, text_body
from tests.faces.v1.client import GOVSG, send
from tests.webhooks.receiver import Receiver, start_receiver


async def subscribe(sim: Sim, aiohttp_server: Any, faces: list[str]) -> Receiver:
    receiver = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "chuanglan",
                                                             "faces": faces})
    assert response.status == 201, await response.text()
    return receiver


async def settle(sim: Sim, seconds: float) -> None:
    await sim.advance(seconds)
    await sim.app[DISPATCHER].drain()


def bodies(receiver: Receiver, phone: str) -> list[dict[str, Any]]:
    return [p.json["body"] for p in receiver.posts if p.json["body"]["sendPhone"] == phone]


def govsg(recipient: str) -> dict[str, Any]:
    return {"recipient": recipient, "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}}


async def test_govsg_events_carry_the_id_the_api_answered_as_uid(sim: Sim, aiohttp_server: Any) -> None:
    hook = await subscribe(sim, aiohttp_server, ["v1"])
    sent = await send(sim, GOVSG, govsg("+65 8123 4567"))
    await settle(sim, 30)
    events = bodies(hook, "6581234567")
    assert [e["status"] for e in events] == ["delivered", "read"]
    assert all(e["uid"] == str(sent["id"]) and e["id"] == str(sent["id"]) for e in events)
    # GovSG opens no conversation window: business-initiated
    assert events[0]["conversation"]["initiateType"] == "business_initiated"


async def test_qlara_events_carry_the_customer_message_id_as_uid(sim: Sim, aiohttp_server: Any) -> None:
    hook = await subscribe(sim, aiohttp_server, ["qlara"])
    await send_whatsapp(sim, template_body("+393401234567", messageId="order-7"))
    generated = await send_whatsapp(sim, template_body("+393407654321"))  # no messageId: the platform's id
    await settle(sim, 30)
    ours, theirs = bodies(hook, "393401234567"), bodies(hook, "393407654321")
    assert [e["status"] for e in ours] == ["delivered", "read"] and len(theirs) == 2
    assert {e["uid"] for e in ours} == {"order-7"}
    assert {e["uid"] for e in theirs} == {generated}


async def test_initiate_type_follows_the_window_the_recipient_opened(sim: Sim, aiohttp_server: Any) -> None:
    hook = await subscribe(sim, aiohttp_server, ["qlara"])
    await send_whatsapp(sim, template_body("+393400001111", messageId="cold"))  # nobody wrote: window shut
    await open_window(sim, "+393400002222")
    await sim.advance(3600)  # an hour into the recipient's 24 h window
    await send_whatsapp(sim, text_body("+393400002222", messageId="reply"))
    await send_whatsapp(sim, template_body("+393400002222", messageId="reply-template"))
    await settle(sim, 30)
    delivered = {e["uid"]: e for e in (p.json["body"] for p in hook.posts) if e["status"] == "delivered"}
    assert delivered["cold"]["conversation"]["initiateType"] == "business_initiated"
    assert delivered["reply"]["conversation"]["initiateType"] == "customer_initiated"
    assert delivered["reply-template"]["conversation"]["initiateType"] == "customer_initiated"


async def test_a_send_after_the_window_closed_is_business_initiated(sim: Sim, aiohttp_server: Any) -> None:
    hook = await subscribe(sim, aiohttp_server, ["qlara"])
    await open_window(sim, "+393400003333")
    await sim.advance(25 * 3600)
    await send_whatsapp(sim, template_body("+393400003333", messageId="late"))
    await settle(sim, 30)
    (delivered,) = [e for e in bodies(hook, "393400003333") if e["status"] == "delivered"]
    assert delivered["conversation"]["initiateType"] == "business_initiated"


async def test_the_smecl_test_number_fails_as_smecl(sim: Sim, aiohttp_server: Any) -> None:
    hook = await subscribe(sim, aiohttp_server, ["v1"])
    sent = await send(sim, GOVSG, govsg("6580000003"))
    await settle(sim, 30)
    (event,) = bodies(hook, "6580000003")
    assert event["status"] == "SMECL:FAILED" and event["uid"] == str(sent["id"])
    assert event["errorData"] == {"errorCode": "131026", "errorMessage": "Message undeliverable"}
    assert "conversation" not in event
