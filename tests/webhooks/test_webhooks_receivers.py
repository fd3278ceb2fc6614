"""Webhooks as receiver libraries no one here wrote read them: Standard Webhooks' reference library and Svix
verify the Standard Webhooks signature of every format, pywa (a WhatsApp Cloud API library) verifies the
meta format's X-Hub-Signature-256 and parses its statuses. Each receiver is a real aiohttp server on
loopback; both clocks are tried (the manual one an hour ahead, the real one sped up and jumped ahead),
because the libraries check the signature's timestamp against their own wall clock."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import standardwebhooks
import svix.webhooks
from aiohttp import web
from pywa.client import WhatsApp
from pywa.handlers import MessageStatusHandler, RawUpdateHandler
from pywa.types.message_status import MessageStatus

from simulator.core.engine import Engine
from simulator.core.models import Facts
from simulator.webhooks.subscription import IDENTITY_DEFAULTS
from tests.conftest import SimFactory

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
APP_SECRET = "pywa-app-secret"
WABA_ID, PHONE_ID = IDENTITY_DEFAULTS["waba_id"], IDENTITY_DEFAULTS["phone_number_id"]
HOUR = 3600
SCENARIOS = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 2, status: DELIVERED}, {after: 5, status: READ}]
  ql: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}, {after: 5, status: READ}]
  mail: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}]
rules:
  - name: undeliverable
    match: {face: v1, channel: whatsapp, recipient: "6590000049"}
    steps: [{after: 1, status: SENT}, {after: 1, status: ERROR, error: {code: "131049"}}]
defaults: {v1.whatsapp: wa, qlara.whatsapp: ql, v1.email: mail}
"""
# Every format, each signed the Standard Webhooks way (meta too, next to its own X-Hub-Signature-256).
STANDARD_SIGNED = {
    "chuanglan": {"format": "chuanglan", "faces": ["v1"]},
    "meta": {"format": "meta", "faces": ["v1"], "signing": ["meta", "standard"]},
    "qlara": {"format": "qlara", "faces": ["qlara"]},
    "standard": {"format": "standard", "channels": ["whatsapp", "email"]},
}


@dataclass
class LibraryReceiver:
    """A loopback receiver that answers 200 only when its library accepts the delivery, 401 otherwise."""

    check: Callable[[bytes, dict[str, str]], None]
    accepted: list[bytes] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            self.check(body, dict(request.headers))
        except Exception as exc:  # the library's own verdict, kept for the assertion message
            self.refused.append(f"{type(exc).__name__}: {exc}")
            return web.Response(status=401, text="refused")
        self.accepted.append(body)
        return web.Response(text="ok")


def both_standard_libraries(body: bytes, headers: dict[str, str]) -> None:
    """Standard Webhooks' reference library and Svix, each with its 5-minute timestamp tolerance."""
    standardwebhooks.Webhook(SECRET).verify(body, headers)
    svix.webhooks.Webhook(SECRET).verify(body, headers)


class PywaReceiver:
    """pywa's WhatsApp client behind aiohttp, as its docs say to use it with a custom server."""

    def __init__(self) -> None:
        self.wa = WhatsApp(phone_id=PHONE_ID, token="unused", server=None, verify_token="unused",
                           app_secret=APP_SECRET, waba_id=WABA_ID)
        self.statuses: list[MessageStatus] = []
        self.raw: list[dict[str, Any]] = []
        self.refused: list[tuple[str, int]] = []
        self.wa.add_handlers(MessageStatusHandler(lambda _, status: self.statuses.append(status)),
                             RawUpdateHandler(lambda _, update: self.raw.append(dict(update))))
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        error = self.wa.webhook_update_validator(body, request.headers.get("X-Hub-Signature-256"))
        if error is not None:
            self.refused.append(error)
            return web.Response(status=error[1], text=error[0])
        text, status = self.wa.webhook_update_handler(body)
        return web.Response(status=status, text=text)


async def serve(aiohttp_server: Any, handler: Callable[[web.Request], Any]) -> str:
    app = web.Application()
    app.router.add_post("/hook", handler)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook"))


async def subscribe_all(client: Any, aiohttp_server: Any,
                        retry: dict[str, Any] | None = None) -> tuple[dict[str, LibraryReceiver], PywaReceiver]:
    """One Standard-Webhooks receiver per format and one pywa receiver on the meta format."""
    receivers: dict[str, LibraryReceiver] = {}
    for name, spec in STANDARD_SIGNED.items():
        receiver = receivers[name] = LibraryReceiver(both_standard_libraries)
        receiver.url = await serve(aiohttp_server, receiver.handle)
        response = await client.post("/_sim/webhooks", json={"url": receiver.url, "secret": SECRET, **spec,
                                                              **({"retry": retry} if retry else {})})
        assert response.status == 201, await response.text()
    pywa = PywaReceiver()
    pywa.url = await serve(aiohttp_server, pywa.handle)
    response = await client.post("/_sim/webhooks", json={"url": pywa.url, "format": "meta", "faces": ["v1"],
                                                          "secret": APP_SECRET})
    assert response.status == 201, await response.text()
    return receivers, pywa


def send_all(engine: Engine) -> None:
    """A GovSG WhatsApp that is read, one that fails, a Qlara WhatsApp and a v1 email."""
    for recipient in ("6591234567", "6590000049"):
        engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient=recipient,
                      payload={}, facts=Facts(wamid=f"wamid.HBgL{recipient}"))
    engine.accept(face="qlara", channel="whatsapp", tenant="acme", recipient="393400000001",
                  payload={}, facts=Facts(customer_message_id="c-1"))
    engine.accept(face="v1", channel="email", tenant="moh", recipient="tan@example.gov.sg", payload={},
                  facts=Facts(api_id="7"))


# How many deliveries each receiver gets from send_all: chuanglan has delivered+read and failed; meta has
# sent+delivered+read and sent+failed; qlara sent+delivered+read; standard every change of all four.
EXPECTED = {"chuanglan": 3, "meta": 5, "qlara": 3}
STANDARD_EVENTS = 14  # standard reports every change, the initial one too: 4 + 3 + 4 + 3


def assert_everything_verified(receivers: dict[str, LibraryReceiver], pywa: PywaReceiver) -> None:
    for name, receiver in receivers.items():
        assert receiver.refused == [], f"{name}: {receiver.refused}"
        if name in EXPECTED:
            assert len(receiver.accepted) == EXPECTED[name], name
    assert pywa.refused == []
    # pywa sees every sent/delivered/read status, addressed to the same business-scoped user, in time order by
    # their timestamps: Meta does not promise arrival order ("view the timestamp to determine the timing"), and
    # on the real clock at speed 600 `delivered` and `read` are 8 ms apart, both in flight at once
    by_time = sorted(pywa.statuses, key=lambda status: status.timestamp)
    seen = [(s.status.value, s.from_user.wa_id, s.from_user.bsuid) for s in by_time]
    good = [s for s in seen if s[1] == "6591234567"]
    assert [s[0] for s in good] == ["sent", "delivered", "read"]
    assert len({s[2] for s in good}) == 1 and str(good[0][2]).startswith("SG.")
    failing = [s for s in seen if s[1] == "6590000049"]
    assert [s[0] for s in failing] == ["sent"] and str(failing[0][2]).startswith("SG.") and failing[0][2] != good[0][2]
    # the failure arrives and verifies too, without contacts, as Meta sends it (pywa 4.5 cannot build a
    # MessageStatus from it and hands it only to its raw-update handlers)
    failed = [u for u in pywa.raw if u["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] == "failed"]
    (value,) = (u["entry"][0]["changes"][0]["value"] for u in failed)
    assert "contacts" not in value and "recipient_user_id" not in value["statuses"][0]
    assert value["statuses"][0]["errors"][0]["code"] == 131049


async def test_libraries_verify_every_format_an_hour_into_the_manual_clock(make_sim: SimFactory,
                                                                            aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    receivers, pywa = await subscribe_all(sim.client, aiohttp_server)
    await sim.advance(HOUR)  # simulated time is now an hour away from any library's clock
    send_all(sim.engine)
    await sim.advance(20)
    assert_everything_verified(receivers, pywa)
    assert len(receivers["standard"].accepted) == STANDARD_EVENTS
    # the event times in the bodies stay simulated
    meta_times = {int(u["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"]) for u in pywa.raw}
    assert min(meta_times) >= sim.clock.now() - 20 and max(meta_times) <= sim.clock.now()


async def test_a_retry_an_hour_later_still_verifies(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    receiver = LibraryReceiver(both_standard_libraries)
    refuse_first = iter([True])

    def check(body: bytes, headers: dict[str, str]) -> None:
        both_standard_libraries(body, headers)
        if next(refuse_first, False):
            raise RuntimeError("receiver down for the first attempt")

    receiver.check = check
    receiver.url = await serve(aiohttp_server, receiver.handle)
    await sim.client.post("/_sim/webhooks", json={"url": receiver.url, "format": "chuanglan", "secret": SECRET,
                                                  "retry": {"schedule": [0, "1h"], "jitter": 0}})
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567",
                      payload={}, facts=Facts(wamid="wamid.retry"))
    await sim.advance(3)
    assert receiver.refused == ["RuntimeError: receiver down for the first attempt"]
    await sim.advance(HOUR)
    # the retried `delivered` (signed anew at its attempt) and the `read` that came meanwhile both verify
    assert sorted(json.loads(body)["body"]["status"] for body in receiver.accepted) == ["delivered", "read"]
    assert len(receiver.refused) == 1


async def test_the_older_meta_shape_stays_available(make_sim: SimFactory, aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    bodies: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response(text="ok")

    url = await serve(aiohttp_server, handle)
    response = await sim.client.post("/_sim/webhooks", json={"url": url, "format": "meta", "meta_contacts": "none"})
    assert response.status == 201 and (await response.json())["meta_contacts"] == "none"
    sim.engine.accept(face="v1", channel="whatsapp", tenant="moh", recipient="6591234567", payload={},
                      facts=Facts(wamid="w"))
    await sim.advance(10)
    values = [b["entry"][0]["changes"][0]["value"] for b in bodies]
    assert [v["statuses"][0]["status"] for v in values] == ["sent", "delivered", "read"]
    assert all("contacts" not in v and "recipient_user_id" not in v["statuses"][0] for v in values)
    bad = await sim.client.post("/_sim/webhooks", json={"url": url, "format": "meta", "meta_contacts": "yes"})
    assert bad.status == 400 and "meta_contacts" in (await bad.json())["error"]["message"]


async def test_meta_statuses_carry_contacts_and_a_stable_business_scoped_user_id(make_sim: SimFactory,
                                                                                   aiohttp_server: Any) -> None:
    sim = await make_sim(SCENARIOS)
    bodies: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "other": []}
    for name, waba in (("a", WABA_ID), ("b", WABA_ID), ("other", "999000111222333")):
        async def handle(request: web.Request, into: list[dict[str, Any]] = bodies[name]) -> web.Response:
            into.append(await request.json())
            return web.Response(text="ok")
        url = await serve(aiohttp_server, handle)
        assert (await sim.client.post("/_sim/webhooks", json={"url": url, "format": "meta", "waba_id": waba})).status \
            == 201
    send_all(sim.engine)
    await sim.advance(20)
    values = {name: [b["entry"][0]["changes"][0]["value"] for b in got] for name, got in bodies.items()}
    good = [v for v in values["a"] if v["statuses"][0]["recipient_id"] == "6591234567"]
    assert [v["statuses"][0]["status"] for v in good] == ["sent", "delivered", "read"]
    user_id = good[0]["contacts"][0]["user_id"]
    assert re.fullmatch(r"SG\.[0-9]{1,20}", user_id)
    for value in good:
        assert list(value) == ["messaging_product", "metadata", "contacts", "statuses"]
        assert value["contacts"] == [{"wa_id": "6591234567", "user_id": user_id}]
        assert value["statuses"][0]["recipient_user_id"] == user_id
    (failed,) = [v for v in values["a"] if v["statuses"][0]["status"] == "failed"]
    assert "contacts" not in failed and "recipient_user_id" not in failed["statuses"][0]
    # stable per business: the same WABA sees the same id, another business a different one
    assert values["b"] == values["a"]
    other = {c["user_id"] for v in values["other"] for c in v.get("contacts", []) if c["wa_id"] == "6591234567"}
    assert len(other) == 1 and other != {user_id} and next(iter(other)).startswith("SG.")
