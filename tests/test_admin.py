"""The /_sim control surface: health, clock, reset and the journal."""

from __future__ import annotations

from tests.conftest import START, Sim


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
