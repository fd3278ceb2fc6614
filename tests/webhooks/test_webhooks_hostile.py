"""Hostile receivers and callback URLs: what an attacker found against a running server, over real HTTP."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from simulator import create_app, parse_config
from simulator.clock import ManualClock
from simulator.core.timefmt import parse_iso
from simulator.snapshot import envelope, load
from simulator.snapshot.state import capture
from simulator.telemetry.secrets import masked_url
from simulator.webhooks import DISPATCHER
from simulator.webhooks.records import WebhookEvent
from simulator.webhooks.retry import MAX_RETRY_AFTER
from tests.conftest import START, Sim, default_config
from tests.faces.qlara.helpers import GATEWAY, OTHER_KEY
from tests.webhooks.receiver import start_receiver

HOOK = f"{GATEWAY}/webhooks/delivery-status"
OTHER = {"X-Api-Key": OTHER_KEY}


async def get(sim: Sim, path: str) -> Any:
    response = await sim.client.get(path)
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.mark.parametrize("retry_after", ["99999999999999999999", "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_an_absurd_retry_after_is_capped_and_the_listings_stay_up(sim: Sim, aiohttp_server: Any,
                                                                       retry_after: str) -> None:
    """The reproduction: a 503 with `Retry-After: 99999999999999999999` made the events and deliveries
    listings (and the clock's nextDue) answer 500 until a reset. Now the wait is capped at MAX_RETRY_AFTER."""
    hook = await start_receiver(aiohttp_server, clock=sim.clock, script=[(503, {"Retry-After": retry_after})] * 5)
    registered = await sim.client.post(HOOK, json={"callbackUrl": hook.url.replace("/hook", "/retryafter")},
                                       headers=OTHER)
    assert registered.status == 201, await registered.text()
    sent = await sim.client.post("/api/message-server/sms/send", headers=OTHER,
                                 json={"destination": "+393401234567", "sender": "TechStore", "body": "code 1234"})
    assert sent.status == 200, await sent.text()
    await sim.advance(1)
    assert [r.path for r in hook.posts] == ["/retryafter"]
    events = (await get(sim, "/_sim/webhooks/events"))["data"]
    deliveries = (await get(sim, "/_sim/webhooks/deliveries"))["data"]
    (first,) = deliveries
    assert first["response"]["status"] == 503 and first["outcome"] == "failed"
    waited = parse_iso(first["next_attempt_at"]) - parse_iso(first["at"])
    assert waited == pytest.approx(MAX_RETRY_AFTER, abs=0.001)  # capped, not never
    assert [e["next_attempt_at"] for e in events if e["state"] == "pending"] == [first["next_attempt_at"]]
    assert (await get(sim, "/_sim/clock"))["nextDue"] is not None
    await sim.advance(MAX_RETRY_AFTER)
    again = [r for r in hook.posts if r.body == hook.posts[0].body]
    assert [r.at - again[0].at for r in again] == [0, MAX_RETRY_AFTER]  # the retry does come, after the cap


async def register_other(sim: Sim, url: str) -> None:
    registered = await sim.client.post(HOOK, json={"callbackUrl": url}, headers=OTHER)
    assert registered.status == 201, await registered.text()


async def send_other_sms(sim: Sim) -> None:
    sent = await sim.client.post("/api/message-server/sms/send", headers=OTHER,
                                 json={"destination": "+393401234567", "sender": "TechStore", "body": "code 1234"})
    assert sent.status == 200, await sent.text()


async def test_a_retry_after_of_unicode_digits_is_ignored_not_a_stuck_event(sim: Sim, aiohttp_server: Any) -> None:
    """'²' is a digit to str.isdigit but not to float(): the event stayed pending for ever, never retried."""
    hook = await start_receiver(aiohttp_server, clock=sim.clock, script=[(503, {"Retry-After": "²"})])
    await register_other(sim, hook.url)
    patched = await sim.client.patch("/_sim/webhooks/qlara:qlara-other",
                                     json={"retry": {"schedule": [0, 5], "jitter": 0}})
    assert patched.status == 200, await patched.text()
    await send_other_sms(sim)
    await sim.advance(1)
    await sim.advance(5)
    first = [r.at for r in hook.posts if r.body == hook.posts[0].body]
    assert [t - first[0] for t in first] == [0, 5]  # the schedule's own 5 s, then delivered
    events = (await get(sim, "/_sim/webhooks/events?state=delivered"))["data"]
    assert any(e["attempts"] == 2 for e in events)


@pytest.mark.parametrize("schedule", [[0, "9" * 400 + "d"], [0, 1e300], [0, "400d"]])
async def test_a_retry_schedule_past_any_sane_wait_is_refused(sim: Sim, schedule: list[Any]) -> None:
    """A delay of 400 nines of days was inf (accepted); the retry then sat past the end of time."""
    response = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                            "retry": {"schedule": schedule}})
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and "retry.schedule[1]" in error["message"]
    chaos = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                         "chaos": {"reorder": 1, "reorder_delay": schedule[1]}})
    assert chaos.status == 400 and "chaos.reorder_delay" in (await chaos.json())["error"]["message"]


def test_a_time_no_date_can_hold_still_lists() -> None:
    """Defence in depth: whatever time an event holds, its view (the listings) never raises."""
    event = WebhookEvent(id="e", subscription_id="s", message_id=None, face="qlara", channel="sms", tenant="t",
                         status="sent", at=START, body=b"{}")
    for when, shown in ((float("inf"), "9999-12-31T15:59:59.000Z"), (1e300, "9999-12-31T15:59:59.000Z"),
                        (-1e300, "1970-01-01T00:00:00.000Z"), (float("nan"), None)):
        event.next_attempt_at = event.dead_at = when
        view = event.view()
        assert (view["next_attempt_at"], view["dead_at"]) == (shown, shown)


# -- host names the HTTP client cannot encode --------------------------------------------------------------

LONG_NAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62])  # 254 characters, every label legal
BAD_HOSTS = ["a..b", ".", "...", ".example.com", "a" * 64 + ".example.com", LONG_NAME, "xn--", "xn--a", "xn--zz-",
             "hooks.xn--zz-.example.com"]
GOOD_HOSTS = ["example.com", "example.com.", "bücher.example", "xn--bcher-kva.example", LONG_NAME[:-1],
              "a" * 63 + ".example.com", "[::1]", "127.0.0.1"]


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_sim_webhooks_refuses_a_host_the_client_cannot_encode(sim: Sim, host: str) -> None:
    """`http://a..b/hook` was a 201 whose events stayed pending for ever; `http://xn--/x` was a 500."""
    response = await sim.client.post("/_sim/webhooks", json={"url": f"http://{host}/hook"})
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and "host" in error["message"], error
    assert "Traceback" not in error["message"]
    assert (await get(sim, "/_sim/webhooks"))["data"] == []
    created = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    sub_id = (await created.json())["id"]
    moved = await sim.client.patch(f"/_sim/webhooks/{sub_id}", json={"url": f"https://{host}/hook"})
    assert moved.status == 400 and "host" in (await moved.json())["error"]["message"]
    assert (await get(sim, f"/_sim/webhooks/{sub_id}"))["url"] == "http://127.0.0.1:9/hook"


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_qlara_refuses_a_callback_host_the_client_cannot_encode(sim: Sim, host: str) -> None:
    response = await sim.client.post(HOOK, json={"callbackUrl": f"https://{host}/hook"}, headers=OTHER)
    assert response.status == 400, await response.text()
    body = await response.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"}  # Qlara's (Spring's) shape
    assert (body["status"], body["error"]) == (400, "Bad Request") and "host" in body["message"]
    assert (await sim.client.get(HOOK, headers=OTHER)).status == 404  # nothing registered


@pytest.mark.parametrize("host", GOOD_HOSTS)
async def test_hosts_the_client_can_reach_stay_allowed(sim: Sim, host: str) -> None:
    response = await sim.client.post("/_sim/webhooks", json={"url": f"http://{host}:9/hook"})
    assert response.status == 201, await response.text()
    qlara = await sim.client.post(HOOK, json={"callbackUrl": f"https://{host}/hook"}, headers=OTHER)
    assert qlara.status == 201, await qlara.text()


def test_a_scenarios_subscription_with_a_bad_host_fails_at_start_with_a_clear_message() -> None:
    for key in ("subscriptions", "from_cli"):
        config = parse_config(f"webhooks:\n  {key}:\n    - {{url: 'http://a..b/hook'}}\n")
        with pytest.raises(ValueError, match=rf"webhooks\.{key}\[0\]: url: .*host 'a\.\.b'"):
            create_app(config)


async def test_an_attempt_that_raises_is_a_failed_attempt_retried_then_dead(
        sim: Sim, aiohttp_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Before the host checks, `a..b` made every attempt raise (UnicodeError): the event stayed pending for ever
    with 0 attempts and a next_attempt_at in the past, and the log got a traceback. Any exception an attempt raises
    is now a failed attempt, named in the delivery log, and the usual retries and dead letter follow."""
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    await register_other(sim, hook.url)
    patched = await sim.client.patch("/_sim/webhooks/qlara:qlara-other",
                                     json={"retry": {"schedule": [0, 5], "jitter": 0}})
    assert patched.status == 200, await patched.text()
    sub = sim.app[DISPATCHER].get_subscription("qlara:qlara-other")
    assert sub is not None
    sub.url = "http://a..b/hook"  # as one the checks let through (an older snapshot, a check yet unknown) would be
    await send_other_sms(sim)
    await sim.advance(1)
    (row,) = (await get(sim, "/_sim/webhooks/deliveries"))["data"]
    assert (row["outcome"], row["error_class"], row["response"]) == ("failed", "connection_error", None)
    assert "UnicodeError" in row["error"] and "Traceback" not in row["error"]
    assert parse_iso(row["next_attempt_at"]) - parse_iso(row["at"]) == 5
    await sim.advance(10)
    dead = (await get(sim, "/_sim/webhooks/dead-letters"))["data"]
    assert dead and all(e["attempts"] == 2 and "connection_error" in e["dead_reason"] for e in dead)
    assert (await get(sim, "/_sim/webhooks/stats"))["pending"] == 0  # nothing stuck
    assert hook.posts == []
    mine = [r for r in caplog.records if r.name == "postman_sim.webhooks" and r.levelname != "DEBUG"]
    assert mine and all(r.levelname == "WARNING" and r.exc_info is None and "\n" not in r.getMessage()
                        for r in mine)
    assert len(mine) == sum(e["attempts"] for e in dead)  # one line an attempt


async def test_a_snapshot_subscription_with_a_bad_host_comes_back_disabled_with_its_events(
        sim: Sim, aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path) -> None:
    """A snapshot written before the host checks may hold `a..b`: the restore must not fail (nor say "corrupt")
    and must lose nothing. The subscription comes back disabled, saying why; its events wait as dead letters,
    and a new URL with enabled: true delivers them."""
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    created = await sim.client.post("/_sim/webhooks", json={"url": hook.url, "format": "standard", "channels": ["sms"],
                                                           "retry": {"schedule": [0, 60], "jitter": 0}})
    assert created.status == 201, await created.text()
    sub = sim.app[DISPATCHER].get_subscription("wh_1")
    assert sub is not None
    sub.url = sub.spec["url"] = "http://a..b/hook"  # as an older version accepted and saved it
    await send_other_sms(sim)
    await sim.advance(1)
    held = {e["id"] for e in (await get(sim, "/_sim/webhooks/events"))["data"]}
    assert held
    path = tmp_path / "sim.snapshot"
    envelope.write_atomic(path, envelope.encode(await capture(sim.app), 0))

    app = create_app(default_config(), clock=ManualClock(start=sim.clock.now()), seed=0)
    notes = load(app, path)
    assert any("wh_1" in note and "a..b" in note for note in notes), notes
    client = await aiohttp_client(app)
    restored = await (await client.get("/_sim/webhooks/wh_1")).json()
    assert (restored["state"], restored["url"]) == ("disabled", "http://a..b/hook")
    assert "a label is empty" in restored["disabled_reason"]
    dead = (await (await client.get("/_sim/webhooks/dead-letters")).json())["data"]
    assert {e["id"] for e in dead} == held  # nothing lost
    still = await client.patch("/_sim/webhooks/wh_1", json={"enabled": True})
    assert still.status == 400 and "a label is empty" in (await still.json())["error"]["message"]
    fixed = await client.patch("/_sim/webhooks/wh_1", json={"url": hook.url, "enabled": True})
    assert (await fixed.json())["state"] == "active"
    replay = await client.post("/_sim/webhooks/dead-letters/replay")
    assert (await replay.json())["delivered"] == len(held)
    assert len(hook.posts) == len(held)


# -- control characters and whitespace -----------------------------------------------------------------------

SPOILED = ["https://receiver.example.com/hook\r\nX-Injected: 1", "https://receiver.example.com/ho ok",
           "https://receiver.example.com/hook?a=1\tb", "https://receiver.example.com/hook\x00",
           "https://receiver.example.com/hook\x7f", " https://receiver.example.com/hook",
           "https://receiver.example.com/hook\n", "https://receiver.example.com/hook\u2028",
           "https://receiver.example.com/\u00a0hook", "https://receiver .example.com/hook"]


@pytest.mark.parametrize("url", SPOILED)
async def test_qlara_refuses_a_callback_url_with_whitespace_or_control_characters(sim: Sim, url: str) -> None:
    """`https://…/hook\\r\\nX-Injected: 1` was a 201 (CR/LF were stripped on delivery): now a Qlara 400."""
    response = await sim.client.post(HOOK, json={"callbackUrl": url}, headers=OTHER)
    assert response.status == 400, await response.text()
    body = await response.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"} and body["status"] == 400
    assert "whitespace or control characters" in body["message"]
    assert (await sim.client.get(HOOK, headers=OTHER)).status == 404
    await register_other(sim, "https://receiver.example.com/hook")
    moved = await sim.client.put(HOOK, json={"callbackUrl": url}, headers=OTHER)
    assert moved.status == 400
    assert (await (await sim.client.get(HOOK, headers=OTHER)).json())["callbackUrl"] == \
        "https://receiver.example.com/hook"


@pytest.mark.parametrize("url", SPOILED)
async def test_sim_webhooks_refuses_a_url_with_whitespace_or_control_characters(sim: Sim, url: str) -> None:
    response = await sim.client.post("/_sim/webhooks", json={"url": url})
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and "whitespace or a control character" in error["message"]
    assert (await get(sim, "/_sim/webhooks"))["data"] == []


# -- credentials in webhook URLs -------------------------------------------------------------------------------

PASSWORD, TOKEN = "s3cret-pass", "tok_abcdefgh12345"


async def test_credentials_in_a_callback_url_are_masked_where_it_is_shown(sim: Sim, aiohttp_server: Any) -> None:
    """`http://user:pass@host/…?token=…` was shown in full by GET /_sim/webhooks, the delivery log and the
    request journal. Shown now as `user:***@` with the token masked; the delivery still uses the real URL."""
    hook = await start_receiver(aiohttp_server, clock=sim.clock)
    port = hook.url.split(":")[2].split("/")[0]
    url = f"http://hookuser:{PASSWORD}@127.0.0.1:{port}/hook?token={TOKEN}&x=1"
    shown = f"http://hookuser:***@127.0.0.1:{port}/hook?token=tok_****2345&x=1"
    await register_other(sim, url)
    created = await sim.client.post("/_sim/webhooks", json={"url": url, "id": "mine"})
    assert created.status == 201 and (await created.json())["url"] == shown
    listing = await sim.client.get("/_sim/webhooks")
    text = await listing.text()
    assert PASSWORD not in text and TOKEN not in text
    assert {s["id"]: s["url"] for s in (await listing.json())["data"]} == {"qlara:qlara-other": shown, "mine": shown}
    assert (await get(sim, "/_sim/webhooks/mine"))["url"] == shown
    await send_other_sms(sim)
    await sim.advance(1)
    (post,) = hook.posts  # the real URL: the password as Basic auth, the token in the query
    assert post.query == {"token": TOKEN, "x": "1"}
    assert post.headers["Authorization"] == "Basic " + base64.b64encode(f"hookuser:{PASSWORD}".encode()).decode()
    deliveries = await sim.client.get("/_sim/webhooks/deliveries")
    assert [row["url"] for row in (await deliveries.json())["data"]] == [shown]
    assert PASSWORD not in await deliveries.text()
    journal = await sim.client.get("/_sim/requests")
    assert journal.status == 200
    text = await journal.text()
    assert "hookuser:***@" in text  # the registration's body and answer are in the journal, masked
    assert PASSWORD not in text and TOKEN not in text
    # Qlara's own GET answers the company the URL it registered, as Qlara does
    assert (await (await sim.client.get(HOOK, headers=OTHER)).json())["callbackUrl"] == url


@pytest.mark.parametrize(("url", "shown"), [
    ("https://u:p@ss@h.example/x", "https://u:***@h.example/x"),  # the authority ends at the last '@'
    ("https://u:pa%40ss@h.example/x#f", "https://u:***@h.example/x#f"),
    ("https://alice@h.example/x", "https://alice@h.example/x"),  # no password: nothing to hide
    ("https://h.example/p@q?api_key=1234&b=2", "https://h.example/p@q?api_key=****&b=2"),
    ("http://[::1]:81/x?signature=abcdefghijkl", "http://[::1]:81/x?signature=abcd****ijkl"),
])
def test_masked_url(url: str, shown: str) -> None:
    assert masked_url(url) == shown
