"""The example face, registered from its own folder, gets every shared part over real HTTP (issue 11's proof).

Nothing under simulator/ names it: faults answer in its shape, metrics label it, the banner lists it, the
OpenAPI document describes it, scenarios are checked against its statuses, webhooks carry its messages,
the guard answers 401/429 in its shape, and its /_sim route is mounted.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator import ScenarioError, parse_config
from simulator.cli.banner import render
from simulator.openapi.document import load_document, operations
from simulator.webhooks import DISPATCHER
from tests.admin.test_openapi import app_operations
from tests.conftest import Sim, SimFactory
from tests.webhooks.receiver import start_receiver

KEY = {"X-Api-Key": "acme"}
RULES = """\
version: 1
example:
  rate_limit: 2
rules:
  - name: example delivers
    match: {face: example}
    steps: [{after: 1, status: delivered}]
"""
SCENARIOS = RULES + """\
faults:
  - name: example hiccup
    match: {face: example, method: POST}
    error: 503
    nth: 2
    retry_after: 7
"""


async def send(sim: Sim, to: str = "6591234567", headers: dict[str, str] | None = None) -> Any:
    return await sim.client.post("/example/messages", json={"to": to, "text": "hi"},
                                 headers=KEY if headers is None else headers)


async def test_faults_come_in_its_own_error_shape(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    assert (await send(sim)).status == 201
    faulted = await send(sim)
    assert faulted.status == 503
    assert await faulted.json() == {"oops": {"code": "E503", "text": "injected fault"}}
    assert faulted.headers["X-Postman-Sim-Fault"] == "example hiccup"
    assert faulted.headers["Retry-After"] == "7"


async def test_the_guard_answers_401_and_429_in_its_shape(make_sim: SimFactory) -> None:
    sim = await make_sim()
    missing = await send(sim, headers={})
    assert missing.status == 401
    assert await missing.json() == {"oops": {"code": "NO_KEY", "text": "send X-Api-Key"}}
    assert [(await send(sim)).status for _ in range(2)] == [201, 201]
    limited = await send(sim)
    assert limited.status == 429
    assert await limited.json() == {"oops": {"code": "SLOW_DOWN", "text": "too many requests"}}
    assert limited.headers["Retry-After"] == "1"
    unknown = await sim.client.get("/example/messages/nope", headers={"X-Api-Key": "other"})
    assert unknown.status == 404 and (await unknown.json())["oops"]["code"] == "NOT_FOUND"


async def test_metrics_label_its_requests_and_messages(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    created = await (await send(sim)).json()
    assert created["state"] == "queued"
    await sim.advance(1)
    read = await sim.client.get(f"/example/messages/{created['id']}", headers=KEY)
    assert (await read.json())["state"] == "delivered"
    text = await (await sim.client.get("/_sim/metrics")).text()
    assert any(line.startswith("postman_sim_requests_total{") and 'face="example"' in line and 'code="201"' in line
               for line in text.splitlines()), text
    assert any(line.startswith("postman_sim_messages{") and 'face="example"' in line and 'channel="sms"' in line
               and 'status="delivered"' in line and line.endswith(" 1.0") for line in text.splitlines()), text


def test_the_banner_lists_it_and_its_own_line() -> None:
    lines = render(parse_config(SCENARIOS), "http://127.0.0.1:8080").splitlines()
    assert "  Example SMS  http://127.0.0.1:8080/example" in lines
    assert "  example key: any X-Api-Key header (2/s per key)" in lines


async def test_the_openapi_document_describes_it(sim: Sim) -> None:
    document = await (await sim.client.get("/_sim/openapi.json")).json()
    assert {"post"} <= set(document["paths"]["/example/messages"])
    assert "get" in document["paths"]["/example/messages/{id}"]
    assert "post" in document["paths"]["/_sim/example/poke"]
    filters = {p["name"]: p["schema"] for p in document["paths"]["/_sim/messages"]["get"]["parameters"]}
    assert "example" in filters["face"]["enum"] and "queued" in filters["status"]["enum"]
    page = await (await sim.client.get("/_sim/docs")).text()
    assert "/example/messages" in page
    assert app_operations(sim.app) == operations(load_document())  # every route documented, nothing more


async def test_the_journal_filters_accept_its_face_and_statuses(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    created = await (await send(sim)).json()
    found = await sim.client.get("/_sim/messages", params={"face": "example", "status": "queued"})
    assert found.status == 200
    assert [m["id"] for m in (await found.json())["data"]] == [created["id"]]
    wrong = await sim.client.post(f"/_sim/messages/{created['id']}/status", json={"status": "DELIVERED"})
    assert wrong.status == 400
    assert "expected one of ['delivered', 'failed', 'queued']" in (await wrong.json())["error"]["message"]


def test_scenarios_are_checked_against_its_vocabulary() -> None:
    config = parse_config(SCENARIOS)
    assert config.scenarios.rules[0].plan.steps[0].status == "delivered"
    with pytest.raises(ScenarioError) as caught:
        parse_config("rules:\n  - {match: {face: example}, steps: [{status: DELIVERED}]}\n")
    assert "'DELIVERED' is not a example.sms status; expected one of ['delivered', 'failed', 'queued']" in str(
        caught.value)
    with pytest.raises(ScenarioError) as misspelt:
        parse_config("rules:\n  - {match: {face: exmple}, steps: [{status: delivered}]}\n")
    assert "'exmple' is not a face" in str(misspelt.value) and "'example'" in str(misspelt.value)
    with pytest.raises(ValueError, match="example.rate_limit"):
        from simulator import create_app

        create_app(parse_config("example: {rate_limit: fast}\n"))


async def test_webhooks_carry_its_messages_in_the_standard_format(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(RULES)
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    subscribed = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "standard",
                                                               "faces": ["example"], "channels": ["sms"]})
    assert subscribed.status == 201, await subscribed.text()
    first = await (await send(sim)).json()
    await sim.advance(1)
    second = await (await send(sim, to="6590000002")).json()
    forced = await sim.client.post(f"/_sim/messages/{second['id']}/status", json={"status": "failed"})
    assert forced.status == 200
    await sim.advance(1)
    await sim.app[DISPATCHER].drain()
    data = [post.json["data"] for post in hook.posts]
    assert [(d["message_id"], d["journal_id"], d["face"], d["status"], d["canonical_status"]) for d in data] == [
        (first["ref"], first["id"], "example", "queued", None),  # standard reports every status
        (first["ref"], first["id"], "example", "delivered", "delivered"),
        (second["ref"], second["id"], "example", "queued", None),
        (second["ref"], second["id"], "example", "failed", "failed"),
    ]
    assert data[3]["error"]["code"] == "E1"  # the failure its flow forces carries its own error


async def test_its_sim_route_is_mounted_in_the_sim_shape(sim: Sim) -> None:
    poked = await sim.client.post("/_sim/example/poke", json={"tenant": "acme"})
    assert poked.status == 200 and await poked.json() == {"poked": "acme", "sent": 0}
    wrong = await sim.client.post("/_sim/example/poke", json={"tenant": 1})
    assert wrong.status == 400
    assert await wrong.json() == {"error": {"code": "bad_request", "message": "'tenant' must be a string."}}
