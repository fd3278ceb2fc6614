"""The scenario language over real HTTP: matching order, step types, weights, sequences, windows."""

from __future__ import annotations

from collections import Counter

import pytest

from simulator import ScenarioError, parse_config
from simulator.clock import ManualClock
from simulator.scenarios.planner import ScenarioPlanner
from tests.conftest import DEMO_CAMPAIGN, START, Sim, SimFactory
from tests.faces.v2.helpers import auth, get_message, send_ok
from tests.scenarios.helpers import DELIVERED, history, statuses, with_campaign

ORDER = with_campaign(f"""
timelines:
  ok: {DELIVERED}
rules:
  - name: exact
    match: {{face: v2, recipient: "+65 9000-0001"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: recipient_invalid}}}}]
  - name: prefix
    match: {{face: v2, recipient_prefix: "+65 9000"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: recipient_unavailable}}}}]
  - name: glob
    match: {{face: v2, recipient_glob: "6591??0000"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: content_invalid}}}}]
  - name: regex
    match: {{face: v2, recipient_regex: "^6592"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: routing_error}}}}]
  - name: content
    match: {{face: v2, content: "Friday"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: message_expired}}}}]
  - name: tenant
    match: {{face: v2, tenant: campaign_00000000-0000-4000-8000-000000000001, recipient: "6593000000"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: delivery_unknown_error}}}}]
  - name: exact again (never reached)
    match: {{face: v2, recipient: "6590000001"}}
    timeline: ok
defaults:
  v2.sms: ok
""")


async def final_error(sim: Sim, recipient: str, date: str = "1 Dec") -> tuple[str, str | None]:
    created = await send_ok(sim, recipient, values={"name": "Tan", "date": date})
    await sim.advance(60)
    message = await get_message(sim, created["id"])
    error = message["attempts"][0].get("error")
    return message["latestStatus"], None if error is None else error["code"]


async def test_first_matching_rule_wins_and_each_match_kind_applies(make_sim: SimFactory) -> None:
    sim = await make_sim(ORDER)
    # Normalised: "+65 9000-0001" in the file and "6590000001" on the wire are the same number,
    # and the exact rule comes before the prefix rule that also matches it.
    assert await final_error(sim, "6590000001") == ("failure", "recipient_invalid")
    assert await final_error(sim, "6590000002") == ("failure", "recipient_unavailable")
    assert await final_error(sim, "6591120000") == ("failure", "content_invalid")
    assert await final_error(sim, "6592000000") == ("failure", "routing_error")
    assert await final_error(sim, "6597000000", date="Friday") == ("failure", "message_expired")
    assert await final_error(sim, "6593000000") == ("failure", "delivery_unknown_error")
    # Nothing matches: the flow's default.
    assert await final_error(sim, "6597000000") == ("success", None)


async def test_journal_names_the_rule_that_chose_the_plan(make_sim: SimFactory) -> None:
    sim = await make_sim(ORDER)
    created = await send_ok(sim, "6592000000")
    body = await (await sim.client.get(f"/_sim/messages/{created['id']}")).json()
    assert body["rule"] == "regex"


async def test_each_step_type_status_delay_jitter_and_error(make_sim: SimFactory) -> None:
    sim = await make_sim(with_campaign("""
rules:
  - name: steps
    match: {face: v2}
    steps:
      - {status: enqueued}                       # no delay: applied at acceptance
      - {after: 500ms, status: sending}          # a delay as a duration string
      - {after: 2, jitter: 10, status: sent}     # 2 s plus up to 10 s
      - {after: 1m, status: failure, error: {type: server_error, code: server_unknown_error, description: boom}}
"""), seed=3)
    created = await send_ok(sim)
    assert await statuses(sim, created["id"]) == ["created", "enqueued"]
    await sim.advance(0.5)
    assert await statuses(sim, created["id"]) == ["created", "enqueued", "sending"]
    await sim.advance(200)
    steps = history(sim, created["id"])
    assert [s for s, _ in steps] == ["created", "enqueued", "sending", "sent", "failure"]
    sent_at = steps[3][1]
    assert 2.5 <= sent_at <= 12.5
    assert steps[4][1] == sent_at + 60
    message = await get_message(sim, created["id"])
    assert message["attempts"][0]["error"] == {"type": "server_error", "code": "server_unknown_error"}


async def test_jitter_differs_per_message_and_repeats_under_the_same_seed(make_sim: SimFactory) -> None:
    text = with_campaign("""
defaults:
  v2.sms: {steps: [{after: 10, jitter: 100, status: success}]}
""")

    async def delays(seed: int) -> list[float]:
        sim = await make_sim(text, seed=seed)
        ids = [(await send_ok(sim))["id"] for _ in range(5)]
        await sim.advance(200)
        return [history(sim, i)[-1][1] for i in ids]

    first, again, other = await delays(11), await delays(11), await delays(12)
    assert first == again
    assert first != other
    assert len(set(first)) == 5 and all(10 <= d <= 110 for d in first)


WEIGHTED = with_campaign(f"""
timelines:
  ok: {DELIVERED}
defaults:
  v2.sms:
    outcomes:
      - {{weight: 95, name: ok, timeline: ok}}
      - {{weight: 5, name: unavailable, steps: [{{after: 1, status: failure,
          error: {{type: delivery_error, code: recipient_unavailable}}}}]}}
""")


async def run_weighted(make_sim: SimFactory, seed: int, count: int) -> tuple[list[str], list[str]]:
    sim = await make_sim(WEIGHTED, seed=seed)
    ids = [(await send_ok(sim, f"65{90000000 + i}"))["id"] for i in range(count)]
    await sim.advance(60)
    outcomes = [(await get_message(sim, i))["latestStatus"] for i in ids]
    return ids, outcomes


async def test_weighted_outcomes_follow_the_weights_and_the_seed(make_sim: SimFactory) -> None:
    ids, outcomes = await run_weighted(make_sim, seed=5, count=400)
    counts = Counter(outcomes)
    assert set(counts) == {"success", "failure"}
    assert 5 <= counts["failure"] <= 40          # 5 % of 400 = 20, with room for chance
    ids_again, outcomes_again = await run_weighted(make_sim, seed=5, count=400)
    assert (ids_again, outcomes_again) == (ids, outcomes)   # same file + seed + requests: same ids and outcomes
    _, other = await run_weighted(make_sim, seed=6, count=400)
    assert other != outcomes


async def test_weighted_draws_restart_after_a_full_reset(make_sim: SimFactory) -> None:
    sim = await make_sim(WEIGHTED, seed=9)

    async def batch() -> list[str]:
        ids = [(await send_ok(sim, f"65{90000000 + i}"))["id"] for i in range(60)]
        await sim.advance(60)
        return [(await get_message(sim, i))["latestStatus"] for i in ids]

    first = await batch()
    assert (await sim.client.post("/_sim/reset")).status == 200
    assert await batch() == first


SEQUENCE = with_campaign(f"""
timelines:
  ok: {DELIVERED}
  server_error:
    - {{after: 1, status: sent}}
    - {{after: 1, status: failure, error: {{type: server_error, code: server_unknown_error}}}}
rules:
  - name: flaky number
    match: {{face: v2, recipient: "6591111111"}}
    sequence:
      - {{repeat: 2, timeline: server_error}}
      - {{timeline: ok}}
defaults:
  v2.sms: ok
""")


async def test_sequence_first_two_sends_fail_then_later_ones_succeed(make_sim: SimFactory) -> None:
    sim = await make_sim(SEQUENCE)
    ids = [(await send_ok(sim, "6591111111"))["id"] for _ in range(4)]
    other = (await send_ok(sim, "6592222222"))["id"]
    await sim.advance(60)
    assert [(await get_message(sim, i))["latestStatus"] for i in ids] == ["failure", "failure", "success", "success"]
    assert (await get_message(sim, other))["latestStatus"] == "success"
    rules = [(await (await sim.client.get(f"/_sim/messages/{i}")).json())["rule"] for i in ids]
    assert rules == ["flaky number / sends 1-2", "flaky number / sends 1-2", "flaky number / send 3+",
                     "flaky number / send 3+"]


async def test_a_v2_retry_counts_as_a_send(make_sim: SimFactory) -> None:
    sim = await make_sim(SEQUENCE)
    created = await send_ok(sim, "6591111111")
    path = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages/{created['id']}/retry"
    for expected in ("failure", "failure", "success"):
        await sim.advance(60)
        assert (await get_message(sim, created["id"]))["latestStatus"] == expected
        if expected == "failure":
            response = await sim.client.post(path, headers=auth())
            assert response.status == 201, await response.text()
    message = await get_message(sim, created["id"])
    assert len(message["attempts"]) == 3


async def test_sequence_counts_restart_for_a_reset_tenant(make_sim: SimFactory) -> None:
    sim = await make_sim(SEQUENCE)
    await send_ok(sim, "6591111111")
    await send_ok(sim, "6591111111")
    response = await sim.client.post("/_sim/reset", json={"tenant": DEMO_CAMPAIGN})
    assert response.status == 200
    created = await send_ok(sim, "6591111111")
    await sim.advance(60)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "failure"


async def test_time_window_rule_holds_only_inside_its_window(make_sim: SimFactory) -> None:
    sim = await make_sim(with_campaign(f"""
timelines:
  ok: {DELIVERED}
rules:
  - name: outage
    match: {{face: v2}}
    active: {{from: +1m, until: +2m}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: routing_error}}}}]
  - name: new year
    match: {{face: v2}}
    active: {{from: "2026-01-01T08:10:00+08:00"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: message_expired}}}}]
defaults:
  v2.sms: ok
"""))
    assert await final_error(sim, "6591234567") == ("success", None)         # at +0 s: before the window
    # final_error advances 60 s each time; now at +60 s: inside the outage window
    assert await final_error(sim, "6591234567") == ("failure", "routing_error")
    assert await final_error(sim, "6591234567") == ("success", None)          # +120 s: window over
    await sim.advance(START + 600 - sim.clock.now())                           # 00:10 UTC = 08:10 SGT
    assert await final_error(sim, "6591234567") == ("failure", "message_expired")


def test_plans_without_weights_or_jitter_are_shared_not_rebuilt() -> None:
    """The hot path: a static rule hands every message the same Plan object."""
    config = parse_config(with_campaign(f"""
timelines:
  ok: {DELIVERED}
rules:
  - name: flaky number
    match: {{face: v2, recipient: "6591111111"}}
    timeline: ok
"""))
    planner = ScenarioPlanner(config.scenarios, 1, ManualClock(start=START))
    first = planner.plan("v2", "sms", "t", "6591111111", "")
    second = planner.plan("v2", "sms", "t", "6591111111", "")
    assert first is second and first.rule == "flaky number"


async def test_a_rule_on_channel_alone_applies_to_every_face_of_that_channel(make_sim: SimFactory) -> None:
    sim = await make_sim(with_campaign("""
rules:
  - name: all whatsapp
    match: {channel: whatsapp, recipient: "6580000000"}
    steps: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}]
"""))
    for face in ("v1", "qlara"):
        message = sim.engine.accept(face=face, channel="whatsapp", tenant="t", recipient="+6580000000", payload={})
        assert message.attempt.plan.rule == "all whatsapp"
    await sim.advance(2)
    assert [m.status for m in sim.engine.store.all()] == ["DELIVERED", "DELIVERED"]


def test_a_face_less_rule_must_suit_every_flow_it_reaches() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_config("rules:\n  - {match: {channel: sms}, steps: [{status: DELIVERED}]}\n")
    problem = caught.value.details[0]
    assert "'DELIVERED' is not a v2.sms status" in problem.message
    assert problem.hint is not None and "add face:" in problem.hint


async def test_daily_hours_window_in_singapore_time_wrapping_midnight(make_sim: SimFactory) -> None:
    sim = await make_sim(with_campaign(f"""
timelines:
  ok: {DELIVERED}
rules:
  - name: night
    match: {{face: v2}}
    active: {{hours: "23:00-01:00"}}
    steps: [{{after: 1, status: failure, error: {{type: delivery_error, code: routing_error}}}}]
defaults:
  v2.sms: ok
"""))
    # START is 08:00 SGT: outside; 23:30 SGT is 15.5 h later; 01:00 SGT ends it.
    assert await final_error(sim, "6591234567") == ("success", None)
    await sim.advance(START + 15.5 * 3600 - sim.clock.now())
    assert await final_error(sim, "6591234567") == ("failure", "routing_error")
    await sim.advance(START + 17 * 3600 - sim.clock.now())
    assert await final_error(sim, "6591234567") == ("success", None)


def test_unquoted_clock_time_gets_a_hint() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_config("rules:\n  - {match: {face: v2}, steps: [], active: {hours: 08:00}}\n")
    assert caught.value.details[0].hint == "quote it: YAML reads an unquoted 08:00 as the number 480"
