"""Scenario features reach every face over real HTTP: seeded weights, per-recipient sequences, time windows."""

from __future__ import annotations

import pytest

from simulator import load_config
from tests.conftest import Sim, SimFactory, simulated_windows
from tests.faces.qlara.helpers import GATEWAY, SEND_SMS
from tests.faces.v1.client import EMAIL, SMS, email_body, fetch, send
from tests.scenarios.helpers import pack

QLARA = {"X-Api-Key": "qlara_pack_tests_key_0001"}  # open mode: its own company


async def v1_sms(sim: Sim, recipient: str = "6591234567") -> str:
    message_id: str = (await send(sim, SMS, {"body": "code 1234", "recipient": recipient, "label": "default"}))["id"]
    return message_id


async def qlara_sms(sim: Sim, destination: str = "+393401234567") -> str:
    body = {"destination": destination, "sender": "Shop", "body": "code 1234"}
    response = await sim.client.post(SEND_SMS, json=body, headers=QLARA)
    assert response.status == 200, await response.text()
    message_id: str = (await response.json())["messageId"]
    return message_id


async def qlara_status(sim: Sim, message_id: str) -> str:
    response = await sim.client.get(f"{GATEWAY}/messages/status/{message_id}", params={"channel": "SMS"},
                                    headers=QLARA)
    status: str = (await response.json())["deliveryStatus"]
    return status


async def test_weighted_email_outcomes_repeat_under_the_same_seed(make_sim: SimFactory) -> None:
    runs = []
    for seed in (42, 42, 7):
        sim = await make_sim(config=simulated_windows(load_config(pack("email-bounce-storm.yaml"))), seed=seed)
        ids = []
        for i in range(12):
            if i % 8 == 7:
                await sim.advance(1)  # stay under the 10 sends/s key limit
            ids.append((await send(sim, EMAIL, email_body(f"user{i}@example.com")))["id"])
        await sim.advance(600)
        runs.append([(await fetch(sim, EMAIL, i))["status"] for i in ids])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]  # another seed draws differently (12 draws of 4 outcomes)
    assert "BOUNCED" in runs[0]


async def test_per_recipient_sequences_count_v1_sends(make_sim: SimFactory) -> None:
    sim = await make_sim(config=load_config(pack("flaky-then-recovery.yaml")))
    first, second = await v1_sms(sim), await v1_sms(sim)
    other = await v1_sms(sim, "6598765432")
    await sim.advance(600)
    assert [(await fetch(sim, SMS, i))["status"] for i in (first, second, other)] == ["ERROR", "DELIVERED", "ERROR"]


async def test_outage_window_closes_for_v1_and_qlara(make_sim: SimFactory) -> None:
    sim = await make_sim(config=load_config(pack("telco-outage.yaml")))
    during = (await v1_sms(sim), await qlara_sms(sim))
    await sim.advance(12 * 60)
    after = (await v1_sms(sim), await qlara_sms(sim))
    await sim.advance(60)
    assert (await fetch(sim, SMS, during[0]))["status"] == "ERROR"
    assert await qlara_status(sim, during[1]) == "ERROR"
    assert (await fetch(sim, SMS, after[0]))["status"] == "DELIVERED"
    assert await qlara_status(sim, after[1]) == "DELIVERED"


async def test_a_pack_keeps_the_flows_and_numbers_it_does_not_change(make_sim: SimFactory) -> None:
    sim = await make_sim(config=load_config(pack("peak-hour-slow.yaml")))
    email = (await send(sim, EMAIL, email_body("bounce@simulator.amazonses.com")))["id"]
    await sim.advance(3600)
    assert (await fetch(sim, EMAIL, email))["status"] == "BOUNCED"  # from the bundled default, via extends


def test_extends_layers_over_a_file_beside_this_one(tmp_path) -> None:
    from simulator import ScenarioError, parse_config

    (tmp_path / "base.yaml").write_text("timelines: {quick: [{after: 1, status: success}]}\n"
                                        "defaults: {v2.sms: quick}\n", encoding="utf-8")
    pack_file = tmp_path / "pack.yaml"
    pack_file.write_text("extends: base.yaml\nrules:\n  - match: {face: v2, recipient: '6500000001'}\n"
                         "    timeline: quick\n", encoding="utf-8")
    config = load_config(pack_file)
    assert [r.name for r in config.scenarios.rules] == ["rules[0]"]
    assert config.scenarios.defaults["v2.sms"].steps[0].status == "success"
    with pytest.raises(ScenarioError, match="cannot read 'missing.yaml'"):
        parse_config("extends: missing.yaml\n", source=str(tmp_path / "x.yaml"))
