"""Logs and metrics: one line per request and per status change, no secrets, and metrics that move."""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from simulator.telemetry.logs import LineFormatter, configure_logging
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, Sim, SimFactory

SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
BODY = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}


def fields(record: logging.LogRecord) -> dict[str, object]:
    value: dict[str, object] = record.__dict__["fields"]
    return value


async def scrape(sim: Sim) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await sim.client.get("/_sim/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_move_when_traffic_flows(sim: Sim) -> None:
    before = await scrape(sim)
    assert ("postman_sim_requests_total", (("code", "201"), ("face", "v2"))) not in before
    for _ in range(2):
        assert (await sim.client.post(SEND, json=BODY, headers=AUTH)).status == 201
    assert (await sim.client.post(SEND, json=BODY, headers={"Authorization": "Bearer nope"})).status == 401
    await sim.advance(10)
    after = await scrape(sim)
    assert after[("postman_sim_requests_total", (("code", "201"), ("face", "v2")))] == 2
    assert after[("postman_sim_requests_total", (("code", "401"), ("face", "v2")))] == 1
    assert after[("postman_sim_requests_total", (("code", "200"), ("face", "admin")))] >= 2
    assert after[("postman_sim_request_duration_seconds_count", (("face", "v2"),))] == 3
    changes = ("postman_sim_status_changes_total", (("channel", "sms"), ("face", "v2"), ("status", "success")))
    assert after[changes] == 2
    assert after[("postman_sim_messages", (("channel", "sms"), ("face", "v2"), ("status", "success")))] == 2
    assert after[("postman_sim_scheduler_pending", ())] == 0
    assert ("postman_sim_scheduler_lag_seconds", ()) in after


async def test_unknown_paths_are_counted_too(sim: Sim) -> None:
    assert (await sim.client.get("/nowhere")).status == 404
    assert (await sim.client.get("/api/v2/nowhere")).status == 404
    after = await scrape(sim)
    assert after[("postman_sim_requests_total", (("code", "404"), ("face", "other")))] == 1
    assert after[("postman_sim_requests_total", (("code", "404"), ("face", "v2")))] == 1


async def test_each_app_has_its_own_registry(make_sim: SimFactory) -> None:
    first, second = await make_sim(), await make_sim()
    assert (await first.client.post(SEND, json=BODY, headers=AUTH)).status == 201
    assert ("postman_sim_requests_total", (("code", "201"), ("face", "v2"))) not in await scrape(second)
    assert (await scrape(first))[("postman_sim_requests_total", (("code", "201"), ("face", "v2")))] == 1


async def test_one_log_line_per_request_and_per_status_change_without_the_key(
        sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="postman_sim")
    response = await sim.client.post(SEND + "?api_key=key_secret_in_query_123456", json=BODY, headers=AUTH)
    message_id = (await response.json())["id"]
    await sim.advance(10)
    requests = [r for r in caplog.records if r.name == "postman_sim.access" and fields(r)["face"] == "v2"]
    assert len(requests) == 1
    statuses = [fields(r)["to"] for r in caplog.records if r.name == "postman_sim.status"]
    assert statuses == ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]
    as_json = LineFormatter(json_lines=True)
    line = json.loads(as_json.format(requests[0]))
    assert line["event"] == "request" and line["status"] == 201 and line["method"] == "POST"
    assert line["auth"] == "Authorization: Bearer key_****0001"
    assert "key_secret_in_query_123456" not in line["query"]
    status_line = json.loads(as_json.format(next(r for r in caplog.records if r.name == "postman_sim.status")))
    assert status_line["message"] == message_id and status_line["to"] == "created"
    text = LineFormatter(json_lines=False).format(requests[0])
    assert " status=201 " in text and DEMO_KEY not in text
    everything = "\n".join(as_json.format(r) for r in caplog.records)
    assert DEMO_KEY not in everything and "key_secret_in_query_123456" not in everything


def test_configure_logging_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging("xml")


async def test_basic_credentials_are_masked_whole_in_the_access_log(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="postman_sim")
    basic = "Basic " + base64.b64encode(b"demo:demo-password").decode()
    await sim.client.get("/api/partner-gateway/v1/messages/status/x?channel=SMS", headers={"Authorization": basic})
    (record,) = [r for r in caplog.records if r.name == "postman_sim.access"]
    assert fields(record)["auth"] == "Authorization: Basic ****"


async def test_requests_are_labelled_with_the_faces_own_ids(sim: Sim) -> None:
    assert (await sim.client.get("/v1/transactional/sms")).status == 401
    assert (await sim.client.get("/api/partner-gateway/v1/messages/status/x?channel=SMS")).status == 401
    after = await scrape(sim)
    assert after[("postman_sim_requests_total", (("code", "401"), ("face", "v1")))] == 1
    assert after[("postman_sim_requests_total", (("code", "401"), ("face", "qlara")))] == 1


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
async def test_control_characters_from_a_request_never_reach_the_log_raw(
        sim: Sim, caplog: pytest.LogCaptureFixture, json_lines: bool) -> None:
    """A NUL, an ESC, a C1 control (U+009B is a terminal's one-byte CSI) or a line separator in a path or query
    is escaped in the access line (raw, grep calls the log binary and a terminal runs the escape sequence)."""
    caplog.set_level(logging.INFO, logger="postman_sim")
    await sim.client.get("/api/v2/nope%00%1b[2J%C2%9B2J%E2%80%A8", params={"q": "a\x00b\x1bc\x9bd\u2028e"})
    access = [r for r in caplog.records if r.name == "postman_sim.access"]
    text = LineFormatter(json_lines=json_lines).format(access[-1])
    assert text.isprintable(), repr(text)
    for escaped in ("\\u0000", "\\u001b", "\\u009b", "\\u2028"):
        assert escaped in text, (escaped, text)
    if json_lines:
        assert json.loads(text)["path"] == "/api/v2/nope\x00\x1b[2J\x9b2J\u2028"


class _Records(logging.Handler):
    """A second handler on the root logger, as pytest's caplog or a user's own handler would be."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _comparable(line: str, json_lines: bool) -> str:
    """A line without what differs between two runs of the same requests: the wall time and the latency."""
    if json_lines:
        payload = json.loads(line)
        payload.pop("ts")
        payload.pop("ms", None)
        return json.dumps(payload, sort_keys=True)
    _, rest = line.split(" ", 1)
    return " ".join(part for part in rest.split(" ") if not part.startswith("ms="))


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
async def test_lines_written_directly_match_what_logging_writes(make_sim: SimFactory, json_lines: bool) -> None:
    """With the buffered handler alone, access and status lines skip logging's records (make run writes ~6 a
    send); they must be the very lines logging's own path writes, which it takes when another handler is on
    the root logger (that handler then gets every record)."""
    root = logging.getLogger()
    saved_handlers, saved_level, factory = list(root.handlers), root.level, logging.getLogRecordFactory()
    basic = "Basic " + base64.b64encode(b"demo:demo-password").decode()
    made: list[str] = []

    def counting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        made.append(record.name)
        return record

    async def traffic() -> list[str]:
        sim = await make_sim(seed=5)
        stream = io.StringIO()
        configure_logging("json" if json_lines else "text", "info", stream=stream)
        (handler,) = root.handlers
        if extra is not None:
            root.addHandler(extra)
        assert (await sim.client.post(SEND, json=BODY, headers=AUTH)).status == 201
        await sim.advance(600)
        await sim.client.get("/api/v2/nope%00%1b[2J", params={"q": "a\x00b\x1bc", "api_key": "key_live_abcdefgh1234"})
        await sim.client.get("/api/partner-gateway/v1/messages/status/x?channel=SMS", headers={"Authorization": basic})
        handler.flush()
        return [_comparable(line, json_lines) for line in stream.getvalue().splitlines() if "postman_sim." in line]

    logging.setLogRecordFactory(counting_factory)
    try:
        extra: _Records | None = None
        direct = await traffic()
        direct_records = [name for name in made if name.startswith("postman_sim.")]
        extra = _Records()
        through_logging = await traffic()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        logging.setLogRecordFactory(factory)
    assert direct_records == []  # the buffered handler alone: no LogRecord made for an access or status line
    assert len(direct) >= 8  # 3 access lines for the test's own requests, an advance's, and v2's statuses
    assert direct == through_logging
    assert {"postman_sim.access", "postman_sim.status"} <= {r.name for r in extra.records}
    text = "\n".join(direct)
    assert DEMO_KEY not in text and "key_live_abcdefgh1234" not in text and "demo-password" not in text
    assert all(line.isprintable() for line in direct)
