"""Payload formats as receivers see them: the seed's chuanglan event, Meta statuses, Qlara events."""

from __future__ import annotations

import re
from typing import Any

from simulator.core.models import Facts
from tests.conftest import START, Sim, SimFactory
from tests.webhooks.receiver import Receiver, start_receiver

SCENARIOS = """
timelines:
  wa: [{after: 0, status: ACCEPTED}, {after: 1, status: SENT}, {after: 2, status: DELIVERED}, {after: 5, status: READ}]
  ql: [{after: 1, status: SENT}, {after: 1, status: RECEIVED}, {after: 1, status: DELIVERED},
       {after: 5, status: READ}]
  ql_sms: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}]
  v2: [{after: 1, status: sent}, {after: 1, status: success}]
rules:
  - name: media failure
    match: {face: v1, channel: whatsapp, recipient: "6590000014"}
    steps:
      - {after: 1, status: SENT}
      - {after: 1, status: ERROR,
         error: {code: "131014", description: "Request for url https://URL.jpg failed with error: 404 (Not Found)"}}
  - name: not on whatsapp
    match: {face: v1, channel: whatsapp, recipient: "6590000026"}
    steps: [{after: 1, status: INVALID_RECIPIENT}]
  - name: smecl
    match: {face: v1, channel: whatsapp, recipient: "6590000099"}
    steps:
      - {after: 1, status: ERROR, error: {type: "SMECL:FAILED", code: "131026", description: "Message undeliverable"}}
  - name: healthy ecosystem
    match: {face: v1, channel: whatsapp, recipient: "6590000049"}
    steps: [{after: 1, status: SENT}, {after: 1, status: ERROR, error: {code: "131049"}}]
  - name: qlara error
    match: {face: qlara, channel: whatsapp, recipient: "393400000000"}
    steps: [{after: 1, status: ERROR, error: {code: "131047", description: "24-hour window expired"}}]
  - name: qlara expired
    match: {face: qlara, channel: sms, recipient: "393411111111"}
    steps: [{after: 1, status: SENT}, {after: 60, status: EXPIRED}]
defaults: {v1.whatsapp: wa, qlara.whatsapp: ql, qlara.sms: ql_sms, v2.sms: v2}
"""
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def setup(make_sim: SimFactory, aiohttp_server: Any, **spec: Any) -> tuple[Sim, Receiver]:
    sim = await make_sim(SCENARIOS)
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post("/_sim/webhooks", json={"url": hook.url, **spec})
    assert response.status == 201, await response.text()
    return sim, hook


def whatsapp(sim: Sim, recipient: str, face: str = "v1", **facts: Any) -> str:
    return sim.engine.accept(face=face, channel="whatsapp", tenant="moh", recipient=recipient, payload={},
                             facts=Facts(**{"wamid": f"wamid.HBgL{recipient}", **facts})).id


async def test_chuanglan_delivered_and_read_match_the_seed(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="chuanglan", account_name="IW123456")
    message_id = whatsapp(sim, "+65 9123 4567", uid="2002302023002010121")
    await sim.advance(10)
    delivered, read = (r.json for r in hook.posts)  # ACCEPTED and SENT are not in this format
    assert list(delivered) == ["id", "type", "eventTime", "body"]
    assert delivered["type"] == "whatsapp_message_status_updated" and ISO_MS_Z.match(delivered["eventTime"])
    assert delivered["eventTime"] == "2026-01-01T00:00:03.000Z"
    body = delivered["body"]
    assert list(body) == ["id", "accountName", "wabaId", "wamid", "status", "uid", "sendPhone", "conversation",
                          "currency"]
    assert body["id"] == message_id and body["accountName"] == "IW123456" and body["status"] == "delivered"
    assert body["wamid"] == "wamid.HBgL+65 9123 4567" and body["sendPhone"] == "6591234567"
    assert body["uid"] == "2002302023002010121" and body["currency"] == "USD"
    assert list(body["conversation"]) == ["id", "initiateType", "expireAt"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["conversation"]["id"])
    assert body["conversation"]["initiateType"] == "business_initiated"
    assert body["conversation"]["expireAt"] == "2026-01-02T00:00:03.000Z"
    assert read["body"]["status"] == "read" and read["id"] != delivered["id"]
    assert "conversation" not in read["body"] and "errorData" not in read["body"] and "currency" not in read["body"]


async def test_chuanglan_failures_carry_meta_codes(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="chuanglan")
    for recipient in ("6590000014", "6590000026", "6590000099"):
        whatsapp(sim, recipient)
    await sim.advance(5)
    by_phone = {r.json["body"]["sendPhone"]: r.json["body"] for r in hook.posts}
    assert by_phone["6590000014"]["status"] == "failed"
    assert by_phone["6590000014"]["errorData"] == {
        "errorCode": "131014", "errorMessage": "Request for url https://URL.jpg failed with error: 404 (Not Found)"}
    assert by_phone["6590000026"]["errorData"] == {"errorCode": "131026", "errorMessage": "Message undeliverable"}
    assert by_phone["6590000099"]["status"] == "SMECL:FAILED"
    assert by_phone["6590000099"]["errorData"]["errorCode"] == "131026"
    assert all("conversation" not in b and "accountName" in b for b in by_phone.values())


async def test_meta_statuses_notification(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="meta", waba_id="WABA1", phone_number_id="PN1",
                            display_phone_number="6560000000")
    whatsapp(sim, "6591234567", opaque="order-7")
    whatsapp(sim, "6590000049")
    await sim.advance(10)
    notes = [r.json for r in hook.posts]
    for note in notes:
        assert note["object"] == "whatsapp_business_account" and note["entry"][0]["id"] == "WABA1"
        change = note["entry"][0]["changes"][0]
        assert change["field"] == "messages" and change["value"]["messaging_product"] == "whatsapp"
        assert change["value"]["metadata"] == {"display_phone_number": "6560000000", "phone_number_id": "PN1"}
    statuses = [n["entry"][0]["changes"][0]["value"]["statuses"][0] for n in notes]
    good = [s for s in statuses if s["recipient_id"] == "6591234567"]
    assert [s["status"] for s in good] == ["sent", "delivered", "read"]
    assert [s["timestamp"] for s in good] == [str(int(START) + 1), str(int(START) + 3), str(int(START) + 8)]
    assert good[0]["id"] == "wamid.HBgL6591234567" and good[0]["biz_opaque_callback_data"] == "order-7"
    assert good[1]["pricing"] == {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    assert "pricing" not in good[2] and "conversation" not in good[1]
    (failed,) = [s for s in statuses if s["status"] == "failed"]
    assert "pricing" not in failed and "conversation" not in failed
    assert failed["errors"] == [{
        "code": 131049, "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "message": "This message was not delivered to maintain healthy ecosystem engagement.",
        "error_data": {"details": "This message was not delivered to maintain healthy ecosystem engagement."},
        "href": "/documentation/business-messaging/whatsapp/support/error-codes"}]


async def test_meta_conversation_based_pricing_shape(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="meta", pricing_model="CBP")
    whatsapp(sim, "6591234567")
    await sim.advance(3)
    sent, delivered = (r.json["entry"][0]["changes"][0]["value"]["statuses"][0] for r in hook.posts)
    assert sent["conversation"]["expiration_timestamp"] == str(int(START) + 1 + 86400)
    assert sent["conversation"]["origin"] == {"type": "utility"}
    assert "expiration_timestamp" not in delivered["conversation"]
    assert sent["conversation"]["id"] == delivered["conversation"]["id"]
    assert delivered["pricing"] == {"billable": True, "pricing_model": "CBP", "category": "utility"}


async def test_qlara_delivery_and_read_events(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="qlara", faces=["qlara"], channels=["whatsapp", "sms"])
    message_id = whatsapp(sim, "393401234567", face="qlara", customer_message_id="order-12345")
    whatsapp(sim, "393400000000", face="qlara")
    whatsapp(sim, "6591234567")  # a GovSG message: not for this subscription
    sms = sim.engine.accept(face="qlara", channel="sms", tenant="moh", recipient="393411111111", payload={}).id
    await sim.advance(100)
    events = [r.json for r in hook.posts]
    mine = [e for e in events if e["messageId"] == message_id]
    assert [(e["eventType"], e.get("statusCode")) for e in mine] == [
        ("DELIVERY", 1), ("DELIVERY", 2), ("DELIVERY", 3), ("READ", None)]
    assert mine[2] == {"eventType": "DELIVERY", "messageId": message_id, "customerMessageId": "order-12345",
                       "destination": "+393401234567", "statusCode": 3, "description": "Message delivered",
                       "channel": "WHATSAPP", "timestamp": "2026-01-01T00:00:03Z"}
    assert mine[3] == {"eventType": "READ", "messageId": message_id, "destination": "+393401234567",
                       "channel": "WHATSAPP", "timestamp": "2026-01-01T00:00:08Z"}
    (error,) = [e for e in events if e["destination"] == "+393400000000"]
    assert (error["statusCode"], error["description"], error["errorCode"]) == (4, "24-hour window expired", "131047")
    assert all("errorCode" not in e for e in mine)  # only failures carry it
    sms_events = [e for e in events if e["messageId"] == sms]
    assert [(e["channel"], e["statusCode"], e["description"]) for e in sms_events] == [
        ("SMS", 1, "Message sent"), ("SMS", 5, "Message expired")]
    assert all(e["destination"] != "+6591234567" for e in events)


async def test_filters_by_tenant_face_and_channel(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="chuanglan", tenant="moh", faces=["v1"])
    whatsapp(sim, "6591234567")
    sim.engine.accept(face="v1", channel="whatsapp", tenant="other", recipient="6592222222", payload={})
    whatsapp(sim, "6593333333", face="qlara")
    sim.engine.accept(face="v2", channel="sms", tenant="moh", recipient="6594444444", payload={})
    whatsapp(sim, "6595555555", notify=False)  # per-message opt-out
    await sim.advance(10)
    assert {r.json["body"]["sendPhone"] for r in hook.posts} == {"6591234567"}


async def test_sms_opt_in_needs_a_format_that_carries_sms(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim, hook = await setup(make_sim, aiohttp_server, format="standard", channels=["sms"], faces=["v2"])
    response = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "meta",
                                                             "channels": ["whatsapp", "sms"]})
    assert response.status == 400
    assert "cannot carry ['sms']" in (await response.json())["error"]["message"]
    message = sim.engine.accept(face="v2", channel="sms", tenant="c1", recipient="6591234567", payload={})
    await sim.advance(2)
    events = [r.json for r in hook.posts]
    assert [e["data"]["status"] for e in events] == ["created", "sent", "success"]
    assert [e["data"]["canonical_status"] for e in events] == [None, "sent", "delivered"]
    assert events[2] == {"type": "message.status.updated", "timestamp": "2026-01-01T00:00:02.000Z",
                         "data": {"message_id": message.id, "journal_id": message.id, "face": "v2", "channel": "sms",
                                  "tenant": "c1",
                                  "recipient": "6591234567", "status": "success", "previous_status": "sent",
                                  "canonical_status": "delivered", "error": None}}
