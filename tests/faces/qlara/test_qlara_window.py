"""WhatsApp's 24-hour customer-service window on the simulated clock."""

from __future__ import annotations

from tests.conftest import Sim
from tests.faces.qlara.helpers import KEY, open_window, send_whatsapp, status, template_body, text_body

WINDOW_TEXT = "24-hour customer service window has expired"


async def test_free_form_without_an_inbound_message_ends_in_error(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, text_body("+393401234567"))
    assert (await status(sim, message_id))["deliveryStatus"] == "UNKNOWN"
    await sim.advance(2)
    data = await status(sim, message_id)
    assert data["deliveryStatus"] == "ERROR"
    assert WINDOW_TEXT in data["deliveryStatusDescription"]
    assert data["errorCode"] == "131047"


async def test_an_inbound_message_opens_the_window_for_24_simulated_hours(sim: Sim) -> None:
    opened = await open_window(sim, "+39 340 123 4567")
    assert opened["windowClosesAt"] == "2026-01-02T00:00:00.000Z"
    assert opened["to"] == "+393409876543"
    await sim.advance(23 * 3600 + 3599)
    inside = await send_whatsapp(sim, text_body("+393401234567"))
    await sim.advance(1)
    outside = await send_whatsapp(sim, text_body("+393401234567"))
    await sim.advance(10)
    assert (await status(sim, inside))["deliveryStatus"] == "READ"
    assert (await status(sim, outside))["deliveryStatus"] == "ERROR"


async def test_a_new_inbound_message_reopens_the_window(sim: Sim) -> None:
    await open_window(sim, "+393401234567")
    await sim.advance(30 * 3600)
    await open_window(sim, "+393401234567")
    message_id = await send_whatsapp(sim, text_body("+393401234567"))
    await sim.advance(10)
    assert (await status(sim, message_id))["deliveryStatus"] == "READ"


async def test_templates_are_allowed_any_time(sim: Sim) -> None:
    message_id = await send_whatsapp(sim, template_body("+393401234567"))
    await sim.advance(10)
    assert (await status(sim, message_id))["deliveryStatus"] == "READ"


async def test_the_window_belongs_to_one_company(sim: Sim) -> None:
    await open_window(sim, "+393401234567", company="qlara-other")
    message_id = await send_whatsapp(sim, text_body("+393401234567"))
    await sim.advance(10)
    assert (await status(sim, message_id))["deliveryStatus"] == "ERROR"


async def test_inbound_by_api_key_and_bad_inbound_requests(sim: Sim) -> None:
    ok = await sim.client.post("/_sim/qlara/inbound", json={"apiKey": KEY["X-Api-Key"], "from": "+393401234567",
                                                            "to": 5})
    assert ok.status == 201
    for body in ({"from": "+393401234567"}, {"company": "nobody", "from": "+393401234567"},
                 {"company": "qlara-demo", "from": "abc"}, {"company": "qlara-demo", "from": "+393401234567", "to": 9},
                 {"company": "qlara-demo", "from": "+393401234567", "text": 5}):
        response = await sim.client.post("/_sim/qlara/inbound", json=body)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == "bad_request"
    response = await sim.client.post("/_sim/qlara/inbound", data=b"nope")
    assert response.status == 400


async def test_the_window_length_is_configurable(make_sim: object) -> None:
    sim = await make_sim("qlara:\n  window_hours: 1\n")  # type: ignore[operator]
    headers = {"X-Api-Key": "open-mode-key-0001"}
    response = await sim.client.post("/_sim/qlara/inbound", json={"apiKey": "open-mode-key-0001",
                                                                  "from": "+393401234567"})
    assert (await response.json())["windowClosesAt"] == "2026-01-01T01:00:00.000Z"
    await sim.advance(3601)
    body = {"destination": "+393401234567", "phoneNumberId": 1, "body": "hello"}
    message_id = await send_whatsapp(sim, body, headers)
    await sim.advance(5)
    assert (await status(sim, message_id, headers=headers))["deliveryStatus"] == "ERROR"


async def test_reset_forgets_the_windows(sim: Sim) -> None:
    await open_window(sim, "+393401234567")
    assert (await sim.client.post("/_sim/reset")).status == 200
    message_id = await send_whatsapp(sim, text_body("+393401234567"))
    await sim.advance(5)
    assert (await status(sim, message_id))["deliveryStatus"] == "ERROR"
