"""Faults that answer any documented error of a face by its code, or a custom answer, over real HTTP; and the
load errors (line, column, did-you-mean) for codes a face does not document."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from simulator import ScenarioError, parse_config
from tests.conftest import ROOT, SimFactory
from tests.faces.qlara.helpers import GATEWAY, KEY
from tests.faces.v2.helpers import error_of, send
from tests.scenarios.helpers import with_campaign

FAULT_HEADER = "X-Postman-Sim-Fault"
QLARA_STATUS = f"{GATEWAY}/messages/status/abc"


def faults(block: str) -> str:
    return with_campaign("faults:\n" + block)


async def test_v2_documented_errors_by_code(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {name: not whitelisted, match: {face: v2}, error: {code: invalid_ip_address_used}, nth: [1]}
  - {name: cloudflare, match: {face: v2}, error: {code: cloudflare_1010}, nth: [2]}
  - {match: {face: v2}, error: {code: unresolved_batch_messages}, nth: [3]}
"""))
    response = await send(sim)
    error = await error_of(response, 400)
    assert (error["code"], error["type"]) == ("invalid_ip_address_used", "authentication_error")
    assert error["message"] and response.headers[FAULT_HEADER] == "not whitelisted"
    blocked = await send(sim)
    assert blocked.status == 403 and await blocked.text() == "error code: 1010"
    assert blocked.content_type == "text/plain" and blocked.headers[FAULT_HEADER] == "cloudflare"
    error = await error_of(await send(sim), 400)
    assert error["code"] == "unresolved_batch_messages" and error["type"] == "domain_error"
    assert error["message"].startswith("Batch cannot be retried")
    assert (await send(sim)).status == 201
    messages = await (await sim.client.get("/_sim/messages")).json()
    assert messages["total"] == 1  # faulted requests never reach the face


async def test_v1_documented_401_and_403_variants(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: v1}, error: {code: unauthenticated}, nth: [1]}
  - {match: {face: v1}, error: {code: unauthorized}, nth: [2]}
  - {match: {face: v1}, error: {code: already_sent}, nth: [3]}
"""))
    answers = []
    for _ in range(3):
        response = await sim.client.post("/v1/transactional/sms/send", json={},
                                         headers={"Authorization": "Bearer user_v1_abc"})
        answers.append((response.status, await response.json()))
    assert answers == [
        (401, {"code": "unauthenticated",
               "message": "Unauthenticated request. Please try again with correct authentication"}),
        (403, {"code": "unauthorized",
               "message": "Attachments are not allowed for Postman default from email address"}),
        (403, {"code": "already_sent", "message": "Campaign has already been sent"}),
    ]


async def test_qlara_documented_spring_errors(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - {match: {face: qlara}, error: {code: forbidden}, nth: [1]}
  - {match: {face: qlara}, error: {code: too_many_requests}, nth: [2], retry_after: 12}
  - {match: {face: qlara}, error: {code: conflict}, nth: [3]}
"""))
    response = await sim.client.get(QLARA_STATUS, params={"channel": "SMS"}, headers=KEY)
    assert response.status == 403
    body = await response.json()
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert (body["status"], body["error"], body["path"]) == (403, "Forbidden", QLARA_STATUS)
    assert "whitelisted" in body["message"]
    response = await sim.client.get(QLARA_STATUS, params={"channel": "SMS"}, headers=KEY)
    assert response.status == 429 and response.headers["Retry-After"] == "12"
    assert await response.json() == {"status": 429, "error": "Too Many Requests",
                                     "message": "Rate limit exceeded. Please retry after 12 seconds.",
                                     "retryAfter": 12}
    response = await sim.client.get(QLARA_STATUS, params={"channel": "SMS"}, headers=KEY)
    assert response.status == 409 and (await response.json())["error"] == "Conflict"


async def test_respond_gives_a_custom_answer_as_written(make_sim: SimFactory) -> None:
    sim = await make_sim(faults("""
  - name: teapot
    match: {face: v2}
    nth: [1]
    respond: {status: 418, body: {error: teapot, retry: false}, headers: {X-Upstream: edge-7, Retry-After: 30}}
  - {match: {face: qlara}, first: 1, respond: {status: 502, body: "<html>Bad gateway</html>"}}
"""))
    response = await send(sim)
    assert response.status == 418 and response.content_type == "application/json"
    assert await response.json() == {"error": "teapot", "retry": False}
    assert response.headers["X-Upstream"] == "edge-7" and response.headers["Retry-After"] == "30"
    assert response.headers[FAULT_HEADER] == "teapot"
    response = await sim.client.get(QLARA_STATUS, params={"channel": "SMS"}, headers=KEY)
    assert response.status == 502 and await response.text() == "<html>Bad gateway</html>"
    assert response.content_type == "text/plain"


def problems(block: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_config("faults:\n" + block)
    return [(p.line, p.where, p.render()) for p in caught.value.details]


def test_an_undocumented_code_is_a_load_error_with_did_you_mean() -> None:
    ((line, where, text),) = problems("""
  - {match: {face: v2}, error: {code: invalid_ip_adress_used}}
""")
    assert (line, where) == (3, "faults[0].error.code")
    assert "'invalid_ip_adress_used' is not a documented v2 error" in text
    assert "did you mean 'invalid_ip_address_used'?" in text
    # a v1 code is not a v2 error
    ((_, _, text),) = problems("  - {match: {face: v2}, error: {code: unauthenticated}}\n")
    assert "not a documented v2 error" in text


def test_fault_answer_problems() -> None:
    found = problems("""
  - {error: {code: forbidden}}
  - {match: {face: qlara}, error: {cod: forbidden}}
  - {match: {face: v1}, respond: {status: 99}}
  - {match: {face: v1}, respond: {status: 418, body: 5}}
  - {match: {face: v1}, respond: {status: 418, headers: {"Bad Name": x}}}
  - {match: {face: v1}, error: 503, respond: {status: 418}}
""")
    wheres = [where for _, where, _ in found]
    assert "faults[0].error" in wheres and "faults[1].error" in wheres
    assert "faults[2].respond.status" in wheres and "faults[3].respond.body" in wheres
    assert "faults[4].respond.headers" in wheres and "faults[5]" in wheres
    assert next(t for _, w, t in found if w == "faults[0].error").endswith("add match: {face: ...}")


def test_the_published_schema_takes_both_forms() -> None:
    schema = json.loads((ROOT / "scenarios.schema.json").read_text())
    good = yaml.safe_load("""
faults:
  - {match: {face: v2}, error: {code: invalid_ip_address_used}}
  - {match: {face: v1}, respond: {status: 418, body: {a: 1}, headers: {X-A: b}}}
  - {match: {face: qlara}, error: 503}
""")
    jsonschema.validate(good, schema)
    parse_config(yaml.safe_dump(good))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"faults": [{"error": {"code": "no_such_code"}}]}, schema)
