"""The integration report over real HTTP: for every rule, a client that breaks it (finding present,
evidence right) and one that does not; a clean client gets an empty report."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import create_app, parse_config
from tests.conftest import DEMO_CAMPAIGN, Sim, SimFactory
from tests.faces.qlara import helpers as qlara
from tests.faces.v2.helpers import auth, send, send_ok
from tests.webhooks.receiver import start_receiver

MESSAGES = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"


async def report(sim: Sim, query: str = "") -> dict[str, Any]:
    response = await sim.client.get(f"/_sim/report{query}")
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def findings(sim: Sim, rule: str) -> list[dict[str, Any]]:
    return [f for f in (await report(sim))["findings"] if f["rule"] == rule]


async def request_ids(sim: Sim) -> list[str]:
    """Journal ids, oldest first."""
    page = await (await sim.client.get("/_sim/requests")).json()
    return [e["id"] for e in reversed(page["data"])]


async def read(sim: Sim, message_id: str) -> str:
    """Read a message's status, as a client polls it."""
    response = await sim.client.get(f"{MESSAGES}/{message_id}", headers=auth())
    assert response.status == 200
    status: str = (await response.json())["latestStatus"]
    return status


async def test_a_clean_client_gets_an_empty_report(sim: Sim) -> None:
    sent = await send_ok(sim)
    await sim.advance(60)
    await read(sim, sent["id"])
    body = await report(sim)
    assert body["findings"] == [] and body["counts"] == {"error": 0, "warning": 0, "info": 0}
    assert body["journal"]["entries"] == 2
    page = await sim.client.get("/_sim/report.html")
    assert page.status == 200 and "No findings" in await page.text()


async def hit_the_limit(sim: Sim) -> list[int]:
    return [(await send(sim, f"659100{i:04d}")).status for i in range(11)]  # the documented 10 per second


async def test_ignored_retry_after(sim: Sim) -> None:
    assert (await hit_the_limit(sim))[-1] == 429
    await send(sim, "6591000099")  # at once: inside the 1 s Retry-After
    ids = await request_ids(sim)
    [finding] = await findings(sim, "ignored-retry-after")
    assert finding["severity"] == "error" and finding["evidence"]["requests"] == [ids[-1]]


async def test_waiting_out_retry_after_is_no_finding(windowed_sim: Sim) -> None:
    sim = windowed_sim
    assert (await hit_the_limit(sim))[-1] == 429
    await sim.advance(1)
    assert (await send(sim, "6591000099")).status == 201
    assert await findings(sim, "ignored-retry-after") == []


async def test_rate_limit_hit(sim: Sim) -> None:
    await hit_the_limit(sim)
    ids = await request_ids(sim)
    [finding] = await findings(sim, "rate-limit-hit")
    assert finding["evidence"] == {"requests": [ids[-1]], "messages": [], "count": 1}
    assert finding["details"]["peak_per_second"] == 11


async def test_staying_under_the_rate_limit_is_no_finding(sim: Sim) -> None:
    for i in range(5):
        await send_ok(sim, f"659100{i:04d}")
    assert await findings(sim, "rate-limit-hit") == []


async def fail_and_retry(sim: Sim, recipient: str) -> tuple[str, int]:
    sent = await send_ok(sim, recipient)
    await sim.advance(10)
    await read(sim, sent["id"])
    response = await sim.client.post(f"{MESSAGES}/{sent['id']}/retry", headers=auth())
    assert response.status == 201, await response.text()
    await sim.advance(10)
    await read(sim, sent["id"])
    return sent["id"], len(await request_ids(sim))


async def test_retried_permanent_failure(sim: Sim) -> None:
    message_id, _ = await fail_and_retry(sim, "6511111111")  # the documented recipient_invalid test number
    ids = await request_ids(sim)
    [finding] = await findings(sim, "retried-permanent-failure")
    assert finding["evidence"]["messages"] == [message_id] and finding["evidence"]["requests"] == [ids[2]]
    assert finding["details"] == {"recipient_invalid": 1}


async def test_retrying_a_transient_failure_is_no_finding(sim: Sim) -> None:
    await fail_and_retry(sim, "6511112222")  # recipient_unavailable: may work later
    assert await findings(sim, "retried-permanent-failure") == []


async def test_duplicate_send(sim: Sim) -> None:
    await send_ok(sim)
    await sim.advance(5)
    second = await send_ok(sim)
    ids = await request_ids(sim)
    [finding] = await findings(sim, "duplicate-send")
    assert finding["evidence"] == {"requests": [ids[1]], "messages": [second["id"]], "count": 1}


async def test_same_recipient_later_or_other_content_is_no_duplicate(sim: Sim) -> None:
    await send_ok(sim)
    await send_ok(sim, values={"name": "Lim", "date": "1 Dec"})
    await sim.advance(61)
    await send_ok(sim)
    assert await findings(sim, "duplicate-send") == []


async def test_polling_after_terminal(sim: Sim) -> None:
    sent = await send_ok(sim)
    await sim.advance(60)
    await read(sim, sent["id"])
    await sim.advance(5)
    await read(sim, sent["id"])
    ids = await request_ids(sim)
    [finding] = await findings(sim, "polling-after-terminal")
    assert finding["evidence"] == {"requests": [ids[-1]], "messages": [sent["id"]], "count": 1}


async def test_reads_until_the_terminal_status_are_no_finding(sim: Sim) -> None:
    sent = await send_ok(sim)
    polls = 0
    while await read(sim, sent["id"]) not in ("success", "failure"):  # poll every 2 s until final, then stop
        polls += 1
        await sim.advance(2)
    assert polls >= 2
    body = await report(sim)
    assert [f for f in body["findings"] if f["rule"] in ("polling-after-terminal", "tight-polling")] == []


async def test_tight_polling(sim: Sim) -> None:
    sent = await send_ok(sim)
    for _ in range(3):
        await read(sim, sent["id"])
    ids = await request_ids(sim)
    [finding] = await findings(sim, "tight-polling")
    assert sorted(finding["evidence"]["requests"]) == ids[1:] and finding["evidence"]["messages"] == [sent["id"]]


async def test_reading_once_a_second_is_not_tight(sim: Sim) -> None:
    sent = await send_ok(sim)
    for _ in range(3):
        await read(sim, sent["id"])
        await sim.advance(1)
    assert await findings(sim, "tight-polling") == []


async def test_never_checked_outcome(sim: Sim) -> None:
    sent = await send_ok(sim)
    await read(sim, sent["id"])  # read once while still in flight, never again
    await sim.advance(60)
    [finding] = await findings(sim, "never-checked-outcome")
    assert finding["evidence"]["messages"] == [sent["id"]]


async def test_an_outcome_read_or_not_yet_final_is_no_finding(sim: Sim) -> None:
    checked = await send_ok(sim)
    await sim.advance(60)
    await read(sim, checked["id"])
    await send_ok(sim, "6591230000")  # still in flight: nothing to check yet
    assert await findings(sim, "never-checked-outcome") == []


async def test_a_webhook_delivery_counts_as_checking_the_outcome(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim()
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    created = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "standard", "channels": ["sms"]})
    assert created.status == 201, await created.text()
    await send_ok(sim)
    await sim.advance(60)
    assert hook.posts
    assert await findings(sim, "never-checked-outcome") == []


async def test_unknown_path(sim: Sim) -> None:
    await sim.client.get(f"/api/v2/campaign/{DEMO_CAMPAIGN}/messages", headers=auth())
    ids = await request_ids(sim)
    [finding] = await findings(sim, "unknown-path")
    assert finding["evidence"]["requests"] == ids and "GET /api/v2/campaign/" in finding["summary"]


async def test_known_paths_are_no_finding(sim: Sim) -> None:
    await sim.client.get(MESSAGES, headers=auth())
    assert await findings(sim, "unknown-path") == []


async def test_wrong_auth_scheme(sim: Sim) -> None:
    key = auth()["Authorization"].split(" ", 1)[1]
    await sim.client.get(MESSAGES, headers={"Authorization": f"bearer {key}"})
    await sim.client.get(MESSAGES, headers={"X-Api-Key": key})
    await sim.client.get(f"{qlara.GATEWAY}/messages/history", headers={"Authorization": f"Bearer {qlara.DEMO_KEY}"})
    ids = await request_ids(sim)
    [finding] = await findings(sim, "wrong-auth-scheme")
    assert sorted(finding["evidence"]["requests"]) == ids and finding["evidence"]["count"] == 3
    assert set(finding["details"]) == {"scheme 'bearer' (this API takes 'Bearer', exactly)",
                                       "key in the x-api-key header (this API takes Authorization: Bearer)",
                                       "scheme 'Bearer' (this API takes X-Api-Key or Basic)"}


async def test_a_wrong_key_in_the_right_scheme_is_no_scheme_finding(sim: Sim) -> None:
    response = await sim.client.get(MESSAGES, headers=auth("key_test_not_a_configured_key_1"))
    assert response.status == 401
    blank_key = await sim.client.get(f"{qlara.GATEWAY}/messages/history", headers={"X-Api-Key": " "})
    assert blank_key.status == 401  # the right header, an unusable key
    assert await findings(sim, "wrong-auth-scheme") == []


async def subscribe(sim: Sim, aiohttp_server: Any, **receiver: Any) -> str:
    hook = await start_receiver(aiohttp_server, clock=sim.clock, **receiver)
    created = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "standard", "channels": ["sms"]})
    assert created.status == 201, await created.text()
    sub_id: str = (await created.json())["id"]
    return sub_id


async def test_webhook_receiver_errors(sim: Sim, aiohttp_server: Any) -> None:
    sub_id = await subscribe(sim, aiohttp_server, default=500)
    sent = await send_ok(sim)
    await sim.advance(60)
    [finding] = await findings(sim, "webhook-receiver-errors")
    assert finding["details"]["subscription"] == sub_id and finding["details"]["http_5xx"] >= 1
    assert sent["id"] in finding["evidence"]["messages"] and finding["evidence"]["webhook_events"]


async def test_a_healthy_receiver_is_no_finding(sim: Sim, aiohttp_server: Any) -> None:
    await subscribe(sim, aiohttp_server)
    await send_ok(sim)
    await sim.advance(60)
    assert await findings(sim, "webhook-receiver-errors") == []


async def test_validation_errors_grouped_by_code(sim: Sim) -> None:
    for _ in range(2):
        await sim.client.post(MESSAGES, headers=auth(), json={"recipient": "12", "language": "english"})
    ids = await request_ids(sim)
    [finding] = await findings(sim, "validation-errors")
    assert finding["evidence"]["requests"] == ids and finding["evidence"]["count"] == 2
    assert finding["details"]["face"] == "v2" and finding["details"]["code"] in finding["summary"]


async def test_valid_requests_are_no_validation_finding(sim: Sim) -> None:
    await send_ok(sim)
    assert await findings(sim, "validation-errors") == []


async def test_report_for_one_tenant_and_thresholds_from_the_scenarios_file(make_sim: SimFactory) -> None:
    sim = await make_sim("report: {duplicate_window: 2, disabled: [unknown-path]}\n")
    await sim.client.get("/nowhere")
    body = await report(sim)
    assert body["settings"]["duplicate_window"] == 2 and body["findings"] == []
    assert (await report(sim, "?tenant=someone"))["journal"]["entries"] == 0


@pytest.mark.parametrize(("section", "problem"), [
    ("report: {duplicate_windw: 5}", "did you mean 'duplicate_window'"),
    ("report: {tight_polling_reads: 2.5}", "whole number"),
    ("report: {disabled: [no-such-rule]}", "unknown rule"),
])
def test_a_bad_report_section_is_an_error(section: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        create_app(parse_config(section))
