"""The /_sim routes the dashboard reads: substring and class filters on /_sim/messages, /_sim/faces from the
registry, /_sim/requests?message_id and the keyless v2 retry."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, SimFactory

V2 = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}


async def _send(sim: Any) -> tuple[str, str]:
    one = await (await sim.client.post(V2, json={"recipient": "6581234567", "language": "english",
                                                  "values": {"name": "Tan", "date": "1 Dec"}}, headers=AUTH)).json()
    await sim.client.post("/v1/transactional/sms/send", json={"body": "Your OTP is 123456", "recipient": "6591234567",
                                                             "label": "default"},
                          headers={"Authorization": "Bearer qa_v1_c2VjcmV0"})
    return one["id"], "v1.sms.1"


async def _ids(sim: Any, query: str) -> list[str]:
    response = await sim.client.get("/_sim/messages?" + query)
    assert response.status == 200, await response.text()
    return [m["id"] for m in (await response.json())["data"]]


async def test_substring_and_class_filters(make_sim: SimFactory) -> None:
    sim = await make_sim()
    v2, v1 = await _send(sim)
    assert await _ids(sim, "recipient=6581") == []                    # the exact filter stays exact
    assert await _ids(sim, "recipient_contains=6581") == [v2]
    assert await _ids(sim, "recipient=%2B65%208123%204567&q=tan") == [v2]  # exact (any spelling) with a substring
    assert await _ids(sim, "content_contains=otp%20IS") == [v1]
    assert await _ids(sim, "tenant_contains=QA") == [v1]
    assert await _ids(sim, "rule_contains=DEFAULT%20V2") == [v2]
    assert await _ids(sim, "q=dear%20tan") == [v2]
    assert set(await _ids(sim, "status_class=in_flight")) == {v1, v2}
    await sim.client.post(f"/_sim/messages/{v1}/status", json={"status": "ERROR"})
    await sim.client.post(f"/_sim/messages/{v2}/status", json={"status": "failure"})
    assert set(await _ids(sim, "status_class=failure")) == {v1, v2}  # v1 ERROR and v2 failure in one search
    page = await (await sim.client.get("/_sim/messages?limit=1&count=none&status_class=failure")).json()
    assert page["total"] is None and page["hasMore"] is True and len(page["data"]) == 1
    indexed = await (await sim.client.get("/_sim/messages?limit=1&count=none&face=v1")).json()
    assert indexed["total"] == 1 and indexed["hasMore"] is False  # exact filters: counted by the indexes
    bad = await sim.client.get("/_sim/messages?status_class=fail")
    assert bad.status == 400 and "failure" in (await bad.json())["error"]["message"]


async def test_tenant_name_never_the_whole_key(make_sim: SimFactory) -> None:
    sim = await make_sim()
    await _send(sim)
    names = {m["face"]: m["tenantName"] for m in (await (await sim.client.get("/_sim/messages")).json())["data"]}
    assert names == {"v1": "qa", "v2": DEMO_CAMPAIGN}


async def test_faces_lists_each_vocabulary_and_the_v2_retry(make_sim: SimFactory) -> None:
    sim = await make_sim()
    faces = {f["id"]: f for f in (await (await sim.client.get("/_sim/faces")).json())["data"]}
    v2 = faces["v2"]["flows"][0]
    assert [s["name"] for s in v2["statuses"]][-2:] == ["success", "failure"]
    assert {s["name"]: s["class"] for s in v2["statuses"]}["failure"] == "failure"
    assert "recipient_unavailable" in v2["errorCodes"]
    assert {"method": "POST", "path": "/_sim/v2/messages/{id}/retry"} in faces["v2"]["adminRoutes"]
    v1_email = next(f for f in faces["v1"]["flows"] if f["channel"] == "email")
    assert {s["name"]: s["class"] for s in v1_email["statuses"]}["BOUNCED"] == "failure"


async def test_keyless_v2_retry_and_the_requests_of_a_message(make_sim: SimFactory) -> None:
    sim = await make_sim()
    v2, _ = await _send(sim)
    refused = await sim.client.post(f"/_sim/v2/messages/{v2}/retry")
    assert refused.status == 400
    assert (await refused.json())["error"]["code"] == "message_not_found_or_retry_message_not_in_failure_status"
    await sim.client.post(f"/_sim/messages/{v2}/status", json={"status": "failure"})
    retried = await sim.client.post(f"/_sim/v2/messages/{v2}/retry")
    assert retried.status == 201 and (await retried.json())["attempts"] == 2
    missing = await sim.client.post("/_sim/v2/messages/v1.sms.1/retry")
    assert missing.status == 404
    await sim.client.get(f"{V2}/{v2}", headers=AUTH)
    entries = (await (await sim.client.get(f"/_sim/requests?message_id={v2}")).json())["data"]
    assert [e["method"] for e in entries] == ["GET", "POST"]
