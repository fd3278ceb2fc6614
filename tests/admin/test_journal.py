"""The request journal over real HTTP: what it records, its filters, matcher, ring, resets and masking."""

from __future__ import annotations

import json
from typing import Any

from simulator import create_app
from simulator.clock import ManualClock
from simulator.telemetry.secrets import mask, mask_tenant
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, START, Sim, SimFactory, default_config
from tests.faces.qlara import helpers as qlara
from tests.faces.v1 import client as v1
from tests.faces.v2.helpers import auth, send, send_ok

MESSAGES = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"


async def journal(sim: Sim, query: str = "") -> dict[str, Any]:
    response = await sim.client.get(f"/_sim/requests{query}")
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_every_kind_of_request_is_recorded_newest_first(sim: Sim) -> None:
    sent = await send_ok(sim)
    await sim.client.get(f"{MESSAGES}/{sent['id']}", headers=auth())
    await sim.client.post(MESSAGES, headers=auth(), json={"recipient": "12"})  # refused: 400
    await sim.client.get(f"{MESSAGES}/{sent['id']}", headers=auth("key_wrong_0000000000"))  # 401
    await sim.client.get("/api/v3/messages")  # no route
    await sim.client.get("/_sim/clock")  # the control surface is not journaled
    page = await journal(sim)
    assert page["total"] == 5
    assert [(e["method"], e["status"], e["face"]) for e in page["data"]] == [
        ("GET", 404, None), ("GET", 401, "v2"), ("POST", 400, "v2"), ("GET", 200, "v2"), ("POST", 201, "v2")]
    created, read = page["data"][4], page["data"][3]
    assert created["message_ids"] == [sent["id"]] and read["message_ids"] == [sent["id"]]
    assert created["tenant"] == DEMO_CAMPAIGN and created["at"] == "2026-01-01T00:00:00.000Z"
    assert json.loads(created["body"])["recipient"] == "6591234567"
    assert json.loads(created["response_body"])["id"] == sent["id"]
    assert created["latency_ms"] >= 0 and created["fault"] is None and created["matched"] is True
    one = await sim.client.get(f"/_sim/requests/{created['id']}")
    assert (await one.json()) == created
    missing = await sim.client.get("/_sim/requests/req_99999999")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"


async def test_filters_paging_and_time_window(sim: Sim) -> None:
    await send_ok(sim)
    await sim.advance(10)
    await send_ok(sim, "6591234568")
    await sim.client.post(MESSAGES, headers=auth(), json={"recipient": "12"})
    await v1.call(sim, "GET", v1.SMS)
    assert (await journal(sim, "?face=v1"))["total"] == 1
    assert (await journal(sim, "?status=4xx"))["total"] == 1
    assert (await journal(sim, "?status=201&method=POST"))["total"] == 2
    assert (await journal(sim, "?path=/api/v2/*/messages"))["total"] == 3
    assert (await journal(sim, f"?tenant={DEMO_CAMPAIGN}"))["total"] == 3
    assert (await journal(sim, "?since=2026-01-01T00:00:05Z"))["total"] == 3
    assert (await journal(sim, "?until=2026-01-01T00:00:05Z"))["total"] == 1
    page = await journal(sim, "?limit=2&offset=1")
    assert page["total"] == 4 and len(page["data"]) == 2
    for bad in ("?status=4x", "?face=v3", "?since=yesterday", "?limit=0"):
        response = await sim.client.get(f"/_sim/requests{bad}")
        assert response.status == 400, bad
        assert (await response.json())["error"]["code"] == "bad_request"


async def test_count_with_a_matcher_and_the_unmatched_list(sim: Sim) -> None:
    await send_ok(sim)
    await send_ok(sim, "6597654321")
    await sim.client.get("/v2/campaigns/x/messages")  # a wrong base URL
    count = await sim.client.post("/_sim/requests/count", json={
        "face": "v2", "method": "POST", "path": "/api/v2/campaigns/*/messages", "status": "2xx",
        "tenant": DEMO_CAMPAIGN, "body_contains": "6597654321", "since": "2026-01-01T00:00:00Z"})
    assert (await count.json()) == {"count": 1}
    everything = await sim.client.post("/_sim/requests/count")
    assert (await everything.json()) == {"count": 3}
    misspelt = await sim.client.post("/_sim/requests/count", json={"stauts": 200})
    assert misspelt.status == 400 and "did you mean 'status'" in (await misspelt.json())["error"]["message"]
    unmatched = await sim.client.get("/_sim/requests/unmatched")
    data = (await unmatched.json())["data"]
    assert [(e["path"], e["face"]) for e in data] == [("/v2/campaigns/x/messages", None)]


async def test_faulted_answers_are_recorded_with_their_fault(make_sim: SimFactory) -> None:
    sim = await make_sim("""
faults:
  - name: outage
    match: {face: v2, method: POST}
    error: 503
""")
    response = await send(sim)
    assert response.status == 503
    entry = (await journal(sim))["data"][0]
    assert entry["status"] == 503 and entry["fault"] == "outage" and entry["face"] == "v2"


async def test_delete_and_tenant_scoped_reset(sim: Sim) -> None:
    await send_ok(sim)
    await v1.call(sim, "GET", v1.SMS)
    reset = await sim.client.post("/_sim/reset", json={"tenant": DEMO_CAMPAIGN})
    assert reset.status == 200
    left = await journal(sim)
    assert left["total"] == 1 and left["data"][0]["face"] == "v1"
    cleared = await sim.client.delete("/_sim/requests")
    assert (await cleared.json())["removed"] == 1
    assert (await journal(sim))["total"] == 0


async def test_the_ring_drops_the_oldest_and_counts_them(aiohttp_client: Any) -> None:
    app = create_app(default_config(), clock=ManualClock(start=START), seed=0, journal_size=3)
    sim = Sim(client=await aiohttp_client(app), clock=ManualClock(start=START), app=app)
    for _ in range(5):
        await sim.client.get("/api/v3/nothing")
    page = await journal(sim)
    assert page["total"] == 3 and page["dropped"] == 2 and page["size"] == 3
    assert [e["id"] for e in page["data"]] == ["req_00000005", "req_00000004", "req_00000003"]


async def test_size_zero_records_nothing(aiohttp_client: Any) -> None:
    app = create_app(default_config(), clock=ManualClock(start=START), seed=0, journal_size=0)
    client = await aiohttp_client(app)
    await client.get("/api/v3/nothing")
    assert (await (await client.get("/_sim/requests")).json())["total"] == 0


async def test_credentials_of_every_face_are_masked(sim: Sim) -> None:
    await send_ok(sim)
    await v1.call(sim, "GET", v1.SMS)
    await sim.client.get(f"{qlara.GATEWAY}/messages/history", headers=qlara.KEY)
    await sim.client.get(f"{qlara.GATEWAY}/messages/history", headers={"Authorization": qlara.DEMO_BASIC})
    await sim.client.post(f"{qlara.GATEWAY}/webhooks/delivery-status", headers=qlara.KEY,
                          json={"url": "https://example.com/hook", "secret": "s3cret-webhook-value"})
    await sim.client.get("/api/v2/nowhere", headers={"Proxy-Authorization": "Basic cHJveHk6cHJveHktc2VjcmV0"})
    everything = json.dumps(await journal(sim)) + json.dumps(await (await sim.client.get("/_sim/report")).json())
    basic_secret = qlara.DEMO_BASIC.split(" ", 1)[1]
    for secret in (DEMO_KEY, v1.KEY, qlara.DEMO_KEY, basic_secret, "demo-password", "s3cret-webhook-value",
                   "cHJveHk6cHJveHktc2VjcmV0"):
        assert secret not in everything, secret
    entries = (await journal(sim))["data"]
    assert entries[0]["headers"]["Proxy-Authorization"] == "Basic ****"
    assert entries[-1]["headers"]["Authorization"] == "Bearer key_****0001"
    assert entries[-2]["tenant"] == mask_tenant(v1.KEY) == "alice_v1_***"  # a v1 tenant is its key: its name part
    assert entries[-3]["headers"]["X-Api-Key"] == mask(qlara.DEMO_KEY)
    assert entries[-4]["headers"]["Authorization"] == "Basic ****"
    v1_only = await journal(sim, f"?tenant={v1.KEY}")  # the raw key still filters
    assert v1_only["total"] == 1
