"""Delivery-status webhook registration: one per company, HTTPS only (plain HTTP to local hosts)."""

from __future__ import annotations

import pytest

from simulator.faces.qlara import QLARA_FACE
from tests.conftest import Sim
from tests.qlara_helpers import GATEWAY, KEY, OTHER_KEY

HOOK = f"{GATEWAY}/webhooks/delivery-status"
URL = "https://receiver.example.com/qlara"


async def test_create_read_update_delete(sim: Sim) -> None:
    created = await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    assert created.status == 201
    assert await created.json() == {"callbackUrl": URL, "createdAt": "2026-01-01T00:00:00.000Z",
                                    "updatedAt": "2026-01-01T00:00:00.000Z"}
    again = await sim.client.post(HOOK, json={"callbackUrl": URL + "2"}, headers=KEY)
    assert again.status == 409
    assert (await again.json())["message"] == "Webhook already configured"
    await sim.advance(60)
    updated = await sim.client.put(HOOK, json={"callbackUrl": "http://127.0.0.1:9/hook"}, headers=KEY)
    assert updated.status == 200
    assert (await updated.json())["updatedAt"] == "2026-01-01T00:01:00.000Z"
    read = await sim.client.get(HOOK, headers=KEY)
    assert (await read.json())["callbackUrl"] == "http://127.0.0.1:9/hook"
    deleted = await sim.client.delete(HOOK, headers=KEY)
    assert deleted.status == 204
    assert (await sim.client.get(HOOK, headers=KEY)).status == 404
    assert (await sim.client.delete(HOOK, headers=KEY)).status == 404


async def test_put_never_creates(sim: Sim) -> None:
    response = await sim.client.put(HOOK, json={"callbackUrl": URL}, headers=KEY)
    assert response.status == 404
    assert (await sim.client.get(HOOK, headers=KEY)).status == 404


async def test_one_webhook_per_company(sim: Sim) -> None:
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    other = {"X-Api-Key": OTHER_KEY}
    assert (await sim.client.get(HOOK, headers=other)).status == 404
    assert (await sim.client.post(HOOK, json={"callbackUrl": URL + "/other"}, headers=other)).status == 201
    face = sim.app[QLARA_FACE]
    assert face.webhooks.registrations() == {"qlara-demo": URL, "qlara-other": URL + "/other"}


@pytest.mark.parametrize(("body", "words"), [
    ({}, "callbackUrl is required"),
    ({"callbackUrl": 5}, "callbackUrl is required"),
    ({"callbackUrl": "http://receiver.example.com/hook"}, "HTTPS"),
    ({"callbackUrl": "ftp://receiver.example.com/hook"}, "HTTPS"),
    ({"callbackUrl": "/relative/path"}, "absolute URL"),
    ({"callbackUrl": "https://host:99999999/x"}, "valid URL"),
    ({"callbackUrl": "https://x.example.com/" + "a" * 3000}, "at most"),
])
async def test_bad_callback_urls_are_400(sim: Sim, body: dict[str, object], words: str) -> None:
    response = await sim.client.post(HOOK, json=body, headers=KEY)
    assert response.status == 400
    assert words in (await response.json())["message"]


@pytest.mark.parametrize("url", ["http://localhost:8000/hook", "http://127.0.0.1/hook", "http://[::1]:81/x"])
async def test_plain_http_is_allowed_to_local_receivers(sim: Sim, url: str) -> None:
    assert (await sim.client.post(HOOK, json={"callbackUrl": url}, headers=KEY)).status == 201


async def test_registrations_are_readable_and_announce_changes(sim: Sim) -> None:
    face = sim.app[QLARA_FACE]
    changes: list[tuple[str, str | None]] = []
    face.webhooks.on_change(lambda company, url: changes.append((company, url)))
    assert face.webhooks.webhook_for("qlara-demo") is None
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    assert face.webhooks.webhook_for("qlara-demo") == URL
    await sim.client.put(HOOK, json={"callbackUrl": URL + "/v2"}, headers=KEY)
    await sim.client.delete(HOOK, headers=KEY)
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    await sim.client.post("/_sim/reset", json={"tenant": "qlara-demo"})
    assert changes == [("qlara-demo", URL), ("qlara-demo", URL + "/v2"), ("qlara-demo", None),
                       ("qlara-demo", URL), ("qlara-demo", None)]
    assert face.webhooks.webhook_for("qlara-demo") is None


async def test_webhook_endpoints_need_credentials(sim: Sim) -> None:
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = await sim.client.request(method, HOOK, json={"callbackUrl": URL})
        assert response.status == 401
