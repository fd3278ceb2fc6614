"""pytest plugin (entry point `pytest11`): a simulator per test, or one per session shared by tenant.

Fixtures:
- `postman_sim`: a fresh simulator for this test (own thread and loop, manual clock); honours
  `@pytest.mark.postman_sim(scenarios=..., seed=..., start=..., replace=False)`.
- `postman_sim_server`: one simulator for the session (or `--postman-sim-url` / POSTMAN_SIM_URL to
  use a running one, e.g. the Docker image); `postman_sim_tenant`: a new v2 campaign + key on it for
  this test, so tests (and xdist workers) never see each other's messages.
- `webhook_sink`: a real receiver on loopback that records what it is sent.
- `postman_sim_scenarios_path`: the base scenarios file (override it in a conftest to change it).
- `postman_sim_admin_token`: `--postman-sim-admin-token` / POSTMAN_SIM_ADMIN_TOKEN, or None: the
  simulators started here require it and every fixture's client sends it (for a remote one: its token).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.cli.banner import clock_text, scenarios_text, version
from simulator.clock import ManualClock
from simulator.core.timefmt import parse_iso
from simulator.scenarios import BUNDLED_SCENARIOS, ScenarioError
from simulator.testing.client import SimClient, SimError
from simulator.testing.handle import PostmanSim, configured_v2, fresh_v2
from simulator.testing.overrides import build_config
from simulator.testing.server import ThreadedSimulator
from simulator.testing.sink import WebhookSink

MARKER = "postman_sim"
MARKER_HELP = (f"{MARKER}(scenarios=None, seed=0, start=None, replace=False): run this test's postman_sim "
               "fixture with extra scenarios (YAML text, a mapping or a .yaml path; its rules come first), "
               "another seed, a start time (ISO 8601 or epoch), or only the given scenarios (replace=True)")
_MARKER_KEYS = {"scenarios", "seed", "start", "replace"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("postman-sim", "postman-sim simulator")
    group.addoption("--postman-sim-scenarios", default=None, metavar="PATH",
                    help="base scenarios file for the postman_sim fixtures (default: ini postman_sim_scenarios, "
                         "else ./scenarios.yaml in the rootdir if present, else the file bundled with postman-sim)")
    group.addoption("--postman-sim-url", default=os.environ.get("POSTMAN_SIM_URL"), metavar="URL",
                    help="run postman_sim_server/postman_sim_tenant against this running simulator (e.g. Docker) "
                         "instead of starting one (env POSTMAN_SIM_URL)")
    group.addoption("--postman-sim-admin-token", default=os.environ.get("POSTMAN_SIM_ADMIN_TOKEN"), metavar="TOKEN",
                    help="admin token for /_sim: started simulators require it, the fixtures send it "
                         "(env POSTMAN_SIM_ADMIN_TOKEN)")
    group.addoption("--postman-sim-report", default=None, metavar="PATH",
                    help="write the integration report of every test's tenant (GET /_sim/report) as JSON to PATH")
    parser.addini("postman_sim_scenarios", "base scenarios file for the postman_sim fixtures", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def scenarios_path(pytestconfig: pytest.Config) -> Path:
    """The base scenarios file: the option, the ini value, ./scenarios.yaml, or the bundled default."""
    chosen = pytestconfig.getoption("--postman-sim-scenarios") or pytestconfig.getini("postman_sim_scenarios")
    if chosen:
        path = Path(chosen)
        return path if path.is_absolute() else pytestconfig.rootpath / path
    default = pytestconfig.rootpath / "scenarios.yaml"
    return default if default.is_file() else BUNDLED_SCENARIOS


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which scenarios file and clock the fixtures use, so a stray scenarios.yaml is seen at once
    (a conftest that overrides `postman_sim_scenarios_path` is not seen here)."""
    line = (f"postman-sim {version()}: scenarios {scenarios_text(scenarios_path(config))}; "
            f"clock {clock_text('manual')}")
    remote = config.getoption("--postman-sim-url", None)
    if remote:
        line += f"; postman_sim_server/postman_sim_tenant use {remote} (its own scenarios and clock)"
    return [line]


@pytest.fixture(scope="session")
def postman_sim_scenarios_path(pytestconfig: pytest.Config) -> Path | None:
    """The base scenarios file: the option, the ini value, ./scenarios.yaml, or the bundled default."""
    return scenarios_path(pytestconfig)


@pytest.fixture(scope="session")
def postman_sim_admin_token(pytestconfig: pytest.Config) -> str | None:
    """The admin token the fixtures' simulators require and their clients send (None: none)."""
    token: str | None = pytestconfig.getoption("--postman-sim-admin-token") or None
    return token


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):  # closest marker wins
        if marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only ({sorted(_MARKER_KEYS)})",
                        pytrace=False)
        unknown = set(marker.kwargs) - _MARKER_KEYS
        if unknown:
            pytest.fail(f"@pytest.mark.{MARKER}: unknown argument(s) {sorted(unknown)}; "
                        f"expected {sorted(_MARKER_KEYS)}", pytrace=False)
        options.update(marker.kwargs)
    return options


def _start_epoch(start: Any) -> float | None:
    if start is None or isinstance(start, int | float):
        return start
    try:
        return parse_iso(str(start))
    except ValueError:
        pytest.fail(f"@pytest.mark.{MARKER}(start={start!r}): not an ISO 8601 time or epoch seconds", pytrace=False)


@pytest.fixture
def postman_sim(request: pytest.FixtureRequest, postman_sim_scenarios_path: Path | None,
                postman_sim_admin_token: str | None) -> Iterator[PostmanSim]:
    """A fresh simulator with a manual clock, for this test only."""
    options = _marker_options(request)
    problem = None
    try:
        config = build_config(postman_sim_scenarios_path, options.get("scenarios"),
                              replace=bool(options.get("replace", False)))
        server = ThreadedSimulator(config, seed=options.get("seed", 0),
                                   clock=ManualClock(start=_start_epoch(options.get("start"))),
                                   admin_token=postman_sim_admin_token)
        server.start()
    except (ScenarioError, OSError) as exc:
        problem = f"postman_sim scenarios are not usable: {exc}"
    except (RuntimeError, ValueError) as exc:  # e.g. a face rejected its section, or an unusable token
        problem = f"postman_sim could not start: {exc}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    campaign, key = configured_v2(config) or fresh_v2()
    handle = PostmanSim(url=server.url, api_key=key, campaign_id=campaign, admin_token=postman_sim_admin_token)
    try:
        yield handle
    finally:
        _collect_report(request, handle)
        server.stop()


class SharedServer:
    """The session's simulator: started here, or one already running at `url`."""

    def __init__(self, url: str, owned: ThreadedSimulator | None, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.owned = owned
        self.admin_token = admin_token
        self.client = SimClient(self.url, admin_token=admin_token or "")


@pytest.fixture(scope="session")
def postman_sim_server(pytestconfig: pytest.Config, postman_sim_scenarios_path: Path | None,
                       postman_sim_admin_token: str | None) -> Iterator[SharedServer]:
    """One simulator for the whole session (per xdist worker), or the one at --postman-sim-url."""
    remote = pytestconfig.getoption("--postman-sim-url")
    if remote:
        shared = SharedServer(remote, None, postman_sim_admin_token)
        problem = None
        try:
            shared.client.health()
            shared.client.clock()  # open without --admin-token; with one, a check of ours
        except SimError as exc:
            problem = (f"postman-sim at {remote} refused the admin token (--postman-sim-admin-token / "
                       f"POSTMAN_SIM_ADMIN_TOKEN): {exc}")
        except OSError as exc:
            problem = f"no postman-sim answers at {remote}/_sim/health: {exc}"
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        yield shared
        return
    problem = None
    try:
        config = build_config(postman_sim_scenarios_path)
    except (ScenarioError, OSError) as exc:
        problem = f"postman_sim scenarios are not usable: {exc}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    server = ThreadedSimulator(config, seed=None, clock=ManualClock(), admin_token=postman_sim_admin_token)
    server.start()
    try:
        yield SharedServer(server.url, server, postman_sim_admin_token)
    finally:
        server.stop()


@pytest.fixture
def postman_sim_tenant(request: pytest.FixtureRequest, postman_sim_server: SharedServer) -> Iterator[PostmanSim]:
    """This test's own v2 campaign and key on the shared simulator; its messages are forgotten afterwards."""
    if request.node.get_closest_marker(MARKER) is not None:
        pytest.fail(f"@pytest.mark.{MARKER} configures the per-test `postman_sim` fixture; the shared server "
                    "behind `postman_sim_tenant` runs one scenario set for the whole session", pytrace=False)
    campaign, key = fresh_v2()
    handle = PostmanSim(url=postman_sim_server.url, api_key=key, campaign_id=campaign, tenant=campaign,
                        admin_token=postman_sim_server.admin_token)
    yield handle
    _collect_report(request, handle)
    handle.reset()


REPORTS = pytest.StashKey[list[dict[str, Any]]]()


def _collect_report(request: pytest.FixtureRequest, handle: PostmanSim) -> None:
    """Keep the test's report for the terminal summary (before its tenant's journal is reset)."""
    try:
        report = handle.report()
    except (SimError, OSError):
        return  # e.g. a remote simulator without /_sim/report
    if report["findings"]:
        request.config.stash.setdefault(REPORTS, []).append({"test": request.node.nodeid, **report})


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """A section listing the integration report's findings per test; --postman-sim-report writes them."""
    reports = config.stash.get(REPORTS, [])
    path = config.getoption("--postman-sim-report", None)
    if path:
        Path(path).write_text(json.dumps({"reports": reports}, indent=2), encoding="utf-8")
    if not reports:
        return
    terminalreporter.section("postman-sim integration report")
    for report in reports:
        terminalreporter.write_line(f"{report['test']} (tenant {report['tenant'] or 'all'}):")
        for finding in report["findings"]:
            terminalreporter.write_line(f"  {finding['severity']:7} {finding['rule']}: {finding['summary']}")


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    """A webhook receiver on 127.0.0.1: give the simulator `webhook_sink.url_for("/hook")`."""
    sink = WebhookSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
