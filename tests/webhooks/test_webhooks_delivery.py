"""Delivery on the simulated clock: retries, backoff with jitter, dead letters, redelivery, 410, 3xx."""

from __future__ import annotations

from typing import Any

from simulator.core.models import Facts
from simulator.core.timefmt import parse_iso
from simulator.webhooks.retry import DEFAULT_SCHEDULE
from tests.conftest import START, Sim, SimFactory
from tests.webhooks.receiver import Receiver, start_receiver

SCENARIOS = """
timelines:
  wa: [{after: 0, status: ACCEPTED}, {after: 1, status: SENT}, {after: 2, status: DELIVERED}]
  wa_read: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}, {after: 10, status: READ}]
rules:
  - name: reads
    match: {face: v1, channel: whatsapp, recipient_prefix: "6588"}
    timeline: wa_read
defaults: {v1.whatsapp: wa}
"""
DELIVERED_AT = START + 3  # the `wa` timeline reaches DELIVERED three seconds after acceptance


async def setup(make_sim: SimFactory, aiohttp_server: Any, spec: dict[str, Any] | None = None,
                **receiver: Any) -> tuple[Sim, Receiver, str]:
    sim = await make_sim(SCENARIOS)
    hook = await start_receiver(aiohttp_server, clock=sim.clock, **receiver)
    response = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "chuanglan", **(spec or {})})
    assert response.status == 201, await response.text()
    return sim, hook, (await response.json())["id"]


def send(sim: Sim, recipient: str = "6591234567", tenant: str = "moh") -> str:
    return sim.engine.accept(face="v1", channel="whatsapp", tenant=tenant, recipient=recipient,
                             payload={}, facts=Facts(wamid=f"wamid.{recipient}")).id


async def get(sim: Sim, path: str) -> Any:
    response = await sim.client.get(path)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_fails_twice_then_succeeds_three_attempts_one_id_at_scheduled_times(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"retry": {"jitter": 0}}, script=[500, 503])
    send(sim)
    await sim.advance(3)
    assert len(hook.posts) == 1
    await sim.advance(4.9)
    assert len(hook.posts) == 1  # the retry waits its full 5 s
    await sim.advance(0.1)
    assert len(hook.posts) == 2
    await sim.advance(300)
    await sim.advance(3600)
    assert len(hook.posts) == 3
    assert [r.at for r in hook.posts] == [DELIVERED_AT, DELIVERED_AT + 5, DELIVERED_AT + 305]
    assert len({r.json["id"] for r in hook.posts}) == 1
    assert len({r.body for r in hook.posts}) == 1
    event_id = hook.posts[0].json["id"]
    log = (await get(sim, f"/_sim/webhooks/deliveries?event_id={event_id}"))["data"]
    assert [(row["attempt"], row["response"]["status"], row["error_class"], row["outcome"]) for row in reversed(log)] \
        == [(1, 500, "http_5xx", "failed"), (2, 503, "http_5xx", "failed"), (3, 200, None, "delivered")]
    first = log[-1]
    assert first["url"] == hook.url and first["at"] == "2026-01-01T00:00:03.000Z"
    assert first["request"]["headers"]["Content-Type"] == "application/json"
    assert first["request"]["body"] == hook.posts[0].body.decode()
    assert first["response"]["body"] == "answer 500" and first["latency_ms"] >= 0
    assert first["next_attempt_at"] == "2026-01-01T00:00:08.000Z"
    event = await get(sim, f"/_sim/webhooks/events/{event_id}")
    assert event["state"] == "delivered" and event["attempts"] == 3


async def test_always_failing_receiver_ends_in_dead_letters_with_jittered_backoff(make_sim, aiohttp_server) -> None:
    sim, hook, sub_id = await setup(make_sim, aiohttp_server, default=500)
    send(sim)
    await sim.advance(3)
    await sim.advance(40 * 3600)
    times = [r.at for r in hook.posts]
    assert len(times) == len(DEFAULT_SCHEDULE) == 8
    assert times[0] == DELIVERED_AT
    for gap, base in zip([b - a for a, b in zip(times, times[1:], strict=False)], DEFAULT_SCHEDULE[1:],
                         strict=True):
        assert base * 0.8 <= gap <= base * 1.2
    assert any(abs(gap - base) > 1e-6 for gap, base in zip(
        [b - a for a, b in zip(times, times[1:], strict=False)], DEFAULT_SCHEDULE[1:], strict=True))
    dead = (await get(sim, "/_sim/webhooks/dead-letters"))["data"]
    assert len(dead) == 1 and dead[0]["state"] == "dead" and "8 attempts failed" in dead[0]["dead_reason"]
    event_id = dead[0]["id"]
    await sim.advance(10 * 86400)
    assert len(hook.posts) == 8  # nothing more after the last attempt

    # The receiver is fixed: one redelivery now, same id and body, and the event leaves the dead letters.
    hook.default = 200
    response = await sim.client.post(f"/_sim/webhooks/events/{event_id}/redeliver")
    assert response.status == 200
    result = await response.json()
    assert result["attempt"]["trigger"] == "manual" and result["attempt"]["outcome"] == "delivered"
    assert result["event"]["state"] == "delivered"
    assert hook.posts[-1].body == hook.posts[0].body and hook.posts[-1].json["id"] == event_id
    assert (await get(sim, "/_sim/webhooks/dead-letters"))["total"] == 0
    assert (await get(sim, f"/_sim/webhooks/{sub_id}"))["stats"] == {"events": 1, "pending": 0, "delivered": 1,
                                                                     "dead": 0}


async def test_replay_of_all_dead_letters(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"retry": {"schedule": [0, 10], "jitter": 0}}, default=502)
    for i in range(3):
        send(sim, f"659100000{i}")
    await sim.advance(3)
    await sim.advance(10)
    assert len(hook.posts) == 6
    assert (await get(sim, "/_sim/webhooks/dead-letters"))["total"] == 3
    hook.script = [200, 500, 200]
    response = await sim.client.post("/_sim/webhooks/dead-letters/replay")
    summary = await response.json()
    assert (summary["replayed"], summary["delivered"], summary["still_dead"]) == (3, 2, 1)
    left = (await get(sim, "/_sim/webhooks/dead-letters"))["data"]
    hook.default = 200
    response = await sim.client.post(f"/_sim/webhooks/dead-letters/{left[0]['id']}/replay")
    assert (await response.json())["delivered"] == 1
    assert (await get(sim, "/_sim/webhooks/dead-letters"))["total"] == 0
    delivered_ids = {r.json["id"] for r in hook.posts[-4:]}
    assert len(delivered_ids) == 3  # replays keep each event's original id
    response = await sim.client.post(f"/_sim/webhooks/dead-letters/{left[0]['id']}/replay")
    assert response.status == 409


async def test_410_disables_the_subscription(make_sim, aiohttp_server) -> None:
    sim, hook, sub_id = await setup(make_sim, aiohttp_server, script=[410])
    send(sim, "6591111111")
    await sim.advance(3)
    sub = await get(sim, f"/_sim/webhooks/{sub_id}")
    assert sub["state"] == "disabled" and sub["enabled"] is False and "410" in sub["disabled_reason"]
    send(sim, "6592222222")
    await sim.advance(86400)
    assert len(hook.posts) == 1  # no retry of the first event, no event for the second
    (dead,) = (await get(sim, "/_sim/webhooks/dead-letters"))["data"]
    assert "410" in dead["dead_reason"]
    response = await sim.client.post(f"/_sim/webhooks/events/{dead['id']}/redeliver")
    assert response.status == 409
    response = await sim.client.patch(f"/_sim/webhooks/{sub_id}", json={"timeout": 5})
    assert (await response.json())["state"] == "disabled"  # other changes do not re-enable it
    response = await sim.client.patch(f"/_sim/webhooks/{sub_id}", json={"enabled": True})
    assert (await response.json())["state"] == "active"
    response = await sim.client.post("/_sim/webhooks/dead-letters/replay")
    assert (await response.json())["delivered"] == 1


async def test_retry_after_is_honoured(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"retry": {"jitter": 0}},
                               script=[(429, {"Retry-After": "120"})])
    send(sim)
    await sim.advance(3)
    row = (await get(sim, "/_sim/webhooks/deliveries"))["data"][0]
    assert row["next_attempt_at"] == "2026-01-01T00:02:03.000Z"
    await sim.advance(119)
    assert len(hook.posts) == 1
    await sim.advance(1)
    assert [r.at for r in hook.posts] == [DELIVERED_AT, DELIVERED_AT + 120]


async def test_redirects_are_failures_and_not_followed(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"retry": {"schedule": [0, 5], "jitter": 0}},
                               script=[302, 204])
    send(sim)
    await sim.advance(3)
    await sim.advance(5)
    assert [r.path for r in hook.requests] == ["/hook", "/hook"]  # nothing went to /elsewhere
    rows = (await get(sim, "/_sim/webhooks/deliveries"))["data"]
    assert [(r["response"]["status"], r["error_class"]) for r in reversed(rows)] == [(302, "http_3xx"), (204, None)]


async def test_meta_counts_only_200_as_success(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"format": "meta", "retry": {"schedule": [0, 5],
                                                                                        "jitter": 0}},
                               script=[204, 204, 200, 200])
    send(sim)
    await sim.advance(1)
    await sim.advance(2)
    await sim.advance(5)
    rows = list(reversed((await get(sim, "/_sim/webhooks/deliveries"))["data"]))
    # sent: 204 (failure), delivered: 204 (failure); then both retries get 200.
    assert [r["error_class"] for r in rows] == ["http_not_200", "http_not_200", None, None]


async def test_timeouts_and_refused_connections_are_classified_and_retried(make_sim, aiohttp_server) -> None:
    import asyncio
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"timeout": 0.2, "retry": {"schedule": [0, 5],
                                                                                      "jitter": 0}},
                               hang=asyncio.Event())
    send(sim)
    await sim.advance(3)
    assert hook.hang is not None
    hook.hang.set()
    await sim.advance(5)
    rows = list(reversed((await get(sim, "/_sim/webhooks/deliveries"))["data"]))
    assert [r["error_class"] for r in rows] == ["timeout", None]
    assert rows[0]["response"] is None
    assert len({r.json["id"] for r in hook.posts}) == 1  # the receiver saw the same event twice

    response = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:9/nothing-here",
                                                             "retry": {"schedule": [0], "jitter": 0}})
    dead_sub = (await response.json())["id"]
    send(sim, "6597777777")
    await sim.advance(3)
    row = (await get(sim, f"/_sim/webhooks/deliveries?subscription_id={dead_sub}"))["data"][0]
    assert row["error_class"] == "connection_refused" and row["outcome"] == "failed"


async def test_meta_verification_handshake_before_the_first_delivery(make_sim, aiohttp_server) -> None:
    sim, hook, sub_id = await setup(make_sim, aiohttp_server, {"format": "meta", "verify_token": "wrong",
                                                               "retry": {"schedule": [0, 5], "jitter": 0}},
                                    verify_token="meatyhamhock")
    send(sim)
    await sim.advance(1)
    assert hook.posts == [] and len(hook.requests) == 1
    row = (await get(sim, "/_sim/webhooks/deliveries"))["data"][0]
    assert row["error_class"] == "verification_failed" and row["verification"]["status"] == 403
    assert (await get(sim, f"/_sim/webhooks/{sub_id}"))["state"] == "unverified"

    await sim.client.patch(f"/_sim/webhooks/{sub_id}", json={"verify_token": "meatyhamhock"})
    await sim.advance(5)
    gets = [r for r in hook.requests if r.method == "GET"]
    assert len(gets) == 2 and gets[-1].query["hub.mode"] == "subscribe"
    assert gets[-1].query["hub.verify_token"] == "meatyhamhock" and gets[-1].query["hub.challenge"].isdigit()
    assert len(hook.posts) == 2  # the retried `sent` and the `delivered` after one successful handshake
    assert (await get(sim, f"/_sim/webhooks/{sub_id}"))["state"] == "active"


async def test_chaos_duplicates_and_reordering(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"chaos": {"duplicate": 1.0}})
    send(sim)
    await sim.advance(10)
    assert len(hook.posts) == 2 and hook.posts[0].body == hook.posts[1].body
    rows = (await get(sim, "/_sim/webhooks/deliveries"))["data"]
    assert {r["trigger"] for r in rows} == {"auto", "chaos_duplicate"}

    sim, hook, _ = await setup(make_sim, aiohttp_server, {"chaos": {"reorder": 1.0, "reorder_delay": 30}})
    send(sim, "6588000001")  # delivered at +3, read at +13: both held back 30 s
    await sim.advance(20)
    assert hook.posts == []
    await sim.advance(30)
    assert [r.json["body"]["status"] for r in hook.posts] == ["delivered", "read"]
    assert [r.at for r in hook.posts] == [START + 33, START + 43]


async def test_a_late_status_overtakes_a_failing_one(make_sim, aiohttp_server) -> None:
    sim, hook, _ = await setup(make_sim, aiohttp_server, {"retry": {"schedule": [0, 60], "jitter": 0}},
                               script=[500])
    send(sim, "6588000002")
    await sim.advance(3)    # delivered fails
    await sim.advance(10)   # read succeeds
    await sim.advance(60)   # delivered retried
    assert [(r.json["body"]["status"], r.at) for r in hook.posts] == [
        ("delivered", START + 3), ("read", START + 13), ("delivered", START + 63)]
    assert parse_iso(hook.posts[2].json["eventTime"]) == START + 3  # eventTime is when it happened


async def test_jitter_is_reproducible_under_a_seed(make_sim, aiohttp_server) -> None:
    runs = []
    for _ in range(2):
        sim, hook, _ = await setup(make_sim, aiohttp_server, default=500)
        send(sim)
        await sim.advance(3)
        await sim.advance(40 * 3600)
        runs.append([r.at for r in hook.posts])
    assert runs[0] == runs[1] and len(runs[0]) == 8
