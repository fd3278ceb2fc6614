"""Signatures: the documented algorithms, their known test vectors, and real signed deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from simulator.core.models import Facts
from simulator.webhooks.signing import meta_signature, standard_signature, verify_meta, verify_standard
from tests.conftest import SimFactory
from tests.webhooks.receiver import start_receiver

META_BODY = (b'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":'
             b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":'
             b'"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",'
             b'"status":"delivered","timestamp":"1751142888","recipient_id":"16505551234"}]},"field":"messages"}]}]}')
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

SCENARIOS = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}]
  ql: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}]
defaults: {v1.whatsapp: wa, qlara.whatsapp: ql}
"""


def test_meta_test_vector() -> None:
    assert len(META_BODY) == 389
    expected = "sha256=c9e0527fd4faaf1dbce038c82951b50d9df60c5f4c1d4e9339da84c20b14f000"
    assert meta_signature("test_app_secret", META_BODY) == expected
    assert verify_meta("test_app_secret", META_BODY, expected)
    assert not verify_meta("test_app_secret", META_BODY[:-1] + b" ", expected)


def test_standard_webhooks_test_vector() -> None:
    signature = standard_signature(STANDARD_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert verify_standard(STANDARD_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                           b'{"test": 2432232314}', "v1,bogus " + signature)
    assert not verify_standard(STANDARD_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331",
                               b'{"test": 2432232314}', signature)


async def test_meta_deliveries_carry_a_verifiable_hub_signature(make_sim: SimFactory, aiohttp_server) -> None:
    sim = await make_sim(SCENARIOS)
    receiver = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "meta",
                                                              "secret": "test_app_secret"})
    assert response.status == 201
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567",
                      payload={}, facts=Facts(wamid="wamid.A1"))
    await sim.advance(5)
    assert [r.json["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] for r in receiver.posts] == \
        ["sent", "delivered"]
    for request in receiver.posts:
        # Verify exactly as Meta documents it: HMAC-SHA256 of the raw body with the app secret.
        digest = hmac.new(b"test_app_secret", request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Hub-Signature-256"] == "sha256=" + digest
        assert "webhook-signature" not in request.headers


async def test_standard_webhooks_signing_on_the_chuanglan_format(make_sim: SimFactory, aiohttp_server) -> None:
    sim = await make_sim(SCENARIOS)
    receiver = await start_receiver(aiohttp_server, clock=sim.clock, script=[500])
    await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "chuanglan",
                                                  "secret": STANDARD_SECRET, "retry": {"schedule": [0, 60],
                                                                                       "jitter": 0}})
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567",
                      payload={}, facts=Facts(wamid="wamid.A2"))
    await sim.advance(3)
    await sim.advance(60)
    first, second = receiver.posts
    assert first.body == second.body  # the same bytes on every attempt
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == first.json["id"]
    # The timestamp is the attempt's wall-clock second, not the simulated one (60 s apart here).
    assert all(abs(int(r.headers["webhook-timestamp"]) - time.time()) <= 5 for r in (first, second))
    key = base64.b64decode(STANDARD_SECRET.removeprefix("whsec_"))
    for request in receiver.posts:
        signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert expected in request.headers["webhook-signature"].split()
    # A one-byte change to the body no longer verifies.
    tampered = first.body.replace(b"delivered", b"Delivered")
    assert not verify_standard(STANDARD_SECRET, first.headers["webhook-id"], first.headers["webhook-timestamp"],
                               tampered, first.headers["webhook-signature"])


async def test_both_signatures_at_once_and_bad_secrets_are_refused(make_sim: SimFactory, aiohttp_server) -> None:
    sim = await make_sim(SCENARIOS)
    receiver = await start_receiver(aiohttp_server, clock=sim.clock)
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "meta",
                                                              "secret": "not-a-whsec", "signing": "standard"})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and "whsec_" in error["message"]
    response = await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "meta",
                                                              "secret": STANDARD_SECRET,
                                                              "signing": ["meta", "standard"]})
    assert response.status == 201
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(1)
    (request,) = receiver.posts
    assert verify_meta(STANDARD_SECRET, request.body, request.headers["X-Hub-Signature-256"])
    assert verify_standard(STANDARD_SECRET, request.headers["webhook-id"], request.headers["webhook-timestamp"],
                           request.body, request.headers["webhook-signature"])
