"""The Qlara webhook payloads the dispatcher will send, built from real status changes and inbound messages."""

from __future__ import annotations

from typing import Any

from simulator.faces.qlara import QLARA_FACE, Inbound, delivery_event, inbound_event
from tests.conftest import Sim
from tests.qlara_helpers import open_window, send_sms, send_whatsapp, template_body


def _collect(sim: Sim) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []

    def keep(event: Any) -> None:
        payload = delivery_event(event)
        if payload is not None:
            payloads.append(payload)

    sim.engine.events.subscribe(keep)
    return payloads


async def test_delivery_and_read_events_follow_the_documented_shapes(sim: Sim) -> None:
    payloads = _collect(sim)
    customer_id = await send_whatsapp(sim, template_body("+393401234567", messageId="order-12345"))
    await sim.advance(10)
    assert [p["eventType"] for p in payloads] == ["DELIVERY", "DELIVERY", "READ"]
    delivered = payloads[1]
    assert delivered == {"eventType": "DELIVERY", "messageId": delivered["messageId"],
                         "customerMessageId": customer_id, "destination": "+393401234567", "statusCode": 3,
                         "description": "Message delivered", "channel": "WHATSAPP",
                         "timestamp": "2026-01-01T00:00:02.000Z"}
    assert payloads[2] == {"eventType": "READ", "messageId": delivered["messageId"], "customerMessageId": customer_id,
                           "destination": "+393401234567", "channel": "WHATSAPP",
                           "timestamp": "2026-01-01T00:00:07.000Z"}


async def test_error_events_carry_the_reason_and_opt_out_is_respected(sim: Sim) -> None:
    payloads = _collect(sim)
    await send_sms(sim, "+393400000003")
    await send_sms(sim, "+393401234567", enableNotification=False)
    await sim.advance(10)
    assert len(payloads) == 1
    assert payloads[0]["statusCode"] == 4
    assert payloads[0]["description"] == "Invalid destination number"
    assert payloads[0]["errorCode"] == "INVALID_DESTINATION"
    assert payloads[0]["channel"] == "SMS"


async def test_inbound_messages_reach_inbound_hooks(sim: Sim) -> None:
    seen: list[Inbound] = []
    sim.app[QLARA_FACE].on_inbound(seen.append)
    await open_window(sim, "+393401234567")
    assert len(seen) == 1
    assert inbound_event(seen[0]) == {"eventType": "INBOUND", "source": "+393401234567",
                                      "destination": "+393409876543", "text": "Hi, I have a question",
                                      "channel": "WHATSAPP", "messageType": "TEXT",
                                      "timestamp": "2026-01-01T00:00:00.000Z"}
