"""Hot reload: POST /_sim/scenarios/reload and the file poller; in-flight plans kept; broken files rejected."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from simulator import load_config
from simulator.runtime.reload import SCENARIO_RUNTIME
from tests.conftest import Sim, SimFactory
from tests.faces.v2.helpers import get_message, send, send_ok
from tests.scenarios.helpers import with_campaign

SLOW_SUCCESS = with_campaign("""
defaults:
  v2.sms: {steps: [{after: 100, status: success}]}
""")
FAST_FAILURE = with_campaign("""
# reloaded
defaults:
  v2.sms:
    steps:
      - {after: 1, status: failure, error: {type: delivery_error, code: routing_error}}
""")
BROKEN = with_campaign("""
rules:
  - match: {face: v2, recipient: +6591234567}
    steps: [{status: success}]
""")


async def file_sim(make_sim: SimFactory, tmp_path: Path, text: str) -> tuple[Sim, Path]:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return await make_sim(config=load_config(path)), path


async def view(sim: Sim) -> dict:
    response = await sim.client.get("/_sim/scenarios")
    assert response.status == 200
    return await response.json()


async def test_reload_applies_to_new_messages_and_in_flight_ones_keep_their_plan(
        make_sim: SimFactory, tmp_path: Path) -> None:
    sim, path = await file_sim(make_sim, tmp_path, SLOW_SUCCESS)
    before = await send_ok(sim)
    await sim.advance(10)
    path.write_text(FAST_FAILURE, encoding="utf-8")
    response = await sim.client.post("/_sim/scenarios/reload")
    assert response.status == 200, await response.text()
    assert (await response.json())["reloads"] == 1
    after = await send_ok(sim)
    await sim.advance(200)
    assert (await get_message(sim, before["id"]))["latestStatus"] == "success"
    assert (await get_message(sim, after["id"]))["latestStatus"] == "failure"


async def test_broken_file_is_rejected_and_the_previous_scenarios_stay(
        make_sim: SimFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sim, path = await file_sim(make_sim, tmp_path, SLOW_SUCCESS)
    path.write_text(BROKEN, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="postman_sim.scenarios"):
        response = await sim.client.post("/_sim/scenarios/reload")
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "invalid_scenarios"
    assert error["problems"][0]["line"] == 12 and "quote this phone number" in error["problems"][0]["hint"]
    assert any("reload rejected" in r.getMessage() and "line 12" in r.getMessage() for r in caplog.records)
    state = await view(sim)
    assert state["reloads"] == 0
    assert "line 12" in state["lastError"]["problems"][0]
    created = await send_ok(sim)
    await sim.advance(99)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "created"
    await sim.advance(1)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "success"
    # Fixing the file clears the error.
    path.write_text(FAST_FAILURE, encoding="utf-8")
    assert (await sim.client.post("/_sim/scenarios/reload")).status == 200
    assert (await view(sim))["lastError"] is None


async def test_reload_from_the_request_body(make_sim: SimFactory) -> None:
    sim = await make_sim(SLOW_SUCCESS)
    response = await sim.client.post("/_sim/scenarios/reload", data=FAST_FAILURE.encode(),
                                     headers={"Content-Type": "application/yaml"})
    assert response.status == 200, await response.text()
    assert (await response.json())["loadedFrom"] == "request body"
    created = await send_ok(sim)
    await sim.advance(2)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "failure"
    # No file and no body: nothing to reload.
    response = await sim.client.post("/_sim/scenarios/reload")
    assert response.status == 422


async def test_reload_swaps_faults_too(make_sim: SimFactory) -> None:
    sim = await make_sim(SLOW_SUCCESS)
    assert (await send(sim)).status == 201
    faulty = SLOW_SUCCESS + "faults:\n  - {match: {face: v2}, error: 503}\n"
    assert (await sim.client.post("/_sim/scenarios/reload", data=faulty.encode())).status == 200
    assert (await send(sim)).status == 503
    assert [f["kind"] for f in (await view(sim))["faults"]] == ["http_503"]


async def test_poll_notices_a_changed_file(make_sim: SimFactory, tmp_path: Path) -> None:
    sim, path = await file_sim(make_sim, tmp_path, SLOW_SUCCESS)
    runtime = sim.app[SCENARIO_RUNTIME]
    assert runtime.poll() is None                     # unchanged: nothing to do
    path.write_text(FAST_FAILURE, encoding="utf-8")
    assert runtime.poll() is True
    assert runtime.poll() is None
    path.write_text(BROKEN, encoding="utf-8")
    assert runtime.poll() is False
    assert (await view(sim))["lastError"]["origin"] == "file changed"


async def test_view_lists_rules_defaults_and_source(make_sim: SimFactory, tmp_path: Path) -> None:
    sim, path = await file_sim(make_sim, tmp_path, SLOW_SUCCESS)
    state = await view(sim)
    assert state["source"] == str(path)
    assert state["version"] == 1 and state["hotReload"] is True
    assert state["defaults"] == {"v2.sms": "success after 100s"}


async def test_a_regex_that_backtracks_forever_gives_up_and_the_server_stays_responsive(
        make_sim: SimFactory, caplog: pytest.LogCaptureFixture) -> None:
    # (a|aa)+$ on "aaa...a!" backtracks exponentially: 40 a's took minutes with re, blocking every request.
    sim = await make_sim(with_campaign("""
rules:
  - name: catastrophic
    match: {face: v2, content_regex: "(a|aa)+$|MATCHME"}
    steps: [{after: 1, status: failure, error: {type: delivery_error, code: routing_error}}]
defaults:
  v2.sms: {steps: [{after: 1, status: success}]}
"""))
    started = asyncio.get_running_loop().time()
    message = await send_ok(sim, values={"name": "a" * 40 + "!", "date": "x"})
    assert asyncio.get_running_loop().time() - started < 2  # gave up: no match, not a stall
    await sim.advance(5)
    assert (await get_message(sim, message["id"]))["latestStatus"] == "success"
    assert any("content_regex" in r.getMessage() and "gave up" in r.getMessage() for r in caplog.records)
    # Having given up once, it matches nothing more (fifty such rules would otherwise cost a second a send).
    later = await send_ok(sim, values={"name": "MATCHME", "date": "x"})
    await sim.advance(5)
    assert (await get_message(sim, later["id"]))["latestStatus"] == "success"
