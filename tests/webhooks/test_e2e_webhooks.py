"""End to end: sends over the faces' real HTTP APIs reach real receivers on loopback as signed webhooks,
in order, at the simulated times the statuses happen (GovSG in chuanglan and meta, Qlara through its
own registration, v1 email for a subscription that opts in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from simulator.webhooks import DISPATCHER
from tests.conftest import START, Sim
from tests.faces.qlara.helpers import GATEWAY, KEY, send_whatsapp, status, template_body
from tests.faces.v1.client import EMAIL, GOVSG, call, email_body, send
from tests.webhooks.receiver import Received, Receiver, start_receiver

META_SECRET = "e2e-app-secret"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
QLARA_HOOK = f"{GATEWAY}/webhooks/delivery-status"


async def subscribe(sim: Sim, aiohttp_server: Any, **spec: Any) -> Receiver:
    receiver = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, **spec})
    assert response.status == 201, await response.text()
    return receiver


async def settle(sim: Sim, seconds: float) -> None:
    await sim.advance(seconds)
    await sim.app[DISPATCHER].drain()


def meta_signature_ok(post: Received) -> bool:
    """X-Hub-Signature-256 as Meta documents it: sha256=<hex HMAC-SHA256(app secret, raw body)>."""
    expected = "sha256=" + hmac.new(META_SECRET.encode(), post.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(post.headers["X-Hub-Signature-256"], expected)


def standard_signature_ok(post: Received) -> bool:
    """Standard Webhooks: v1,<base64 HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}")>."""
    key = base64.b64decode(STANDARD_SECRET.removeprefix("whsec_"))
    signed = f"{post.headers['webhook-id']}.{post.headers['webhook-timestamp']}.".encode() + post.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # the timestamp is the attempt's wall-clock second (transport metadata), within Standard Webhooks' 5 minutes
    fresh = abs(int(post.headers["webhook-timestamp"]) - time.time()) <= 300
    return post.headers["webhook-signature"] == expected and fresh


def meta_status(post: Received) -> dict[str, Any]:
    value = post.json["entry"][0]["changes"][0]["value"]
    (entry,) = value["statuses"]
    result: dict[str, Any] = entry
    return result


def journal_id(sent: dict[str, Any], channel: str = "whatsapp") -> str:
    """The simulator's message id (as /_sim/messages shows it) of a v1 send: v1.<channel>.<id>."""
    return f"v1.{channel}.{sent['id']}"


def govsg(recipient: str) -> dict[str, Any]:
    return {"recipient": recipient, "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}}


async def test_a_govsg_send_reaches_chuanglan_and_meta_receivers_in_order(sim: Sim, aiohttp_server: Any) -> None:
    chuanglan = await subscribe(sim, aiohttp_server, format="chuanglan", faces=["v1"], secret=STANDARD_SECRET,
                                account_name="IW123456")
    meta = await subscribe(sim, aiohttp_server, format="meta", faces=["v1"], secret=META_SECRET)
    read = await send(sim, GOVSG, govsg("+65 8123 4567"))
    failed = await send(sim, GOVSG, govsg("6580131049"))
    receipts_off = await send(sim, GOVSG, govsg("6580000002"))
    await settle(sim, 30)

    # meta: one status per POST, in the order and at the simulated second each status happened
    by_recipient: dict[str, list[tuple[str, float, str]]] = {}
    for post in meta.posts:
        entry = meta_status(post)
        by_recipient.setdefault(entry["recipient_id"], []).append((entry["status"], post.at - START,
                                                                   entry["timestamp"]))
    assert by_recipient == {
        "6581234567": [("sent", 1, str(int(START) + 1)), ("delivered", 3, str(int(START) + 3)),
                       ("read", 8, str(int(START) + 8))],
        "6580131049": [("sent", 1, str(int(START) + 1)), ("failed", 3, str(int(START) + 3))],
        "6580000002": [("sent", 1, str(int(START) + 1)), ("delivered", 3, str(int(START) + 3))],
    }
    (failure,) = [meta_status(p) for p in meta.posts if meta_status(p)["status"] == "failed"]
    assert failure["errors"][0]["code"] == 131049
    assert "healthy ecosystem engagement" in failure["errors"][0]["error_data"]["details"]
    assert all(p.headers["User-Agent"] == "facebookexternalua" and meta_signature_ok(p) for p in meta.posts)

    # chuanglan (the seed): no "sent"; failed carries the Meta code as errorData.errorCode
    events = [(p.json["body"]["sendPhone"], p.json["body"]["status"], p.at - START) for p in chuanglan.posts]
    assert events == [("6581234567", "delivered", 3), ("6580131049", "failed", 3), ("6580000002", "delivered", 3),
                      ("6581234567", "read", 8)]
    bodies = {(p.json["body"]["id"], p.json["body"]["status"]): p.json["body"] for p in chuanglan.posts}
    # body.id is the id the GovSG send answered with, so a receiver can match the webhook to its send
    assert bodies[(failed["id"], "failed")]["errorData"]["errorCode"] == "131049"
    assert (receipts_off["id"], "read") not in bodies and (read["id"], "read") in bodies
    assert all(b["accountName"] == "IW123456" for b in bodies.values())
    assert all(standard_signature_ok(p) for p in chuanglan.posts)
    assert len({p.headers["webhook-id"] for p in chuanglan.posts}) == len(chuanglan.posts) == 4

    # both formats name the same WhatsApp message by the wamid the GovSG face gave it
    meta_wamids = {meta_status(p)["recipient_id"]: meta_status(p)["id"] for p in meta.posts}
    chuanglan_wamids = {p.json["body"]["sendPhone"]: p.json["body"]["wamid"] for p in chuanglan.posts}
    assert meta_wamids == chuanglan_wamids and all(w.startswith("wamid.") for w in meta_wamids.values())


async def test_a_qlara_send_reaches_the_companys_registered_callback(sim: Sim, aiohttp_server: Any) -> None:
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    registered = await sim.client.post(QLARA_HOOK, json={"callbackUrl": hook.url}, headers=KEY)
    assert registered.status == 201
    # the registration is a dispatcher subscription: give it a secret to have the events signed
    patched = await sim.client.patch("/_sim/webhooks/qlara:qlara-demo", json={"secret": STANDARD_SECRET})
    assert patched.status == 200, await patched.text()
    full = await send_whatsapp(sim, template_body("+393400000006", messageId="order-6"))
    receipts_off = await send_whatsapp(sim, template_body("+393400000001", messageId="order-1"))
    not_on_whatsapp = await send_whatsapp(sim, template_body("+393400000003", messageId="order-3"))
    await settle(sim, 30)

    by_customer: dict[str, list[tuple[str, int | None]]] = {}
    platform_ids: dict[str, str] = {}
    for post in hook.posts:
        event = post.json
        customer = event.get("customerMessageId") or next(c for c, m in platform_ids.items()
                                                          if m == event["messageId"])
        platform_ids[customer] = event["messageId"]
        by_customer.setdefault(customer, []).append((event["eventType"], event.get("statusCode")))
    assert by_customer == {
        full: [("DELIVERY", 1), ("DELIVERY", 2), ("DELIVERY", 3), ("READ", None)],
        receipts_off: [("DELIVERY", 1), ("DELIVERY", 3)],
        not_on_whatsapp: [("DELIVERY", 4)],
    }
    for customer, platform_id in platform_ids.items():  # the same ids the status API gives
        assert (await status(sim, customer))["messageId"] == platform_id
    (error,) = [p.json for p in hook.posts if p.json.get("statusCode") == 4]
    assert error["errorCode"] == "131026" and error["destination"] == "+393400000003"
    final = await status(sim, full)
    (read,) = [p for p in hook.posts if p.json["eventType"] == "READ"]
    assert read.json["timestamp"] == final["readDate"][:19] + "Z" and read.at == sim.engine.store.get(
        final["messageId"]).first_at("READ")  # type: ignore[union-attr]
    assert all(standard_signature_ok(p) for p in hook.posts)


async def test_a_410_disables_the_registration_and_put_brings_it_back(sim: Sim, aiohttp_server: Any) -> None:
    gone = await start_receiver(aiohttp_server, clock=sim.clock, default=410)
    await sim.client.post(QLARA_HOOK, json={"callbackUrl": gone.url}, headers=KEY)
    await send_whatsapp(sim, template_body("+393401234567"))
    await settle(sim, 30)
    assert len(gone.posts) == 1  # the first 410 disabled it: nothing more was tried
    view = await (await sim.client.get("/_sim/webhooks/qlara:qlara-demo")).json()
    assert view["state"] == "disabled"
    fresh = await start_receiver(aiohttp_server, clock=sim.clock)
    assert (await sim.client.put(QLARA_HOOK, json={"callbackUrl": fresh.url}, headers=KEY)).status == 200
    await send_whatsapp(sim, template_body("+393401234567"))
    await settle(sim, 30)
    assert [p.json["eventType"] for p in fresh.posts] == ["DELIVERY", "DELIVERY", "READ"]


async def test_email_status_changes_reach_only_subscriptions_that_opt_in(sim: Sim, aiohttp_server: Any) -> None:
    opted_in = await subscribe(sim, aiohttp_server, format="standard", faces=["v1"], channels=["email", "whatsapp"],
                               secret=STANDARD_SECRET)
    whatsapp_only = await subscribe(sim, aiohttp_server, format="standard", faces=["v1"])
    opened = await send(sim, EMAIL, email_body("someone@example.com"))
    bounced = await send(sim, EMAIL, email_body("bounce@simulator.amazonses.com"))
    await send(sim, GOVSG, govsg("+65 8123 4567"))
    await settle(sim, 0)  # the events of the sends themselves (UNSENT, ACCEPTED) arrive at once
    await settle(sim, 60)

    emails = [{**p.json["data"], "timestamp": p.at - START} for p in opted_in.posts
              if p.json["data"]["channel"] == "email"]
    opened_id = journal_id(opened, "email")
    assert {d["message_id"] for d in emails if d["journal_id"] == opened_id} == {opened["id"]}  # the API's id
    assert [(d["status"], d["timestamp"]) for d in emails if d["journal_id"] == opened_id] == [
        ("UNSENT", 0), ("ACCEPTED", 0), ("SENT", 1), ("DELIVERED", 3), ("OPENED", 33)]
    (bounce,) = [d for d in emails if d["status"] == "BOUNCED"]
    assert bounce["journal_id"] == journal_id(bounced, "email") and bounce["message_id"] == bounced["id"]
    assert bounce["recipient"] == "bounce@simulator.amazonses.com"
    assert bounce["error"]["code"] == "Hard bounce" and bounce["canonical_status"] == "failed"
    assert all(standard_signature_ok(p) for p in opted_in.posts)
    assert {p.json["data"]["channel"] for p in whatsapp_only.posts} == {"whatsapp"}  # alive, but no email
    assert [p.json["data"]["status"] for p in whatsapp_only.posts] == ["UNSENT", "ACCEPTED", "SENT", "DELIVERED",
                                                                      "READ"]


async def test_webhook_delivery_outcomes_are_counted_in_the_metrics(sim: Sim, aiohttp_server: Any) -> None:
    receiver = await start_receiver(aiohttp_server, clock=sim.clock, script=[500])  # the first POST fails
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "meta", "faces": ["v1"]})
    assert response.status == 201
    await send(sim, GOVSG, govsg("6581234567"))
    await settle(sim, 60)
    metrics = await (await sim.client.get("/_sim/metrics")).text()
    assert len(receiver.posts) == 4  # sent (failed, then retried), delivered, read
    assert 'postman_sim_webhook_deliveries_total{outcome="retrying"} 1.0' in metrics
    assert 'postman_sim_webhook_deliveries_total{outcome="delivered"} 3.0' in metrics


async def test_chuanglan_account_name_defaults_to_the_key_name_never_the_secret(sim: Sim, aiohttp_server: Any) -> None:
    receiver = await subscribe(sim, aiohttp_server, format="chuanglan", faces=["v1"])
    await send(sim, GOVSG, govsg("6581234567"))
    await settle(sim, 30)
    names = {p.json["body"]["accountName"] for p in receiver.posts}
    assert names == {"alice"}  # the v1 key is alice_v1_<secret>
    assert not any("c2VjcmV0" in p.body.decode() for p in receiver.posts)


async def test_a_refused_govsg_send_pushes_no_webhook(sim: Sim, aiohttp_server: Any) -> None:
    receiver = await subscribe(sim, aiohttp_server, format="meta", faces=["v1"])
    status, body = await call(sim, "POST", f"{GOVSG}/send", json=govsg("6580000001"))
    assert status == 400 and body["code"] == "invalid_recipient"  # no WhatsApp account: nothing was sent
    await send(sim, GOVSG, govsg("6581234567"))
    await settle(sim, 30)
    assert {meta_status(p)["recipient_id"] for p in receiver.posts} == {"6581234567"}
