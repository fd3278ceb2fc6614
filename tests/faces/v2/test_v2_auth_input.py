"""v2 auth and tenant isolation, the per-campaign rate limit, and bad input (never a 500)."""

from __future__ import annotations

import io

import pytest

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT, Sim
from tests.faces.v2.helpers import auth, error_of, send, send_ok

OTHER_CAMPAIGN = "campaign_11111111-2222-4333-8444-555555555555"
OTHER_KEY = "key_test_someone_else_123"


async def test_missing_or_malformed_key_is_401(sim: Sim) -> None:
    url = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer not-a-key"}, {"Authorization": f"bearer {DEMO_KEY}"}):
        error = await error_of(await sim.client.get(url, headers=headers), 401)
        assert error["type"] == "authentication_error"


async def test_a_configured_key_only_works_on_its_own_campaign(sim: Sim) -> None:
    error = await error_of(await send(sim, campaign=OTHER_CAMPAIGN, key=DEMO_KEY, values={"body": "x"}), 401)
    assert error["code"] == "invalid_api_key_provided"
    await error_of(await send(sim, campaign=DEMO_CAMPAIGN, key=OTHER_KEY), 401)


async def test_open_mode_campaign_gets_a_body_template_in_all_four_languages_and_binds_its_key(sim: Sim) -> None:
    for language in ("english", "chinese", "malay", "tamil"):
        body = await send_ok(sim, campaign=OTHER_CAMPAIGN, key=OTHER_KEY, language=language,
                             values={"body": "Your OTP is 123456"})
        assert "Your OTP is 123456" in body["fullMessage"]
        assert body["campaignId"] == OTHER_CAMPAIGN
    # The key now belongs to that campaign: using it on a third campaign is refused.
    third = "campaign_99999999-2222-4333-8444-555555555555"
    await error_of(await send(sim, campaign=third, key=OTHER_KEY, values={"body": "x"}), 401)


async def test_another_campaigns_message_is_404(sim: Sim) -> None:
    mine = await send_ok(sim, campaign=OTHER_CAMPAIGN, key=OTHER_KEY, values={"body": "x"})
    response = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages/{mine['id']}", headers=auth())
    error = await error_of(response, 404)
    assert error["code"] == "not_found"
    listing = await (await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth())).json()
    assert listing["data"] == []


async def test_strict_mode_refuses_unknown_campaigns(make_sim) -> None:
    text = (ROOT / "scenarios.yaml").read_text().replace("mode: open", "mode: strict")
    sim = await make_sim(text)
    await error_of(await send(sim, campaign=OTHER_CAMPAIGN, key=OTHER_KEY, values={"body": "x"}), 401)
    await send_ok(sim)


async def test_legacy_401_body_is_configurable(make_sim) -> None:
    text = (ROOT / "scenarios.yaml").read_text().replace("unauthorized_body: error", "unauthorized_body: legacy")
    sim = await make_sim(text)
    response = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages")
    assert response.status == 401
    assert await response.json() == {"message": "Unauthorized", "statusCode": 401}


async def test_eleventh_call_within_one_second_is_429_and_dropped(windowed_sim: Sim) -> None:
    sim = windowed_sim
    for _ in range(5):
        await send_ok(sim)
    for _ in range(5):  # every endpoint counts towards the same campaign limit
        response = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth())
        assert response.status == 200
    error = await error_of(await send(sim), 429)
    assert error["code"] == "too_many_requests"
    journal = await (await sim.client.get("/_sim/messages", params={"tenant": DEMO_CAMPAIGN})).json()
    assert journal["total"] == 5  # the refused send was dropped, not queued
    # Another campaign has its own budget; the next second starts afresh.
    await send_ok(sim, campaign=OTHER_CAMPAIGN, key=OTHER_KEY, values={"body": "x"})
    await sim.advance(1)
    await send_ok(sim)


async def test_rate_limit_is_configurable_and_can_be_off(make_sim) -> None:
    text = (ROOT / "scenarios.yaml").read_text().replace("rate_limit: 10 ", "rate_limit: 0 ")
    sim = await make_sim(text)
    for _ in range(30):
        await send_ok(sim)


BAD_BODIES = [
    (b"{not json", "Request body must be a JSON object."),
    (b"[1, 2]", "Request body must be a JSON object."),
    (b'{"recipient": 6591234567, "language": "english", "values": {"name": "a", "date": "b"}}',
     "Invalid recipient, ensure it is a valid normalized phone number, eg 6591112222."),
    (b'{"recipient": "+6591234567", "language": "english", "values": {"name": "a", "date": "b"}}',
     "Invalid recipient, ensure it is a valid normalized phone number, eg 6591112222."),
    (b'{"recipient": "91234567", "language": "english", "values": {"name": "a", "date": "b"}}',
     "Invalid recipient, ensure it is a valid normalized phone number, eg 6591112222."),
    (b'{"recipient": "6591234567", "language": "malay", "values": {"name": "a", "date": "b"}}',
     "malay is not supported. available language(s) for this campaign: english, chinese"),
    (b'{"recipient": "6591234567", "language": "english"}', "Validation failed (expected type is object)"),
    (b'{"recipient": "6591234567", "values": {"name": "a", "date": "b"}}',
     "language must be one of the campaign's language(s): english, chinese"),
    (b'{"recipient": "6591234567", "language": ["english"], "values": {"name": "a", "date": "b"}}',
     "language must be one of the campaign's language(s): english, chinese"),
    (b'{"recipient": "6591234567", "language": "english", "values": "x"}',
     "Validation failed (expected type is object)"),
    (b'{"recipient": "6591234567", "language": "english", "values": {"name": "a"}}',
     "Validation failed (expected type is object)"),
    (b'{"recipient": "6591234567", "language": "english", "values": {"name": "a", "date": ""}}',
     "Validation failed (expected type is object)"),
    (b'{"recipient": "6591234567", "language": "english", "values": {"name": 1, "date": "b"}}',
     "Validation failed (expected type is object)"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_BODIES)
async def test_bad_input_gets_the_documented_400(sim: Sim, raw: bytes, message: str) -> None:
    response = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", data=raw,
                                     headers={**auth(), "Content-Type": "application/json"})
    error = await error_of(response, 400)
    assert error["code"] == "parameter_invalid"
    assert error["message"] == message


async def test_oversized_body_and_overlong_message_are_400(sim: Sim) -> None:
    huge = b'{"recipient": "6591234567", "language": "english", "values": {"name": "' + b"a" * 2_000_000 + b'"}}'
    response = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", data=io.BytesIO(huge),
                                     headers={**auth(), "Content-Type": "application/json"})
    assert (await error_of(response, 400))["code"] == "parameter_invalid"
    error = await error_of(await send(sim, values={"name": "a" * 1000, "date": "b"}), 400)
    assert "1000 characters" in error["message"]


async def test_unknown_paths_and_methods_keep_the_v2_error_shape(sim: Sim) -> None:
    error = await error_of(await sim.client.get("/api/v2/nowhere"), 404)
    assert error["code"] == "invalid_path"
    response = await sim.client.delete(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth())
    assert (await error_of(response, 405))["code"] == "method_not_allowed"
