"""The plugin's fixtures used directly (the plugin is installed, so this suite has them too)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest

from simulator.testing import PostmanSim, SettledElsewhere, SimClient, WaitTimeout, WebhookSink
from simulator.testing.handle import fresh_v2

LIFECYCLE = ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]


def send_v2(sim: PostmanSim, recipient: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    """A plain urllib send, as a user's synchronous code under test would do it."""
    body = {"recipient": recipient, "language": "english",
            "values": values or {"name": "Tan", "date": "1 Dec"}}
    request = urllib.request.Request(sim.v2_messages_url, data=json.dumps(body).encode(), method="POST",
                                     headers={**sim.auth_headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        result: dict[str, Any] = json.loads(response.read())
        return result


def test_sync_test_sends_and_waits_on_the_manual_clock(postman_sim: PostmanSim) -> None:
    start = postman_sim.clock()
    assert start.kind == "manual"
    message = send_v2(postman_sim, "6591234567")
    assert message["latestStatus"] == "created"
    done = postman_sim.wait_for(message["id"], "success")
    assert done.statuses == LIFECYCLE
    # wait_for stops the clock exactly where the status was reached: 6 s of simulated time
    assert postman_sim.clock().epoch == pytest.approx(start.epoch + 6)
    assert [m.id for m in postman_sim.messages(status="success")] == [message["id"]]
    assert postman_sim.urls["v2"] == postman_sim.url + "/api/v2"


async def test_async_test_uses_the_async_client(postman_sim: PostmanSim) -> None:
    body = {"recipient": "6511111111", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
    async with aiohttp.ClientSession() as session, \
            session.post(postman_sim.v2_messages_url, json=body, headers=postman_sim.auth_headers) as r:
        assert r.status == 201
        message_id = (await r.json())["id"]
    failed = await postman_sim.aio.wait_for(message_id, {"success", "failure"})
    assert failed.status == "failure"
    assert failed.error is not None and failed.error["code"] == "recipient_invalid"


@pytest.mark.postman_sim(scenarios="""
rules:
  - name: this test's unlucky number
    match: {face: v2, recipient: "6591234567"}
    steps:
      - {after: 30, status: failure, error: {type: delivery_error, code: routing_error}}
""", start="2026-03-01T08:00:00Z")
def test_marker_prepends_rules_and_sets_the_start(postman_sim: PostmanSim) -> None:
    assert postman_sim.clock().now == "2026-03-01T08:00:00.000Z"
    unlucky = send_v2(postman_sim, "6591234567")
    usual = send_v2(postman_sim, "6598765432")  # the file's rules still apply to everyone else
    assert postman_sim.wait_for(unlucky["id"], "failure").error == {
        "type": "delivery_error", "code": "routing_error", "description": None, "sub_type": None}
    assert postman_sim.clock().now == "2026-03-01T08:00:30.000Z"
    assert postman_sim.message(usual["id"]).status == "success"


def test_wait_for_explains_what_it_saw_when_the_status_never_comes(postman_sim: PostmanSim) -> None:
    foreign = send_v2(postman_sim, "14155550100")  # foreign numbers stop at sent_to_telco
    with pytest.raises(WaitTimeout, match=r"did not reach \['success'\].*'sent_to_telco'\]"):
        postman_sim.wait_for(foreign["id"], "success")


def test_reset_forgets_messages(postman_sim: PostmanSim) -> None:
    send_v2(postman_sim, "6591234567")
    assert postman_sim.reset() == 1
    assert postman_sim.messages() == []


def test_tenants_on_the_shared_server_do_not_see_each_other(postman_sim_tenant: PostmanSim) -> None:
    campaign, key = fresh_v2()
    other = PostmanSim(url=postman_sim_tenant.url, api_key=key, campaign_id=campaign, tenant=campaign)
    mine = send_v2(postman_sim_tenant, "6591234567", {"body": "mine"})
    theirs = send_v2(other, "6591234567", {"body": "theirs"})
    assert [m.id for m in postman_sim_tenant.messages()] == [mine["id"]]
    assert [m.id for m in other.messages()] == [theirs["id"]]
    assert postman_sim_tenant.wait_for(mine["id"], "success").payload["values"] == {"body": "mine"}
    assert other.reset() == 1
    assert [m.id for m in postman_sim_tenant.messages()] == [mine["id"]]


def test_webhook_sink_records_real_requests(webhook_sink: WebhookSink) -> None:
    webhook_sink.respond_with(503, times=1)
    request = urllib.request.Request(webhook_sink.url_for("/hooks/status?x=1"), data=b'{"status": "sent"}',
                                     method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 503
    refused.value.close()
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    first, second = webhook_sink.wait_for(2)
    assert first.method == "POST" and first.path == "/hooks/status" and first.query == {"x": "1"}
    assert second.json() == {"status": "sent"}
    assert second.headers["Content-Type"] == "application/json"


def test_sim_client_reports_control_errors(postman_sim: PostmanSim) -> None:
    from simulator.testing import SimError

    with pytest.raises(SimError) as error:
        SimClient(postman_sim.url).advance(-1)
    assert error.value.status == 400 and error.value.code == "bad_request"
    with pytest.raises(SimError, match="404 not_found"):
        postman_sim.message("message_nope")


@pytest.mark.postman_sim(scenarios="""
rules:
  - name: fails
    match: {face: v2, recipient: "6591234567"}
    steps:
      - {after: 30, status: failure, error: {type: delivery_error, code: routing_error}}
  - name: slow
    match: {face: v2, recipient: "6599999999"}
    steps:
      - {after: 3000, status: success}
""")
async def test_waiting_for_success_fails_at_once_when_the_message_ends_otherwise(postman_sim: PostmanSim) -> None:
    start = postman_sim.clock().epoch
    send_v2(postman_sim, "6599999999")              # something else still due later: the old wait ran on to it
    failing = send_v2(postman_sim, "6591234567")["id"]
    with pytest.raises(SettledElsewhere) as caught:
        postman_sim.wait_for(failing, "success")
    text = str(caught.value)
    assert "ended at 'failure', not ['success']" in text and "routing_error" in text and "'created'" in text
    assert postman_sim.clock().epoch == pytest.approx(start + 30)  # stopped where it failed
    with pytest.raises(SettledElsewhere, match="ended at 'failure'"):
        await postman_sim.aio.wait_for(failing, {"success", "sent_to_telco"})
    assert isinstance(caught.value, WaitTimeout) and postman_sim.clock().epoch == pytest.approx(start + 30)
