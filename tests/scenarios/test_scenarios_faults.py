"""API-level faults over real HTTP: latency, 500/503/429, dropped connections, timeouts, schedules, shapes."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.conftest import DEMO_CAMPAIGN, SimFactory
from tests.faces.v2.helpers import auth, error_of, send
from tests.scenarios.helpers import with_campaign

FAULT_HEADER = "X-Postman-Sim-Fault"


def faults(block: str) -> str:
    return with_campaign("faults:\n" + block)


async def message_count(sim) -> int:
    body = await (await sim.client.get("/_sim/health")).json()
    return int(body["messages"])


async def test_http_500_in_the_v2_error_shape_and_nothing_is_created(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {name: boom, match: {face: v2, method: POST}, error: 500}
"""))
    response = await send(sim)
    error = await error_of(response, 500)
    assert error["code"] == "internal_server_error" and error["type"] == "server_error"
    assert response.headers[FAULT_HEADER] == "boom"
    assert await message_count(sim) == 0
    # GETs are not matched by method: POST.
    listing = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth())
    assert listing.status == 200


async def test_http_503_with_retry_after_and_only_on_the_nth_requests(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2, path: "/api/v2/campaigns/*/messages"}, error: 503, nth: [2, 4], retry_after: 7}
"""))
    statuses = []
    for _ in range(5):
        response = await send(sim)
        statuses.append(response.status)
        if response.status == 503:
            error = await error_of(response, 503)
            assert error["code"] == "service_unavailable"
            assert response.headers["Retry-After"] == "7"
    assert statuses == [201, 503, 201, 503, 201]
    assert await message_count(sim) == 3


async def test_429_bursts_every_nth_request_per_tenant(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2, method: POST}, error: 429, every: 4, burst: 2}
"""))
    statuses = [(await send(sim)).status for _ in range(10)]
    assert statuses == [201, 201, 201, 429, 429, 201, 201, 429, 429, 201]
    response = await send(sim)   # the 11th: outside a burst
    assert response.status == 201
    # Another campaign (open mode) counts its own requests from 1.
    other = "campaign_00000000-0000-4000-8000-000000000002"
    others = [(await send(sim, campaign=other, key="key_test_other_campaign_key_0000000002")).status
              for _ in range(4)]
    assert others == [201, 201, 201, 429]


async def test_429_body_matches_the_v2_face_own_rate_limit_answer(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2}, error: 429, first: 1}
"""))
    response = await send(sim)
    error = await error_of(response, 429)
    assert (error["code"], error["message"], error["type"]) == (
        "too_many_requests", "Too many requests, please try again later.", "rate_limit_error")
    assert response.headers["Retry-After"] == "1"
    assert (await send(sim)).status == 201


async def test_faults_match_a_tenant(make_sim: SimFactory) -> None:
    sim = await make_sim(faults(f"""
  - {{match: {{face: v2, tenant: "{DEMO_CAMPAIGN}"}}, error: 502}}
"""))
    error = await error_of(await send(sim), 502)
    assert error["code"] == "bad_gateway"
    other = "campaign_00000000-0000-4000-8000-000000000002"
    response = await send(sim, campaign=other, key="key_test_other_campaign_key_0000000002")
    assert response.status == 201


async def test_probability_is_reproducible_under_the_seed(make_sim: SimFactory) -> None:
    text = faults("""
  - {match: {face: v2}, error: 504, probability: 0.3}
""")

    async def run(seed: int) -> list[int]:
        sim = await make_sim(text, seed=seed)
        return [(await send(sim)).status for _ in range(40)]

    first = await run(4)
    assert await run(4) == first
    assert 3 <= first.count(504) <= 22
    assert set(first) == {201, 504}


async def test_fixed_latency_delays_the_answer_in_real_time(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {name: slow, match: {face: v2}, latency: 300ms}
"""))
    started = time.monotonic()
    response = await send(sim)
    elapsed = time.monotonic() - started
    assert response.status == 201
    assert response.headers[FAULT_HEADER] == "slow"
    assert elapsed >= 0.3


async def test_latency_from_a_distribution_stays_within_its_bounds(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2}, latency: {uniform: [100ms, 200ms]}}
"""))
    for _ in range(3):
        started = time.monotonic()
        assert (await send(sim)).status == 201
        assert time.monotonic() - started >= 0.1


async def test_dropped_connection(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2, method: POST}, drop: true, first: 1}
"""))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(sim)
    assert await message_count(sim) == 0
    assert (await send(sim)).status == 201


async def test_timeout_holds_the_request_past_the_client_timeout(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2, method: POST}, timeout: 1s, first: 1}
"""))
    with pytest.raises(asyncio.TimeoutError):
        await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth(),
                              json={"recipient": "6591234567", "language": "english",
                                    "values": {"name": "Tan", "date": "1 Dec"}},
                              timeout=aiohttp.ClientTimeout(total=0.3))
    # With a patient client the held request ends with the connection closed, not an answer.
    sim2 = await make_sim(faults("""
  - {match: {face: v2, method: POST}, timeout: 200ms}
"""))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(sim2)


async def test_processed_fault_creates_the_message_but_loses_the_answer(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2, method: POST}, error: 500, processed: true, first: 1}
"""))
    await error_of(await send(sim), 500)
    assert await message_count(sim) == 1
    assert (await send(sim)).status == 201


async def test_fault_window_relative_to_the_scenario_start(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v2}, error: 503, active: {from: +10s, until: +20s}}
"""))
    assert (await send(sim)).status == 201
    await sim.advance(10)
    assert (await send(sim)).status == 503
    await sim.advance(10)
    assert (await send(sim)).status == 201


async def test_v1_shaped_errors(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v1}, error: 429, nth: [1]}
  - {match: {face: v1}, error: 500, nth: [2]}
  - {match: {face: v1}, error: 503, nth: [3]}
"""))
    bodies = []
    for _ in range(3):
        response = await sim.client.post("/v1/transactional/sms/send", json={}, headers=auth("user_v1_abc"))
        bodies.append((response.status, await response.json()))
    assert bodies == [
        (429, {"code": "rate_limit", "message": "Too many requests. Please try again later."}),
        (500, {"code": "internal_server", "message": "Internal Server Error."}),
        (503, {"code": "service_unavailable", "message": "Service Unavailable"}),
    ]


async def test_a_v1_path_glob_matches_in_any_letter_case_as_v1_routes_do(make_sim: SimFactory) -> None:
    # v1 serves /v1/transactional/govSG/send and /v1/transactional/govsg/send alike (Express routing), so a fault
    # written for one spelling must hit both; v2 routes are case-sensitive, and so are globs over them.
    sim = await make_sim(faults("""
  - {match: {face: v1, path: "/v1/transactional/govsg/*"}, error: {code: unauthenticated}}
  - {match: {face: v2, path: "/api/v2/campaigns/*/messages"}, error: 500}
"""))
    statuses = []
    for path in ("/v1/transactional/govsg/send", "/v1/transactional/govSG/send", "/v1/Transactional/GOVSG/send/"):
        response = await sim.client.post(path, json={}, headers=auth("user_v1_abc"))
        statuses.append((response.status, (await response.json())["code"]))
    assert statuses == [(401, "unauthenticated")] * 3
    upper = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/MESSAGES", json={}, headers=auth())
    assert upper.status == 404 and FAULT_HEADER not in upper.headers


async def test_qlara_shaped_errors(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: qlara}, error: 429, nth: [1], retry_after: 12}
  - {match: {face: qlara}, error: 500, nth: [2]}
"""))
    path = "/api/partner-gateway/v1/messages/status/abc"
    response = await sim.client.get(path, params={"channel": "SMS"}, headers={"X-API-Key": "qk"})
    assert response.status == 429
    assert await response.json() == {"status": 429, "error": "Too Many Requests",
                                     "message": "Rate limit exceeded. Please retry after 12 seconds.",
                                     "retryAfter": 12}
    response = await sim.client.get(path, params={"channel": "SMS"}, headers={"X-API-Key": "qk"})
    body = await response.json()
    assert response.status == 500
    assert body == {"timestamp": "2026-01-01T00:00:00.000Z", "status": 500, "error": "Internal Server Error",
                    "message": "Internal server error", "path": path}


async def test_the_control_surface_is_never_faulted(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {error: 500}
"""))
    assert (await sim.client.get("/_sim/health")).status == 200
    assert (await send(sim)).status == 500
