"""Qlara's webhook events as a company's registered receiver gets them: DELIVERY, READ and INBOUND."""

from __future__ import annotations

from typing import Any

from simulator.webhooks import DISPATCHER
from tests.conftest import Sim
from tests.faces.qlara.helpers import GATEWAY, KEY, OTHER_KEY, open_window, send_sms, send_whatsapp, template_body
from tests.webhooks.receiver import Receiver, start_receiver

HOOK = f"{GATEWAY}/webhooks/delivery-status"


async def register(sim: Sim, aiohttp_server: Any, headers: dict[str, str] | None = None) -> Receiver:
    receiver = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post(HOOK, json={"callbackUrl": receiver.url}, headers=headers or KEY)
    assert response.status == 201, await response.text()
    return receiver


async def settle(sim: Sim, seconds: float = 0) -> None:
    """Advance the clock, then let attempts already under way finish."""
    await sim.advance(seconds)
    await sim.app[DISPATCHER].drain()


async def test_delivery_and_read_events_follow_the_documented_shapes(sim: Sim, aiohttp_server: Any) -> None:
    hook = await register(sim, aiohttp_server)
    customer_id = await send_whatsapp(sim, template_body("+393401234567", messageId="order-12345"))
    await settle(sim, 10)
    payloads = [r.json for r in hook.posts]
    assert [(p["eventType"], p.get("statusCode")) for p in payloads] == [("DELIVERY", 1), ("DELIVERY", 3),
                                                                         ("READ", None)]
    delivered = payloads[1]
    assert delivered == {"eventType": "DELIVERY", "messageId": delivered["messageId"],
                         "customerMessageId": customer_id, "destination": "+393401234567", "statusCode": 3,
                         "description": "Message delivered", "channel": "WHATSAPP",
                         "timestamp": "2026-01-01T00:00:02Z"}
    assert payloads[2] == {"eventType": "READ", "messageId": delivered["messageId"],
                           "destination": "+393401234567", "channel": "WHATSAPP",
                           "timestamp": "2026-01-01T00:00:07Z"}
    assert [r.at - sim.clock.now() + 10 for r in hook.posts] == [0.5, 2, 7]  # sent as each status happened


async def test_error_events_carry_the_reason_and_opt_out_is_respected(sim: Sim, aiohttp_server: Any) -> None:
    hook = await register(sim, aiohttp_server)
    await send_sms(sim, "+393400000003")
    await send_sms(sim, "+393401234567", enableNotification=False)
    await settle(sim, 10)
    (error,) = [r.json for r in hook.posts]
    assert error["statusCode"] == 4
    assert error["description"] == "Invalid destination number"
    assert error["errorCode"] == "INVALID_DESTINATION"
    assert error["channel"] == "SMS"


async def test_inbound_messages_reach_the_registered_webhook(sim: Sim, aiohttp_server: Any) -> None:
    other = await register(sim, aiohttp_server, {"X-Api-Key": OTHER_KEY})
    await open_window(sim, "+393401234567")  # before qlara-demo registers: nobody to tell
    await settle(sim)
    hook = await register(sim, aiohttp_server)
    await sim.advance(90)
    await open_window(sim, "+393401234567")
    await settle(sim)
    (inbound,) = [r.json for r in hook.posts]
    assert inbound == {"eventType": "INBOUND", "source": "+393401234567", "destination": "+393409876543",
                       "text": "Hi, I have a question", "channel": "WHATSAPP", "messageType": "TEXT",
                       "timestamp": "2026-01-01T00:01:30Z"}
    assert other.posts == []  # another company's receiver hears nothing of qlara-demo's inbound messages
    listing = await sim.client.get("/_sim/webhooks/events", params={"subscription_id": "qlara:qlara-demo"})
    (logged,) = (await listing.json())["data"]
    assert (logged["status"], logged["state"], logged["message_id"]) == ("INBOUND", "delivered", None)


async def test_inbound_events_are_retried_like_status_events(sim: Sim, aiohttp_server: Any) -> None:
    hook = await register(sim, aiohttp_server)
    hook.script = [503]
    await open_window(sim, "+393401234567")
    await settle(sim)
    await settle(sim, 10)  # the default schedule's second attempt is 5 s (±20%) later
    first, second = hook.posts
    assert first.body == second.body and 4 <= second.at - first.at <= 6
