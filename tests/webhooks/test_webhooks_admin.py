"""Subscriptions from every source (/_sim/webhooks, the scenarios file, the CLI), reset, and the sinks."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import create_app, parse_config
from simulator.admin.sink import create_sink_app
from simulator.cli import build_parser
from simulator.cli.sink import apply_serve_flags
from simulator.clock import ManualClock
from simulator.core.models import Facts
from simulator.webhooks import DISPATCHER
from simulator.webhooks.signing import meta_signature, standard_signature
from tests.conftest import START, SimFactory
from tests.webhooks.receiver import start_receiver

SCENARIOS = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}]
defaults: {v1.whatsapp: wa}
"""


async def test_subscription_crud(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    client = sim.client
    response = await client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:18399/a", "tenant": "moh",
                                                         "retry": {"schedule": [0, "5s", "5m", "2h"]}})
    assert response.status == 201
    created = await response.json()
    assert created["id"] == "wh_1" and created["format"] == "chuanglan" and created["source"] == "api"
    assert created["retry"] == {"schedule": [0, 5, 300, 7200], "jitter": 0.2} and created["state"] == "active"
    response = await client.post("/_sim/webhooks", json={"id": "mine", "url": "http://localhost:18399/b",
                                                         "format": "meta", "secret": "app-secret"})
    assert (await response.json())["signing"] == ["meta"]
    listing = (await (await client.get("/_sim/webhooks")).json())["data"]
    assert [s["id"] for s in listing] == ["wh_1", "mine"]
    response = await client.patch("/_sim/webhooks/wh_1", json={"url": "http://127.0.0.1:18399/c", "tenant": None})
    updated = await response.json()
    assert updated["url"] == "http://127.0.0.1:18399/c" and updated["tenant"] is None
    assert updated["retry"]["schedule"] == [0, 5, 300, 7200]
    assert (await client.delete("/_sim/webhooks/mine")).status == 204
    response = await client.get("/_sim/webhooks/mine")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize(("body", "fragment"), [
    ({"url": "ftp://x"}, "not an http(s) URL"),
    ({}, "url: required"),
    ({"url": "http://127.0.0.1:1/", "format": "sms"}, "format: 'sms' is not one of"),
    ({"url": "http://127.0.0.1:1/", "colour": "red"}, "unknown key(s) ['colour']"),
    ({"url": "http://127.0.0.1:1/", "retry": {"schedule": ["soon"]}}, "retry.schedule[0]"),
    ({"url": "http://127.0.0.1:1/", "chaos": {"duplicate": 2}}, "chaos.duplicate"),
    ({"url": "http://127.0.0.1:1/", "verify_token": "x"}, "only the meta format"),
    ({"url": "http://127.0.0.1:1/", "faces": ["v9"]}, "faces: ['v9'] not known"),
    ({"url": "http://127.0.0.1:1/", "timeout": 0}, "timeout: must be a number"),
])
async def test_bad_subscriptions_get_clear_errors(make_sim: SimFactory, body: dict[str, Any], fragment: str) -> None:
    sim = await make_sim(SCENARIOS)
    response = await sim.client.post("/_sim/webhooks", json=body)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and fragment in error["message"]


async def test_bad_requests_and_unknown_ids(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    response = await sim.client.post("/_sim/webhooks", data=b"{nope")
    assert response.status == 400 and (await response.json())["error"]["code"] == "bad_request"
    await sim.client.post("/_sim/webhooks", json={"id": "dup", "url": "http://127.0.0.1:1/"})
    response = await sim.client.post("/_sim/webhooks", json={"id": "dup", "url": "http://127.0.0.1:1/"})
    assert response.status == 409
    for method, path in (("GET", "/_sim/webhooks/events/nope"), ("POST", "/_sim/webhooks/events/nope/redeliver"),
                         ("PATCH", "/_sim/webhooks/nope"), ("DELETE", "/_sim/webhooks/nope")):
        response = await sim.client.request(method, path, json={})
        assert response.status == 404, path
    response = await sim.client.get("/_sim/webhooks/deliveries?limit=0")
    assert response.status == 400


async def test_deleting_a_subscription_drops_its_pending_events(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    hook = await start_receiver(aiohttp_server, clock=sim.clock, script=[500])
    response = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "retry": {"schedule": [0, 60]}})
    sub_id = (await response.json())["id"]
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(3)
    await sim.client.delete(f"/_sim/webhooks/{sub_id}")
    await sim.advance(120)
    assert len(hook.posts) == 1
    (event,) = (await (await sim.client.get("/_sim/webhooks/events")).json())["data"]
    assert event["state"] == "dropped"


async def test_subscriptions_from_the_scenarios_file(make_sim: SimFactory, aiohttp_server: Any) -> None:
    hook = await start_receiver(aiohttp_server)
    sim = await make_sim(SCENARIOS + f"""
webhooks:
  max_in_flight: 4
  defaults: {{retry: {{schedule: [0, 1m], jitter: 0}}, timeout: 5}}
  subscriptions:
    - {{id: govsg, url: "{hook.url}", format: meta, secret: s3cret, faces: [v1]}}
""")
    hook.clock = sim.clock
    (sub,) = (await (await sim.client.get("/_sim/webhooks")).json())["data"]
    assert (sub["id"], sub["source"], sub["format"], sub["timeout"]) == ("govsg", "scenarios", "meta", 5)
    assert sub["retry"] == {"schedule": [0, 60], "jitter": 0}
    assert (await (await sim.client.get("/_sim/webhooks/stats")).json())["max_in_flight"] == 4
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(3)
    assert [r.headers["X-Hub-Signature-256"] for r in hook.posts] == [
        meta_signature("s3cret", r.body) for r in hook.posts]
    assert len(hook.posts) == 2


def test_a_bad_webhooks_section_is_refused_with_every_problem() -> None:
    config = parse_config(SCENARIOS + """
webhooks:
  max_in_flight: 0
  subscriptions:
    - {url: "nope"}
  colour: red
""")
    with pytest.raises(ValueError, match="webhooks") as caught:
        create_app(config, clock=ManualClock(start=START))
    text = str(caught.value)
    assert "max_in_flight" in text and "subscriptions[0]" in text and "'colour'" in text


async def test_serve_flags_add_a_subscription(aiohttp_client: Any) -> None:
    args = build_parser().parse_args(["serve", "--webhook-url", "http://127.0.0.1:18399/hook",
                                      "--webhook-format", "meta", "--webhook-secret", "app-secret"])
    config = apply_serve_flags(parse_config(SCENARIOS), args)
    client = await aiohttp_client(create_app(config, clock=ManualClock(start=START)))
    (sub,) = (await (await client.get("/_sim/webhooks")).json())["data"]
    assert (sub["url"], sub["format"], sub["signing"], sub["source"]) == (
        "http://127.0.0.1:18399/hook", "meta", ["meta"], "cli")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--webhook-format", "xml"])


async def test_reset_forgets_events_but_keeps_subscriptions(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    hook = await start_receiver(aiohttp_server, clock=sim.clock, default=500)
    await sim.client.post("/_sim/webhooks", json={"url": hook.url})
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(3)
    assert (await (await sim.client.get("/_sim/webhooks/stats")).json())["events"] == 1
    await sim.client.post("/_sim/reset")
    stats = await (await sim.client.get("/_sim/webhooks/stats")).json()
    assert (stats["events"], stats["attempts_logged"], stats["subscriptions"]) == (0, 0, 1)
    await sim.advance(86400)
    assert len(hook.posts) == 1  # the retries went with the reset


async def test_sim_sink_records_answers_and_does_the_meta_handshake(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS)
    base = str(sim.client.make_url("/_sim/sink/meta"))
    await sim.client.post("/_sim/webhooks", json={"url": base, "format": "meta", "verify_token": "any"})
    await sim.client.post("/_sim/webhooks", json={"url": base.replace("/meta", "/flaky?status=503&retry_after=9"),
                                                  "retry": {"schedule": [0, 1]}})
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(3)
    received = (await (await sim.client.get("/_sim/sink")).json())["data"]
    assert [(r["path"], r["method"]) for r in reversed(received)] == [
        ("/_sim/sink/meta", "POST"), ("/_sim/sink/meta", "POST"), ("/_sim/sink/flaky", "POST")]
    assert received[0]["json"]["type"] == "whatsapp_message_status_updated"
    subs = (await (await sim.client.get("/_sim/webhooks")).json())["data"]
    assert subs[0]["state"] == "active"  # the sink answered the hub.challenge
    row = (await (await sim.client.get(f"/_sim/webhooks/deliveries?subscription_id={subs[1]['id']}")).json())["data"]
    assert row[0]["response"]["status"] == 503 and row[0]["next_attempt_at"] == "2026-01-01T00:00:12.000Z"
    assert (await sim.client.delete("/_sim/sink")).status == 204
    assert (await (await sim.client.get("/_sim/sink")).json())["total"] == 0


async def test_standalone_sink_checks_signatures(aiohttp_client: Any) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    client = await aiohttp_client(create_sink_app(ManualClock(start=START), secret=secret, verify_token="tok"))
    body = b'{"a":1}'
    good = {"X-Hub-Signature-256": meta_signature(secret, body), "webhook-id": "msg_1", "webhook-timestamp": "5",
            "webhook-signature": standard_signature(secret, "msg_1", 5, body)}
    assert (await client.post("/anything", data=body, headers=good)).status == 200
    assert (await client.post("/", data=body + b" ", headers=good)).status == 200
    shown = (await (await client.get("/")).json())["data"]
    assert shown[1]["signatures"] == {"x-hub-signature-256": True, "webhook-signature": True}
    assert shown[0]["signatures"] == {"x-hub-signature-256": False, "webhook-signature": False}
    response = await client.get("/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=tok")
    assert await response.text() == "42"
    response = await client.get("/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=nope")
    assert response.status == 403


async def test_dispatcher_api_for_faces(make_sim: SimFactory, aiohttp_server: Any) -> None:
    """What the Qlara face's registration endpoints call: one subscription per company."""
    sim = await make_sim(SCENARIOS.replace("defaults: {v1.whatsapp: wa}", "  ql: [{after: 1, status: SENT}]\n"
                                                                     "defaults: {v1.whatsapp: wa, qlara.sms: ql}"))
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    dispatcher = sim.app[DISPATCHER]
    spec = {"url": hook.url, "format": "qlara", "faces": ["qlara"], "channels": ["whatsapp", "sms"],
            "tenant": "acme"}
    sub = dispatcher.set_subscription("qlara:acme", spec, source="qlara")
    assert sub.state == "active" and dispatcher.get_subscription("qlara:acme") is sub
    replaced = dispatcher.set_subscription("qlara:acme", {**spec, "url": hook.url + "/v2"}, source="qlara")
    assert replaced.url.endswith("/v2") and len(dispatcher.subscriptions()) == 1
    sim.engine.accept(face="qlara", channel="sms", tenant="acme", recipient="393401234567", payload={})
    sim.engine.accept(face="qlara", channel="sms", tenant="other", recipient="393409999999", payload={})
    await sim.advance(1)
    assert [(r.path, r.json["destination"], r.json["statusCode"]) for r in hook.posts] == [
        ("/hook/v2", "+393401234567", 1)]
    assert dispatcher.remove_subscription("qlara:acme") and not dispatcher.remove_subscription("qlara:acme")
