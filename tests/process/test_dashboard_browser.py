"""The dashboard in a real browser (Playwright driving Debian's Chromium) over a real simulator on the manual
clock: what a QA engineer does (filter, open a message, force a status, retry, replay a dead letter, move the
clock) and what the page shows afterwards. Each view is saved (POSTMAN_SIM_SCREENSHOTS=1: to docs/img/)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from simulator.clock import ManualClock
from simulator.testing.server import BackgroundServer, ThreadedSimulator
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT, START, default_config

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is in the test extras: pip install -e '.[test]'")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# The README's screenshots are refreshed with POSTMAN_SIM_SCREENSHOTS=1; otherwise they go to a scratch folder.
IMAGES = (ROOT / "docs" / "img" if os.environ.get("POSTMAN_SIM_SCREENSHOTS")
          else Path(tempfile.gettempdir()) / "postman-sim-shots")
V1_KEY = "qa_v1_c2VjcmV0"
TIMEOUT_MS = 15_000


def _need_chromium() -> None:
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    reason = "Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


class Receiver:
    """A webhook receiver on loopback that fails (503) until told to accept."""

    def __init__(self) -> None:
        self.accepting = threading.Event()
        self.server = BackgroundServer(self._app)

    def _app(self) -> web.Application:
        async def receive(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=200 if self.accepting.is_set() else 503)

        app = web.Application()
        app.router.add_post("/hook", receive)
        return app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else
                                                                  shutil.which("chromium")), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    clock = ManualClock(START)
    simulator = ThreadedSimulator(default_config(), clock=clock)
    with simulator:
        yield simulator


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def send_some(base: str) -> dict[str, str]:
    """Two v2 SMS and one v1 SMS; returns their /_sim ids by name."""
    v2 = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
    auth = {"Authorization": f"Bearer {DEMO_KEY}"}
    first = call(base, "POST", v2, {"recipient": "6581234567", "language": "english",
                                    "values": {"name": "Tan", "date": "1 Dec"}}, auth)
    second = call(base, "POST", v2, {"recipient": "6599990000", "language": "english",
                                     "values": {"name": "Lim", "date": "2 Dec"}}, auth)
    call(base, "POST", "/v1/transactional/sms/send", {"body": "Your OTP is 123456", "recipient": "6591234567",
                                                      "label": "default"}, {"Authorization": f"Bearer {V1_KEY}"})
    return {"tan": first["id"], "lim": second["id"]}


def shoot(page: Any, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / f"dashboard-{name}.png"), full_page=True)


def test_filter_open_force_retry_and_advance(sim: ThreadedSimulator, page: Any) -> None:
    ids = send_some(sim.url)
    page.goto(sim.url + "/_sim/dashboard")
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(3)
    # tenants as names: the v1 key's name part, never the key
    expect(page.locator("#rows")).to_contain_text("qa")
    expect(page.locator("body")).not_to_contain_text(V1_KEY)

    page.fill("[name=recipient_contains]", "6581")       # a substring, not the whole number
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("6581234567")
    assert "recipient_contains=6581" in page.url         # the filters are in the URL
    page.fill("[name=recipient_contains]", "")
    page.fill("[name=content_contains]", "otp IS")       # case-insensitive, over the content
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("v1.sms")
    page.fill("[name=content_contains]", "")
    shoot(page, "messages")

    page.locator(f"#rows tr[data-id='{ids['tan']}']").click()
    detail = page.locator("#detail")
    expect(detail.locator("#detail-id")).to_have_text(ids["tan"])
    expect(detail).to_contain_text("Attempt 1")
    expect(detail).to_contain_text("Tan")  # the content (template values)
    expect(detail.locator("#billing")).to_contain_text("segment")
    expect(detail).to_contain_text(f"POST /api/v2/campaigns/{DEMO_CAMPAIGN}/messages")  # the request that made it
    assert f"message={ids['tan']}" in page.url
    shoot(page, "detail")

    # force a failure with one of v2's error codes; the "any failure" filter finds it, the other does not match
    detail.locator("#force-status").select_option("failure")
    detail.locator("#force-error").select_option("recipient_unavailable")
    detail.locator("#force").click()
    expect(detail).to_contain_text("delivery_error / recipient_unavailable")
    page.select_option("#status-filter", "class:failure")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("failure")
    assert "status_class=failure" in page.url
    # retry (v2): a second attempt starts, the message is in flight again
    expect(detail.locator("#retry")).to_be_enabled()
    detail.locator("#retry").click()
    expect(detail).to_contain_text("Attempt 2")
    page.select_option("#status-filter", "class:in_flight")
    expect(page.locator(f"#rows tr[data-id='{ids['tan']}']")).to_have_count(1)

    # advancing the clock from the page runs the timelines: nothing is in flight afterwards
    page.locator("#advance button[data-s='3600']").click()
    expect(page.locator("#clock")).to_contain_text("T01:00")
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_have_text("No message matches these filters.")

    # a v1 message's detail, raw JSON included, names its tenant without the key
    page.select_option("#status-filter", "")
    page.fill("[name=tenant_contains]", "QA")
    expect(rows).to_have_count(1)
    rows.first.click()
    page.locator("#detail summary", has_text="raw JSON").click()
    expect(page.locator("#raw-json")).to_contain_text('"tenant": "qa"')
    expect(page.locator("#detail")).not_to_contain_text(V1_KEY)

    # a deep link reopens the same view
    page.goto(sim.url + f"/_sim/dashboard?recipient_contains=6599&message={ids['lim']}")
    expect(rows).to_have_count(1)
    expect(page.locator("#detail-id")).to_have_text(ids["lim"])


def test_webhooks_replay_a_dead_letter_and_journal_tabs(sim: ThreadedSimulator, page: Any) -> None:
    receiver = Receiver()
    with receiver.server:
        sub = call(sim.url, "POST", "/_sim/webhooks", {
            "id": "qa-hook", "url": receiver.server.url + "/hook", "faces": ["v2"], "channels": ["sms"],
            "format": "standard", "retry": {"schedule": [0], "jitter": 0}})
        assert sub["enabled"] is True
        send_some(sim.url)
        page.goto(sim.url + "/_sim/dashboard?tab=webhooks")
        dead = page.locator("#dead-letters tr")
        expect(dead.first).to_be_visible()  # acceptance pushed already, and the receiver refused it
        expect(page.locator("#dead-letters")).not_to_contain_text("success")
        page.locator("#advance button[data-s='60']").click()  # the timelines run: more events, all refused
        expect(page.locator("#dead-letters")).to_contain_text("success")
        expect(page.locator("#deliveries")).to_contain_text("503")
        count = dead.count()
        receiver.accepting.set()
        dead.first.get_by_role("button", name="replay").click()
        expect(page.locator("#notice")).to_contain_text("replayed 1: 1 delivered")
        expect(dead).to_have_count(count - 1)
        expect(page.locator("#deliveries")).to_contain_text("200")
        # disable the subscription from the page
        page.locator("#subscriptions tr", has_text="qa-hook").get_by_role("button", name="disable").click()
        expect(page.locator("#subscriptions tr", has_text="qa-hook")).to_contain_text("disabled")
        shoot(page, "webhooks")

    page.goto(sim.url + "/_sim/dashboard?tab=requests")
    expect(page.locator("#requests tr", has_text="201")).to_have_count(3)  # (and the browser's /favicon.ico)
    page.select_option("#request-filters [name=face]", "v2")
    expect(page.locator("#requests tr")).to_have_count(2)
    page.select_option("#request-filters [name=face]", "")
    page.fill("#request-filters [name=path]", "/v1/*")
    expect(page.locator("#requests tr")).to_have_count(1)
    expect(page.locator("#requests")).not_to_contain_text(V1_KEY)
    page.fill("#request-filters [name=path]", "")
    shoot(page, "requests")

    page.goto(sim.url + "/_sim/dashboard?tab=report")
    expect(page.locator("#report-counts")).to_contain_text(re.compile(r"over \d+ requests"))
    expect(page.locator("#findings tr").first).to_be_visible()
    shoot(page, "report")
