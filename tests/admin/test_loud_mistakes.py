"""Mistakes a new user makes, answered loudly over real HTTP (issue 15 section 2): a misspelt section in a
reloaded file, the clock's lead over wall time, v1 keys in webhooks and logs, the docs' repeated 401 note."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from simulator.telemetry.logs import LineFormatter
from simulator.webhooks import DISPATCHER
from tests.conftest import Sim, SimFactory
from tests.faces.v1.client import KEY, SMS, send
from tests.webhooks.receiver import start_receiver


@pytest.mark.parametrize(("section", "expected"), [
    ("webhook", "unknown top-level key ['webhook']; did you mean 'webhooks'?"),
    ("v3", "unknown top-level key ['v3']"),
])
async def test_a_reload_with_an_unknown_section_is_refused_with_a_did_you_mean(sim: Sim, section: str,
                                                                              expected: str) -> None:
    answer = await sim.client.post("/_sim/scenarios/reload", data=f"version: 1\n{section}:\n  max_in_flight: 2\n")
    assert answer.status == 422, await answer.text()
    body = await answer.json()
    assert expected in str(body)
    assert "line 2, column 1" in str(body)  # where the section starts


async def test_a_reload_with_another_tools_scenarios_file_says_what_was_expected(sim: Sim) -> None:
    answer = await sim.client.post("/_sim/scenarios/reload",
                                   data="scenarios: [{name: login load test, users: 50}]\n")
    assert answer.status == 422
    text = str(await answer.json())
    assert "not a postman-sim scenarios file" in text and "it has scenarios" in text
    assert "expected `version: 1`" in text and "webhooks" in text and "rules" in text


async def test_the_clock_says_how_far_it_is_ahead_of_wall_time(sim: Sim) -> None:
    before = await (await sim.client.get("/_sim/clock")).json()
    advanced = await sim.advance(3600)
    assert advanced["offset"] == pytest.approx(before["offset"] + 3600, abs=5)
    after = await (await sim.client.get("/_sim/clock")).json()
    assert after["offset"] == pytest.approx(advanced["offset"], abs=5)
    assert "note" not in advanced  # a manual clock has no wall time to keep up with


async def test_the_standard_webhook_masks_a_v1_tenant(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim()
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    subscribed = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "standard",
                                                               "faces": ["v1"], "channels": ["sms"]})
    assert subscribed.status == 201, await subscribed.text()
    await send(sim, SMS, {"body": "b", "recipient": "6591234567", "label": "default"})
    await sim.advance(30)
    await sim.app[DISPATCHER].drain()
    assert hook.posts
    assert {post.json["data"]["tenant"] for post in hook.posts} == {"alice_v1_***"}
    assert not any(KEY.split("_")[2].encode() in post.body for post in hook.posts)


async def test_status_log_lines_mask_a_v1_tenant(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="postman_sim.status"):
        await send(sim, SMS, {"body": "b", "recipient": "6591234567", "label": "default"})
        await sim.advance(30)
    lines = [LineFormatter(json_lines=json_lines).format(record) for record in caplog.records
             for json_lines in (False, True)]
    assert any("tenant=alice_v1_***" in line for line in lines)
    assert any('"tenant": "alice_v1_***"' in line for line in lines)
    assert not any(KEY in line or KEY.split("_")[2] in line for line in lines)


async def test_the_docs_page_shows_the_legacy_401_note_once(sim: Sim) -> None:
    page = await (await sim.client.get("/_sim/docs")).text()
    assert page.count("may use the legacy") == 1
