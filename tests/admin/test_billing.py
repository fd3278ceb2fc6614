"""Billing by status (seed 002) over real HTTP: each journal message's "billing" and GET /_sim/billing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.test_openapi_responses import check
from tests.conftest import Sim
from tests.faces.qlara.helpers import send_sms as send_qlara_sms
from tests.faces.v1.client import SMS as V1_SMS
from tests.faces.v1.client import send as send_v1
from tests.faces.v2.helpers import auth, send_ok

# Open mode: a key and campaign of our own, whose template is {{body}}, so the test controls the text.
KEY = "key_test_billing"
CAMPAIGN = "campaign_0bb00000-0000-4000-8000-000000000001"
OTHER = "campaign_0bb00000-0000-4000-8000-000000000002"
FRAME = 152  # the test environment's prefix, header, separators and footer around {{body}}


async def send(sim: Sim, recipient: str = "6591234567", body: str = "hello", campaign: str = CAMPAIGN) -> str:
    key = KEY if campaign == CAMPAIGN else f"{KEY}_other"  # open mode: a key belongs to one campaign
    created = await send_ok(sim, recipient, campaign=campaign, key=key, values={"body": body})
    assert len(created["fullMessage"]) == FRAME + len(body)
    message_id: str = created["id"]
    return message_id


async def billing_of(sim: Sim, message_id: str) -> dict[str, Any]:
    body = await check(await sim.client.get(f"/_sim/messages/{message_id}"), "GET", "/_sim/messages/{id}", 200)
    billing: dict[str, Any] = body["billing"]
    return billing


async def summary(sim: Sim, query: str = "") -> dict[str, Any]:
    body: dict[str, Any] = await check(await sim.client.get(f"/_sim/billing{query}"), "GET", "/_sim/billing", 200)
    return body


async def retry(sim: Sim, message_id: str) -> None:
    response = await sim.client.post(f"/api/v2/campaigns/{CAMPAIGN}/messages/{message_id}/retry", headers=auth(KEY))
    assert response.status == 201, await response.text()


async def test_a_delivered_message_is_pending_then_charged_with_its_segments(sim: Sim) -> None:
    message_id = await send(sim, body="x" * 8)  # 160 GSM-7 characters in all
    assert await billing_of(sim, message_id) == {"charged": None, "segments": 1, "encoding": "GSM-7",
                                                 "chargedSegments": 0,
                                                 "attempts": [{"number": 1, "outcome": None, "charged": None}]}
    await sim.advance(10)
    assert await billing_of(sim, message_id) == {"charged": True, "segments": 1, "encoding": "GSM-7",
                                                 "chargedSegments": 1,
                                                 "attempts": [{"number": 1, "outcome": "success", "charged": True}]}


@pytest.mark.parametrize(("body", "segments", "encoding"), [
    ("x" * 9, 2, "GSM-7"),          # 161 characters
    ("x" * 6 + "€", 1, "GSM-7"),    # 159 characters, 160 septets: '€' counts two
    ("x" * 7 + "€", 2, "GSM-7"),    # 161 septets
    ("中", 3, "UCS-2"),              # 153 UTF-16 units: 67 + 67 + 19
    ("😀", 3, "UCS-2"),             # an emoji is two units
])
async def test_segments_and_encoding_follow_gsm_03_38(sim: Sim, body: str, segments: int, encoding: str) -> None:
    billing = await billing_of(sim, await send(sim, body=body))
    assert (billing["segments"], billing["encoding"]) == (segments, encoding)


@pytest.mark.parametrize(("recipient", "outcome", "charged"), [
    ("6511111111", "recipient_invalid", True),
    ("6511112222", "recipient_unavailable", True),
    ("6511113333", "content_invalid", True),
    ("6511114444", "routing_error", True),
    ("6511115555", "message_expired", True),
    ("6511119999", "delivery_unknown_error", False),
    ("6522222222", "server_unknown_error", False),
])
async def test_each_failure_is_charged_as_the_seed_table_says(sim: Sim, recipient: str, outcome: str,
                                                             charged: bool) -> None:
    message_id = await send(sim, recipient)
    await sim.advance(10)
    billing = await billing_of(sim, message_id)
    assert billing["charged"] is charged
    assert billing["attempts"] == [{"number": 1, "outcome": outcome, "charged": charged}]
    totals = (await summary(sim))["totals"]
    assert (totals["charged"], totals["notCharged"], totals["pending"]) == (int(charged), int(not charged), 0)


async def test_sent_to_telco_is_charged_for_a_foreign_number_and_pending_for_a_singapore_one(sim: Sim) -> None:
    foreign = await send(sim, "447911123456")
    local = await send(sim, "6591234567")
    await sim.advance(5)  # both at sent_to_telco; the Singapore one succeeds at 6 s
    assert (await billing_of(sim, foreign))["attempts"] == [{"number": 1, "outcome": "sent_to_telco",
                                                            "charged": True}]
    assert (await billing_of(sim, local))["charged"] is None
    body = await summary(sim)
    assert body["totals"]["pending"] == 1
    assert body["byOutcome"] == [{"outcome": "sent_to_telco", "messages": 1, "attempts": 1, "charged": 1,
                                  "segments": 1}]


async def test_each_retry_is_billed_by_its_own_outcome(sim: Sim) -> None:
    message_id = await send(sim, "6511112222", body="x" * 9)  # recipient_unavailable, 2 segments
    for _ in range(2):
        await sim.advance(10)
        await retry(sim, message_id)
    billing = await billing_of(sim, message_id)
    assert billing["charged"] is None                   # the third attempt is under way
    assert billing["chargedSegments"] == 4              # the first two were charged, 2 segments each
    await sim.advance(10)
    billing = await billing_of(sim, message_id)
    assert [a["charged"] for a in billing["attempts"]] == [True, True, True]
    assert billing["chargedSegments"] == 6
    unknown = await send(sim, "6522222222")
    await sim.advance(10)
    await retry(sim, unknown)
    await sim.advance(10)
    body = await summary(sim)
    assert body["totals"] == {"messages": 2, "attempts": 5, "charged": 3, "notCharged": 2, "pending": 0,
                              "segments": 8, "chargedSegments": 6}
    assert body["byOutcome"] == [
        {"outcome": "recipient_unavailable", "messages": 1, "attempts": 3, "charged": 3, "segments": 6},
        {"outcome": "server_unknown_error", "messages": 1, "attempts": 2, "charged": 0, "segments": 2},
    ]


async def test_v1_and_qlara_messages_are_not_billed(sim: Sim) -> None:
    await send_v1(sim, V1_SMS, {"body": "Your OTP is 123456", "recipient": "6591234567", "label": "default"})
    await send_qlara_sms(sim, "+393401234567")
    await sim.advance(60)
    listed = await check(await sim.client.get("/_sim/messages"), "GET", "/_sim/messages", 200)
    assert {m["face"]: m["billing"] for m in listed["data"]} == {"v1": None, "qlara": None}
    assert len(listed["data"]) == 2
    assert (await summary(sim))["totals"]["messages"] == 0


async def test_the_summary_filters_by_tenant_face_and_time(sim: Sim) -> None:
    """The fixture's clock starts at 2026-01-01T00:00:00Z; the second send is an hour later."""
    await send(sim)
    await sim.advance(3600)
    await send(sim, "6511119999", campaign=OTHER)
    await sim.advance(10)
    everything = (await summary(sim))["totals"]
    assert (everything["messages"], everything["charged"], everything["notCharged"]) == (2, 1, 1)
    assert (await summary(sim, f"?tenant={OTHER}"))["byOutcome"] == [
        {"outcome": "delivery_unknown_error", "messages": 1, "attempts": 1, "charged": 0, "segments": 1}]
    assert (await summary(sim, "?face=v1"))["totals"]["messages"] == 0
    assert (await summary(sim, "?face=v2"))["totals"]["messages"] == 2
    assert (await summary(sim, "?until=2026-01-01T00:30:00Z"))["totals"]["charged"] == 1
    later = (await summary(sim, "?since=2026-01-01T08:30:00%2B08:00"))["totals"]
    assert (later["messages"], later["charged"], later["notCharged"]) == (1, 0, 1)


@pytest.mark.parametrize(("query", "words"), [
    ("?face=v3", "face takes one of qlara, v1, v2"),
    ("?since=yesterday", "since must be an ISO 8601 date-time with its offset"),
    ("?since=2026-01-01", "since must be an ISO 8601 date-time with its offset"),
    ("?until=2026-13-01T00:00:00Z", "until must be an ISO 8601 date-time with its offset"),
    ("?tenat=x", "Unknown query parameter 'tenat'"),
])
async def test_a_bad_filter_is_a_400_that_says_why(sim: Sim, query: str, words: str) -> None:
    body = await check(await sim.client.get(f"/_sim/billing{query}"), "GET", "/_sim/billing", 400)
    assert body["error"]["code"] == "bad_request"
    assert words in body["error"]["message"]
