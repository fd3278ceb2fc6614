"""Qlara authentication and tenant isolation: X-Api-Key in any case, Basic, 401s, open and strict mode."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import Sim
from tests.faces.qlara.helpers import (
    DEMO_BASIC,
    DEMO_KEY,
    GATEWAY,
    KEY,
    OTHER_KEY,
    SEND_WA,
    send_whatsapp,
    status,
    template_body,
    text_body,
)

OTHER = {"X-Api-Key": OTHER_KEY}
PHONE_NUMBERS = "/api/message-server/whatsapp/phone-numbers"


@pytest.mark.parametrize("header", ["X-Api-Key", "X-API-Key", "x-api-key", "X-API-KEY"])
async def test_the_api_key_header_is_accepted_in_any_case(sim: Sim, header: str) -> None:
    response = await sim.client.get(PHONE_NUMBERS, headers={header: DEMO_KEY})
    assert response.status == 200
    assert (await response.json())["data"][0]["id"] == 5


async def test_basic_auth_is_accepted(sim: Sim) -> None:
    response = await sim.client.get(PHONE_NUMBERS, headers={"Authorization": DEMO_BASIC})
    assert response.status == 200


@pytest.mark.parametrize("headers", [
    {},
    {"X-Api-Key": ""},
    {"Authorization": "Basic " + base64.b64encode(b"demo:wrong").decode()},
    {"Authorization": "Basic !!!not-base64"},
    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    {"Authorization": "Bearer " + DEMO_KEY},
])
async def test_missing_or_invalid_credentials_are_401_in_spring_shape(sim: Sim, headers: dict[str, str]) -> None:
    response = await sim.client.post(SEND_WA, json=template_body("+393401234567"), headers=headers)
    assert response.status == 401
    body = await response.json()
    assert body == {"timestamp": "2026-01-01T00:00:00.000Z", "status": 401, "error": "Unauthorized",
                    "message": "Missing or invalid credentials", "path": SEND_WA}


async def test_strict_mode_refuses_unknown_keys(make_sim: object) -> None:
    sim = await make_sim("mode: strict\n")  # type: ignore[operator]
    response = await sim.client.get(PHONE_NUMBERS, headers={"X-Api-Key": "some_unknown_key_123"})
    assert response.status == 401


async def test_open_mode_makes_any_well_formed_key_its_own_company(sim: Sim) -> None:
    stranger = {"X-Api-Key": "my-own-test-key-42"}
    message_id = await send_whatsapp(sim, template_body("+393401234567"), stranger)
    assert (await status(sim, message_id, headers=stranger))["deliveryStatus"] == "UNKNOWN"
    response = await sim.client.get(f"{GATEWAY}/messages/status/{message_id}", params={"channel": "WHATSAPP"},
                                    headers=KEY)
    assert response.status == 404
    short = await sim.client.get(PHONE_NUMBERS, headers={"X-Api-Key": "short"})
    assert short.status == 401


async def test_open_mode_basic_user_is_its_own_company_and_keeps_its_password(sim: Sim) -> None:
    good = {"Authorization": "Basic " + base64.b64encode(b"newuser:s3cret").decode()}
    bad = {"Authorization": "Basic " + base64.b64encode(b"newuser:other").decode()}
    assert (await sim.client.get(PHONE_NUMBERS, headers=good)).status == 200
    assert (await sim.client.get(PHONE_NUMBERS, headers=bad)).status == 401


async def test_the_same_company_through_key_and_basic(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    data = await status(sim, message_id, headers={"Authorization": DEMO_BASIC})
    assert data["customerMessageId"] == message_id


async def test_another_companys_message_is_404_on_single_lookup(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    path = f"{GATEWAY}/messages/status/{message_id}"
    response = await sim.client.get(path, params={"channel": "WHATSAPP"}, headers=OTHER)
    assert response.status == 404
    body = await response.json()
    assert body["status"] == 404
    assert body["error"] == "Not Found"
    assert body["path"] == path


async def test_another_companys_messages_are_left_out_of_batch_and_history(sim: Sim) -> None:
    mine = await send_whatsapp(sim, template_body("+393401234567"), OTHER)
    theirs = await send_whatsapp(sim, template_body("+393401234568"))
    response = await sim.client.get(f"{GATEWAY}/messages/status",
                                    params={"ids": f"{mine},{theirs}", "channel": "WHATSAPP"}, headers=OTHER)
    assert response.status == 200
    assert [m["customerMessageId"] for m in await response.json()] == [mine]
    response = await sim.client.get(f"{GATEWAY}/messages/history", headers=OTHER, params={
        "channel": "WHATSAPP", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"})
    assert [m["customerMessageId"] for m in await response.json()] == [mine]


async def test_two_companies_may_use_the_same_client_message_id(sim: Sim) -> None:
    await send_whatsapp(sim, template_body("+393401234567", messageId="order-1"))
    await send_whatsapp(sim, template_body("+393400000007", messageId="order-1"), OTHER)
    await sim.advance(60)
    assert (await status(sim, "order-1"))["deliveryStatus"] == "READ"
    assert (await status(sim, "order-1", headers=OTHER))["deliveryStatus"] == "UNKNOWN"


async def test_an_open_mode_key_equal_to_a_configured_company_id_is_a_company_of_its_own(sim: Sim) -> None:
    demo_id = await send_whatsapp(sim, template_body("+393401234567"))
    hook = await sim.client.post(f"{GATEWAY}/webhooks/delivery-status", headers=KEY,
                                 json={"callbackUrl": "https://example.com/hook"})
    assert hook.status == 201, await hook.text()
    impostor = {"X-Api-Key": "qlara-demo"}
    response = await sim.client.get(f"{GATEWAY}/messages/status/{demo_id}", params={"channel": "WHATSAPP"},
                                    headers=impostor)
    assert response.status == 404
    response = await sim.client.get(f"{GATEWAY}/messages/history", headers=impostor, params={
        "channel": "WHATSAPP", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"})
    assert response.status == 200
    assert await response.json() == []
    response = await sim.client.get(f"{GATEWAY}/webhooks/delivery-status", headers=impostor)
    assert response.status == 404
    mine = await send_whatsapp(sim, template_body("+393401234567"), impostor)
    journal = await (await sim.client.get(f"/_sim/messages/{mine}")).json()
    assert journal["tenant"] == "key:qlara-demo"


async def test_sim_inbound_by_an_api_key_equal_to_a_configured_company_id_opens_no_window_for_it(sim: Sim) -> None:
    response = await sim.client.post("/_sim/qlara/inbound", json={"apiKey": "qlara-demo", "from": "+393401234567"})
    assert response.status == 201, await response.text()
    assert (await response.json())["company"] == "key:qlara-demo"
    message_id = await send_whatsapp(sim, text_body("+393401234567"))  # qlara-demo's window is still closed
    await sim.advance(10)
    assert (await status(sim, message_id))["deliveryStatus"] == "ERROR"
