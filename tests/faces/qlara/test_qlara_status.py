"""Qlara status lookups: channel rules, batch status (both spellings) and the paged history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Sim
from tests.faces.qlara.helpers import GATEWAY, KEY, send_sms, send_whatsapp, template_body

HISTORY = f"{GATEWAY}/messages/history"
DAY = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00+00:00"}


async def test_channel_is_required(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    response = await sim.client.get(f"{GATEWAY}/messages/status/{message_id}", headers=KEY)
    assert response.status == 400
    assert "'channel'" in (await response.json())["message"]


@pytest.mark.parametrize("channel", ["whatsapp", "EMAIL", ""])
async def test_a_channel_that_is_not_a_channel_key_is_400(sim: Sim, channel: str) -> None:
    response = await sim.client.get(f"{GATEWAY}/messages/status/x", params={"channel": channel}, headers=KEY)
    assert response.status == 400


@pytest.mark.parametrize("channel", ["SMS", "RCS"])
async def test_a_mismatched_channel_is_404(sim: Sim, channel: str) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    response = await sim.client.get(f"{GATEWAY}/messages/status/{message_id}", params={"channel": channel},
                                    headers=KEY)
    assert response.status == 404
    sms_id = await send_sms(sim, "+393401234567")
    response = await sim.client.get(f"{GATEWAY}/messages/status/{sms_id}", params={"channel": "WHATSAPP"},
                                    headers=KEY)
    assert response.status == 404


async def test_unknown_id_is_404(sim: Sim) -> None:
    response = await sim.client.get(f"{GATEWAY}/messages/status/nope", params={"channel": "SMS"}, headers=KEY)
    assert response.status == 404
    assert (await response.json())["message"] == "Message nope not found for channel SMS"


@pytest.mark.parametrize("param", ["ids", "customerMessageIds"])
async def test_batch_status_accepts_both_spellings_and_skips_unknown_ids(sim: Sim, param: str) -> None:
    first = await send_whatsapp(sim, template_body("+393401234567", messageId="a-1"))
    second = await send_whatsapp(sim, template_body("+393400000003", messageId="a-2"))
    await sim.advance(5)
    response = await sim.client.get(f"{GATEWAY}/messages/status", headers=KEY,
                                    params={param: f"{first},missing,{second},{first}", "channel": "WHATSAPP"})
    assert response.status == 200
    found = {m["customerMessageId"]: m["deliveryStatus"] for m in await response.json()}
    assert found == {"a-1": "DELIVERED", "a-2": "ERROR"}


async def test_batch_status_with_no_match_is_an_empty_list(sim: Sim) -> None:
    await send_sms(sim, "+393401234567", messageId="sms-1")
    response = await sim.client.get(f"{GATEWAY}/messages/status", headers=KEY,
                                    params={"ids": "sms-1", "channel": "WHATSAPP"})
    assert response.status == 200
    assert await response.json() == []


@pytest.mark.parametrize("params", [{"channel": "SMS"}, {"ids": "x"}])
async def test_batch_status_needs_ids_and_channel(sim: Sim, params: dict[str, str]) -> None:
    response = await sim.client.get(f"{GATEWAY}/messages/status", params=params, headers=KEY)
    assert response.status == 400


async def _history(sim: Sim, **params: Any) -> Any:
    response = await sim.client.get(HISTORY, params={"channel": "SMS", **DAY, **params}, headers=KEY)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_history_is_a_bare_array_paged_from_zero_newest_first(sim: Sim) -> None:
    ids = []
    for n in range(25):
        ids.append(await send_sms(sim, "+393401234567", messageId=f"m-{n:02d}"))
        await sim.advance(1)
    await send_whatsapp(sim, template_body("+393401234567"))
    first = await _history(sim)
    assert isinstance(first, list)
    assert len(first) == 20
    assert first[0]["customerMessageId"] == "m-24"
    second = await _history(sim, page="1")
    assert [m["customerMessageId"] for m in second] == [f"m-{n:02d}" for n in range(4, -1, -1)]
    assert await _history(sim, page="2") == []
    assert [m["customerMessageId"] for m in await _history(sim, limit="3", page="1")] == ["m-21", "m-20", "m-19"]


async def test_history_keeps_send_order_for_messages_sent_in_the_same_millisecond(sim: Sim) -> None:
    for n in range(12):
        await send_sms(sim, "+393401234567", messageId=f"m-{n:02d}")
    assert [m["customerMessageId"] for m in await _history(sim)] == [f"m-{n:02d}" for n in range(11, -1, -1)]
    assert [m["customerMessageId"] for m in await _history(sim, limit="5", page="1")] == [
        f"m-{n:02d}" for n in range(6, 1, -1)]


async def test_history_filters_by_send_date_inclusive_and_status(sim: Sim) -> None:
    await send_sms(sim, "+393401234567", messageId="early")
    await sim.advance(3600)
    await send_sms(sim, "+393400000003", messageId="failed")
    await sim.advance(10)
    window = {"from": "2026-01-01T01:00:00+00:00", "to": "2026-01-01T03:00:00+02:00"}
    assert [m["customerMessageId"] for m in await _history(sim, **window)] == ["failed"]
    assert [m["customerMessageId"] for m in await _history(sim, status="DELIVERED")] == ["early"]
    assert [m["customerMessageId"] for m in await _history(sim, status="ERROR")] == ["failed"]
    backwards = {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert await _history(sim, **backwards) == []


async def test_history_takes_any_qlara_status_on_any_channel(sim: Sim) -> None:
    await send_sms(sim, "+393401234567", messageId="sms-only")
    assert await _history(sim, channel="RCS", status="DELIVERED") == []
    assert await _history(sim, channel="SMS", status="READ") == []  # SMS never reaches READ
    response = await sim.client.get(HISTORY, params={"channel": "RCS", "status": "NOPE", **DAY}, headers=KEY)
    assert response.status == 400
    assert "expected one of DELIVERED, ERROR" in (await response.json())["message"]


@pytest.mark.parametrize(("params", "words"), [
    ({"from": "2026-01-01"}, "offset"),
    ({"from": "2026-01-01T00:00:00"}, "offset"),
    ({"from": "2026-01-01T00:00:00 01:00"}, "%2B"),
    ({"to": "2026-13-45T00:00:00Z"}, "not a valid date-time"),
    ({"from": ""}, "'from'"),
    ({"status": "READD"}, "status"),
    ({"page": "-1"}, "page"),
    ({"limit": "0"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"channel": "sms"}, "channel"),
])
async def test_history_parameter_rules_are_400s(sim: Sim, params: dict[str, str], words: str) -> None:
    response = await sim.client.get(HISTORY, params={"channel": "SMS", **DAY, **params}, headers=KEY)
    assert response.status == 400
    assert words in (await response.json())["message"]


async def test_history_accepts_read_for_whatsapp(sim: Sim) -> None:
    await send_whatsapp(sim, template_body("+393401234567"))
    await sim.advance(60)
    response = await sim.client.get(HISTORY, params={"channel": "WHATSAPP", "status": "READ", **DAY}, headers=KEY)
    assert len(await response.json()) == 1


async def test_the_gateway_answers_without_api_as_the_seed_writes_it(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    await sim.advance(10)
    with_api = await sim.client.get(f"{GATEWAY}/messages/status/{message_id}?channel=WHATSAPP", headers=KEY)
    bare = await sim.client.get(f"/partner-gateway/v1/messages/status/{message_id}?channel=WHATSAPP", headers=KEY)
    assert bare.status == with_api.status == 200
    assert await bare.json() == await with_api.json()
    unauthorized = await sim.client.get(f"/partner-gateway/v1/messages/status/{message_id}?channel=WHATSAPP")
    assert unauthorized.status == 401 and (await unauthorized.json())["status"] == 401
    history = await sim.client.get("/partner-gateway/v1/messages/history", params={"channel": "WHATSAPP", **DAY},
                                   headers=KEY)
    assert history.status == 200 and await history.json() == [await with_api.json()]
