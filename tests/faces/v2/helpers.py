"""Small helpers for the v2 tests: authenticated calls against /api/v2 over real HTTP."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, Sim


def auth(key: str = DEMO_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def send(sim: Sim, recipient: str = "6591234567", *, campaign: str = DEMO_CAMPAIGN, key: str = DEMO_KEY,
               language: str = "english", values: dict[str, Any] | None = None) -> ClientResponse:
    if values is None:
        values = {"name": "Tan", "date": "1 Dec"} if campaign == DEMO_CAMPAIGN else {"body": "hello"}
    return await sim.client.post(f"/api/v2/campaigns/{campaign}/messages", headers=auth(key),
                                 json={"recipient": recipient, "language": language, "values": values})


async def send_ok(sim: Sim, recipient: str = "6591234567", **kwargs: Any) -> dict[str, Any]:
    response = await send(sim, recipient, **kwargs)
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def get_message(sim: Sim, message_id: str, *, campaign: str = DEMO_CAMPAIGN,
                      key: str = DEMO_KEY) -> dict[str, Any]:
    response = await sim.client.get(f"/api/v2/campaigns/{campaign}/messages/{message_id}", headers=auth(key))
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def error_of(response: ClientResponse, status: int) -> dict[str, Any]:
    """Assert the status and the documented v2 error envelope; return the inner error."""
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "type", "id"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error
