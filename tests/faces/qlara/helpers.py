"""Shared bits for the Qlara tests: the demo companies' credentials and small request helpers."""

from __future__ import annotations

import base64
from typing import Any

from tests.conftest import Sim

DEMO_KEY = "qlara_demo_api_key_0000000001"
OTHER_KEY = "qlara_other_api_key_0000000002"
DEMO_BASIC = "Basic " + base64.b64encode(b"demo:demo-password").decode()
KEY = {"X-Api-Key": DEMO_KEY}
PHONE_ID = 5
SEND_WA = "/api/message-server/whatsapp/send"
SEND_SMS = "/api/message-server/sms/send"
GATEWAY = "/api/partner-gateway/v1"


def template_body(destination: str, **extra: Any) -> dict[str, Any]:
    body = {"destination": destination, "phoneNumberId": PHONE_ID,
            "template": {"id": 43, "parameters": ["Mario", "1 March"]}}
    body.update(extra)
    return body


def text_body(destination: str, text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    body = {"destination": destination, "phoneNumberId": PHONE_ID, "body": {"type": "text", "text": text}}
    body.update(extra)
    return body


async def send_whatsapp(sim: Sim, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    response = await sim.client.post(SEND_WA, json=body, headers=headers or KEY)
    assert response.status == 200, await response.text()
    data = await response.json()
    assert data["results"]["whatsapp"]["accepted"] is True
    message_id: str = data["messageId"]
    return message_id


async def send_sms(sim: Sim, destination: str, text: str = "Your code is 1234", **extra: Any) -> str:
    body = {"destination": destination, "sender": "TechStore", "body": text, **extra}
    response = await sim.client.post(SEND_SMS, json=body, headers=KEY)
    assert response.status == 200, await response.text()
    message_id: str = (await response.json())["messageId"]
    return message_id


async def status(sim: Sim, customer_id: str, channel: str = "WHATSAPP",
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await sim.client.get(f"{GATEWAY}/messages/status/{customer_id}", params={"channel": channel},
                                    headers=headers or KEY)
    assert response.status == 200, await response.text()
    data: dict[str, Any] = await response.json()
    return data


async def open_window(sim: Sim, recipient: str, company: str = "qlara-demo") -> dict[str, Any]:
    response = await sim.client.post("/_sim/qlara/inbound", json={"company": company, "from": recipient,
                                                                   "text": "Hi, I have a question"})
    assert response.status == 201, await response.text()
    data: dict[str, Any] = await response.json()
    return data
