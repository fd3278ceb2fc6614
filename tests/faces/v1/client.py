"""Helpers for the Postman v1 face tests: keys (each is a tenant) and a send-and-read client."""

from __future__ import annotations

from typing import Any

from tests.conftest import Sim

KEY = "alice_v1_c2VjcmV0LWtleS1mb3ItYWxpY2UtMDAwMDAwMDAwMDAx"
OTHER_KEY = "bob_v1_c2VjcmV0LWtleS1mb3ItYm9iLTAwMDAwMDAwMDAwMDAwMDAx"
EMAIL = "/v1/transactional/email"
SMS = "/v1/transactional/sms"
GOVSG = "/v1/transactional/govsg"


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def call(sim: Sim, method: str, path: str, key: str = KEY, **kwargs: Any) -> tuple[int, Any]:
    """One request; returns (status, parsed JSON body)."""
    headers = {**auth(key), **kwargs.pop("headers", {})}
    response = await sim.client.request(method, path, headers=headers, **kwargs)
    return response.status, await response.json()


async def send(sim: Sim, path: str, body: dict[str, Any], key: str = KEY) -> dict[str, Any]:
    """A send that must succeed (201)."""
    status, data = await call(sim, "POST", f"{path}/send", key, json=body)
    assert status == 201, data
    assert isinstance(data, dict)
    return data


async def fetch(sim: Sim, path: str, message_id: str, key: str = KEY) -> dict[str, Any]:
    status, data = await call(sim, "GET", f"{path}/{message_id}", key)
    assert status == 200, data
    assert isinstance(data, dict)
    return data


def email_body(recipient: str = "user@example.com", **extra: Any) -> dict[str, Any]:
    return {"recipient": recipient, "subject": "Hello", "body": "<p>Hi there</p>", **extra}
