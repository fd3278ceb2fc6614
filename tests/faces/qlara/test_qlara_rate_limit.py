"""Per-key rate limits: the documented 429 body and X-RateLimit-* headers (per-second counts opt in to
`rate_limit_clock: simulated`)."""

from __future__ import annotations

from tests.conftest import Sim
from tests.faces.qlara.helpers import KEY, OTHER_KEY

NUMBERS = "/api/message-server/whatsapp/phone-numbers"


async def test_every_response_carries_rate_limit_headers(sim: Sim) -> None:
    response = await sim.client.get(NUMBERS, headers=KEY)
    assert response.headers["X-RateLimit-Limit"] == "50"
    assert response.headers["X-RateLimit-Remaining"] == "49"
    assert response.headers["X-RateLimit-Reset"] == "1"
    missing = await sim.client.get("/api/partner-gateway/v1/messages/status/x", headers=KEY)
    assert missing.status == 400
    assert missing.headers["X-RateLimit-Remaining"] == "48"


async def test_the_51st_request_in_a_second_is_429(windowed_sim: Sim) -> None:
    sim = windowed_sim
    for _ in range(50):
        assert (await sim.client.get(NUMBERS, headers=KEY)).status == 200
    response = await sim.client.get(NUMBERS, headers=KEY)
    assert response.status == 429
    assert await response.json() == {"status": 429, "error": "Too Many Requests",
                                     "message": "Rate limit exceeded. Please retry after 1 seconds.",
                                     "retryAfter": 1}
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["Retry-After"] == "1"
    other = await sim.client.get(NUMBERS, headers={"X-Api-Key": OTHER_KEY})
    assert other.status == 200
    await sim.advance(1)
    assert (await sim.client.get(NUMBERS, headers=KEY)).status == 200


async def test_the_per_minute_limit(make_sim: object) -> None:
    sim = await make_sim("qlara:\n  rate_limit: {per_minute: 5, per_second: 2}\n  rate_limit_clock: simulated\n")  # type: ignore[operator]
    headers = {"X-Api-Key": "open-mode-key-0001"}
    statuses = []
    for _ in range(5):
        for _ in range(2):
            statuses.append((await sim.client.get(NUMBERS, headers=headers)).status)
        await sim.advance(1)
    assert statuses == [200, 200, 200, 200, 200, 429, 429, 429, 429, 429]
    response = await sim.client.get(NUMBERS, headers=headers)
    body = await response.json()
    assert body["retryAfter"] == 55
    assert body["message"] == "Rate limit exceeded. Please retry after 55 seconds."
    await sim.advance(55)
    assert (await sim.client.get(NUMBERS, headers=headers)).status == 200


async def test_a_company_can_have_its_own_plan(make_sim: object) -> None:
    yaml_text = """
qlara:
  companies:
    - {id: trial, api_keys: [trial_company_key_01], rate_limit: {per_minute: 100, per_second: 10}}
"""
    sim = await make_sim(yaml_text)  # type: ignore[operator]
    headers = {"X-Api-Key": "trial_company_key_01"}
    codes = [(await sim.client.get(NUMBERS, headers=headers)).status for _ in range(11)]
    assert codes == [200] * 10 + [429]


async def test_limits_can_be_switched_off(make_sim: object) -> None:
    sim = await make_sim("qlara:\n  rate_limit: {per_minute: 0, per_second: 0}\n")  # type: ignore[operator]
    headers = {"X-Api-Key": "open-mode-key-0001"}
    for _ in range(60):
        response = await sim.client.get(NUMBERS, headers=headers)
        assert response.status == 200
    assert "X-RateLimit-Limit" not in response.headers
