"""The /_sim control surface: health, clock, reset and the journal."""

from __future__ import annotations

from tests.conftest import START, Sim, SimFactory
from tests.faces.qlara.helpers import KEY as QLARA_KEY
from tests.faces.qlara.helpers import template_body


async def test_health_reports_ok_and_the_clock_kind(sim: Sim) -> None:
    response = await sim.client.get("/_sim/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["clock"] == "manual"


async def test_manual_clock_moves_only_when_advanced(sim: Sim) -> None:
    before = await (await sim.client.get("/_sim/clock")).json()
    assert before["epoch"] == START
    after = await sim.advance(90)
    assert after["epoch"] == START + 90
    assert after["now"] == "2026-01-01T00:01:30.000Z"


async def test_clock_cannot_go_backwards(sim: Sim) -> None:
    response = await sim.client.post("/_sim/clock/advance", json={"seconds": -1})
    assert response.status == 400
    response = await sim.client.post("/_sim/clock/set", json={"time": "2025-01-01T00:00:00Z"})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_clock_set_jumps_forward_to_an_instant(sim: Sim) -> None:
    response = await sim.client.post("/_sim/clock/set", json={"time": "2026-01-02T00:00:00Z"})
    assert response.status == 200
    assert (await response.json())["epoch"] == START + 86400


async def test_bad_admin_body_is_a_400_not_a_500(sim: Sim) -> None:
    response = await sim.client.post("/_sim/clock/advance", data=b"{nope")
    assert response.status == 400
    response = await sim.client.post("/_sim/clock/advance", json={"seconds": "ten"})
    assert response.status == 400


async def _send(sim: Sim, campaign: str, key: str, recipient: str = "6591234567") -> str:
    body = {"recipient": recipient, "language": "english", "values": {"body": "x"}}
    response = await sim.client.post(f"/api/v2/campaigns/{campaign}/messages",
                                     headers={"Authorization": f"Bearer {key}"}, json=body)
    assert response.status == 201, await response.text()
    message_id: str = (await response.json())["id"]
    return message_id


CAMPAIGN_A = "campaign_aaaaaaaa-0000-4000-8000-000000000001"
CAMPAIGN_B = "campaign_bbbbbbbb-0000-4000-8000-000000000002"


async def test_reset_one_tenant_keeps_the_others(sim: Sim) -> None:
    a = await _send(sim, CAMPAIGN_A, "key_test_a")
    b = await _send(sim, CAMPAIGN_B, "key_test_b")
    response = await sim.client.post("/_sim/reset", json={"tenant": CAMPAIGN_A})
    assert (await response.json())["removed"] == 1
    assert (await sim.client.get(f"/_sim/messages/{a}")).status == 404
    assert (await sim.client.get(f"/_sim/messages/{b}")).status == 200
    await sim.advance(60)  # the removed message's pending transitions do nothing
    assert (await (await sim.client.get(f"/_sim/messages/{b}")).json())["status"] == "success"


async def test_reset_all_forgets_everything_and_restarts_ids_from_the_seed(sim: Sim) -> None:
    first = await _send(sim, CAMPAIGN_A, "key_test_a")
    response = await sim.client.post("/_sim/reset")
    assert (await response.json())["removed"] == 1
    journal = await (await sim.client.get("/_sim/messages")).json()
    assert journal["total"] == 0
    assert await _send(sim, CAMPAIGN_A, "key_test_a") == first


async def test_journal_filters_across_tenants_and_statuses(sim: Sim) -> None:
    await _send(sim, CAMPAIGN_A, "key_test_a", "6511111111")
    await _send(sim, CAMPAIGN_A, "key_test_a", "6591234567")
    await _send(sim, CAMPAIGN_B, "key_test_b", "6591234567")
    await sim.advance(60)
    journal = await (await sim.client.get("/_sim/messages", params={"status": "failure"})).json()
    assert [m["recipient"] for m in journal["data"]] == ["6511111111"]
    assert journal["data"][0]["attempts"][0]["history"][-1]["error"]["code"] == "recipient_invalid"
    journal = await (await sim.client.get("/_sim/messages", params={"recipient": "6591234567",
                                                                    "tenant": CAMPAIGN_B})).json()
    assert journal["total"] == 1 and journal["data"][0]["face"] == "v2"
    journal = await (await sim.client.get("/_sim/messages", params={"face": "v2", "limit": "2"})).json()
    assert journal["total"] == 3 and len(journal["data"]) == 2 and journal["hasMore"] is True


async def test_forcing_a_status_is_recorded_and_stops_the_plan(sim: Sim) -> None:
    message_id = await _send(sim, CAMPAIGN_A, "key_test_a")
    response = await sim.client.post(f"/_sim/messages/{message_id}/status", json={
        "status": "failure", "error": {"type": "delivery_error", "code": "routing_error"}})
    assert response.status == 200
    await sim.advance(60)
    message = await (await sim.client.get(f"/api/v2/campaigns/{CAMPAIGN_A}/messages/{message_id}",
                                          headers={"Authorization": "Bearer key_test_a"})).json()
    assert message["latestStatus"] == "failure"
    assert message["attempts"][0]["error"] == {"type": "delivery_error", "code": "routing_error"}
    journal = await (await sim.client.get(f"/_sim/messages/{message_id}")).json()
    assert journal["attempts"][0]["history"][-1]["forced"] is True
    bad = await sim.client.post(f"/_sim/messages/{message_id}/status", json={"status": "DELIVERED"})
    assert bad.status == 400
    missing = await sim.client.post("/_sim/messages/nope/status", json={"status": "success"})
    assert missing.status == 404


async def test_dashboard_page_is_served_and_uses_only_the_public_api(sim: Sim) -> None:
    response = await sim.client.get("/_sim/dashboard")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert "/_sim/messages" in page and "/_sim/clock/advance" in page
    assert "http://" not in page and "https://" not in page  # no CDN: works offline


async def test_absurd_clock_moves_are_refused_and_the_server_keeps_working(sim: Sim) -> None:
    assert (await sim.client.post("/_sim/clock/advance", json={"seconds": 1e300})).status == 400
    assert (await sim.client.post("/_sim/clock/set", json={"epoch": 1e20})).status == 400
    raw = await sim.client.post("/_sim/clock/advance", data=b'{"seconds": 1e400}',
                                headers={"Content-Type": "application/json"})  # JSON infinity
    assert raw.status == 400
    # The last instant every format prints, v2's +08:00 included (a second later is 10000-01-01 in Singapore).
    assert (await sim.client.post("/_sim/clock/set", json={"time": "9999-12-31T16:00:00Z"})).status == 400
    assert (await sim.client.post("/_sim/clock/set", json={"time": "9999-12-31T15:59:59Z"})).status == 200
    assert (await sim.client.post("/_sim/clock/advance", json={"seconds": 1})).status == 400
    assert (await sim.client.get("/_sim/clock")).status == 200
    message_id = await _send(sim, CAMPAIGN_A, "key_test_a")  # a send at the end of time answers, and lists
    headers = {"Authorization": "Bearer key_test_a"}
    one = await sim.client.get(f"/api/v2/campaigns/{CAMPAIGN_A}/messages/{message_id}", headers=headers)
    assert (await one.json())["createdAt"] == "9999-12-31T23:59:59.000+08:00"
    assert (await sim.client.get(f"/api/v2/campaigns/{CAMPAIGN_A}/messages", headers=headers)).status == 200
    assert (await sim.client.get("/_sim/messages")).status == 200


async def test_a_step_due_past_the_end_of_time_never_breaks_a_listing(make_sim: SimFactory) -> None:
    sim = await make_sim("""version: 1
rules:
  - {name: never, match: {face: v2}, steps: [{after: 1.0e+300, status: sent}]}
""")
    message_id = await _send(sim, CAMPAIGN_A, "key_test_a")
    clock = await sim.client.get("/_sim/clock")
    assert clock.status == 200
    assert (await clock.json())["nextDue"] == "9999-12-31T15:59:59.000Z"  # printed at the last instant
    assert (await sim.client.get(f"/_sim/messages/{message_id}")).status == 200
    assert (await sim.client.get("/_sim/messages")).status == 200


async def test_a_forced_failure_without_an_error_gets_the_faces_generic_one(sim: Sim) -> None:
    message_id = await _send(sim, CAMPAIGN_A, "key_test_a")
    response = await sim.client.post(f"/_sim/messages/{message_id}/status", json={"status": "failure"})
    assert response.status == 200
    message = await (await sim.client.get(f"/api/v2/campaigns/{CAMPAIGN_A}/messages/{message_id}",
                                          headers={"Authorization": "Bearer key_test_a"})).json()
    assert message["attempts"][0]["error"] == {"type": "delivery_error", "code": "delivery_unknown_error"}
    bad = await sim.client.post(f"/_sim/messages/{message_id}/status",
                                json={"status": "failure", "error": {"code": "routing_error", "type": 7}})
    assert bad.status == 400


async def test_journal_finds_a_phone_recipient_in_any_spelling(sim: Sim) -> None:
    await _send(sim, CAMPAIGN_A, "key_test_a", "6580000001")
    response = await sim.client.post("/api/message-server/whatsapp/send", json=template_body("+6580000001"),
                                     headers=QLARA_KEY)
    assert response.status == 200, await response.text()
    await _send(sim, CAMPAIGN_A, "key_test_a", "6580000002")
    for spelling in ("+65 8000 0001", "6580000001", "+6580000001", "+65-8000-0001"):
        journal = await (await sim.client.get("/_sim/messages", params={"recipient": spelling})).json()
        assert journal["total"] == 2, spelling
        assert {m["face"] for m in journal["data"]} == {"v2", "qlara"}


async def test_the_control_surfaces_address_answers_with_where_to_go(sim: Sim) -> None:
    response = await sim.client.get("/_sim")
    assert response.status == 200
    index = await response.json()
    assert index["docs"] == "/_sim/docs" and index["dashboard"] == "/_sim/dashboard"
    assert "POST /_sim/clock/advance" in index["routes"] and "GET /_sim/webhooks" in index["routes"]
    for route in ("GET /_sim/health", "GET /_sim/requests"):
        assert route in index["routes"]
        assert (await sim.client.get(route.split(" ", 1)[1])).status == 200
