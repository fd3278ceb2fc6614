"""Delivery-status webhook registration: one per company, HTTPS only (plain HTTP to local hosts)."""

from __future__ import annotations

import pytest

from tests.conftest import Sim
from tests.faces.qlara.helpers import GATEWAY, KEY, OTHER_KEY

HOOK = f"{GATEWAY}/webhooks/delivery-status"
URL = "https://receiver.example.com/qlara"
SUBS = "/_sim/webhooks"


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
    listing = await (await sim.client.get("/_sim/webhooks")).json()
    subs = {s["id"]: s for s in listing["data"]}
    assert {k: (s["url"], s["tenant"], s["format"], s["faces"], s["source"]) for k, s in subs.items()} == {
        "qlara:qlara-demo": (URL, "qlara-demo", "qlara", ["qlara"], "qlara"),
        "qlara:qlara-other": (URL + "/other", "qlara-other", "qlara", ["qlara"], "qlara")}
    assert subs["qlara:qlara-demo"]["channels"] == ["sms", "whatsapp"]


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


async def test_the_registration_is_the_dispatchers_subscription(sim: Sim) -> None:
    """One source of truth: a change through /_sim/webhooks shows in Qlara's GET, and the other way round."""
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    sub = SUBS + "/qlara:qlara-demo"
    await sim.advance(30)
    patched = await sim.client.patch(sub, json={"url": "http://127.0.0.1:9/patched"})
    assert patched.status == 200
    assert await (await sim.client.get(HOOK, headers=KEY)).json() == {
        "callbackUrl": "http://127.0.0.1:9/patched", "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:30.000Z"}
    await sim.client.put(HOOK, json={"callbackUrl": URL + "/v2"}, headers=KEY)
    assert (await (await sim.client.get(sub)).json())["url"] == URL + "/v2"
    assert (await sim.client.delete(sub)).status == 204
    assert (await sim.client.get(HOOK, headers=KEY)).status == 404
    assert (await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)).status == 201


async def test_put_re_enables_a_disabled_registration(sim: Sim) -> None:
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    await sim.client.patch(SUBS + "/qlara:qlara-demo", json={"enabled": False})
    assert (await (await sim.client.get(SUBS + "/qlara:qlara-demo")).json())["state"] == "disabled"
    assert (await sim.client.put(HOOK, json={"callbackUrl": URL + "/new"}, headers=KEY)).status == 200
    assert (await (await sim.client.get(SUBS + "/qlara:qlara-demo")).json())["state"] == "active"


async def test_reset_removes_registrations_but_keeps_simulator_subscriptions(sim: Sim) -> None:
    other = {"X-Api-Key": OTHER_KEY}
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=KEY)
    await sim.client.post(HOOK, json={"callbackUrl": URL}, headers=other)
    assert (await sim.client.post(SUBS, json={"id": "mine", "url": URL, "faces": ["qlara"]})).status == 201
    await sim.client.post("/_sim/reset", json={"tenant": "qlara-demo"})
    assert (await sim.client.get(HOOK, headers=KEY)).status == 404  # the company's API state is gone
    assert (await sim.client.get(HOOK, headers=other)).status == 200  # another company's is not
    await sim.client.post("/_sim/reset", json={})
    assert (await sim.client.get(HOOK, headers=other)).status == 404
    ids = [s["id"] for s in (await (await sim.client.get(SUBS)).json())["data"]]
    assert ids == ["mine"]  # subscriptions made through /_sim (or the CLI, the scenarios file) stay


async def test_webhook_endpoints_need_credentials(sim: Sim) -> None:
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = await sim.client.request(method, HOOK, json={"callbackUrl": URL})
        assert response.status == 401
