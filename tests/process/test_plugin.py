"""The pytest plugin seen from a user's suite (pytester): markers, failures, xdist, remote servers."""

from __future__ import annotations

import shutil

import pytest

from simulator import load_config
from simulator.testing import SimClient, ThreadedSimulator
from tests.conftest import ROOT

pytest_plugins = ["pytester"]

SEND_HELPER = '''
import json, urllib.request

def send(sim, recipient, values):
    body = {"recipient": recipient, "language": "english", "values": values}
    request = urllib.request.Request(sim.v2_messages_url, data=json.dumps(body).encode(), method="POST",
                                     headers={**sim.auth_headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
'''


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: the default scenarios file at its root and a send helper."""
    shutil.copy(ROOT / "scenarios.yaml", pytester.path / "scenarios.yaml")
    pytester.makepyfile(helpers=SEND_HELPER)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n"
                     "filterwarnings =\n    error\n    ignore::pytest.PytestAssertRewriteWarning\n")
    return pytester


def test_marker_is_registered_for_strict_markers(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.postman_sim(scenarios=None, seed=0, start=None, replace=False)*"])
    result = suite.runpytest("--help")
    result.stdout.fnmatch_lines(["*--postman-sim-scenarios=PATH*", "*--postman-sim-url=URL*"])


def test_function_fixture_with_marker_overrides_and_replace(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_user='''
import pytest
from helpers import send

def test_default_file_applies(postman_sim):
    sent = send(postman_sim, "6522222222", {"name": "A", "date": "B"})
    done = postman_sim.wait_for(sent["id"], "failure")
    assert done.error["code"] == "server_unknown_error"

@pytest.mark.postman_sim(scenarios={"rules": [{"name": "slow", "match": {"face": "v2"},
                                               "steps": [{"after": 3600, "status": "success"}]}]})
def test_mapping_override_wins(postman_sim):
    sent = send(postman_sim, "6522222222", {"name": "A", "date": "B"})
    assert postman_sim.wait_for(sent["id"], "success").rule == "slow"

@pytest.mark.postman_sim(scenarios="mode: open", replace=True)
def test_replace_drops_the_file(postman_sim):
    assert postman_sim.api_key.startswith("key_test_") and postman_sim.campaign_id.startswith("campaign_")
    sent = send(postman_sim, "6591234567", {"body": "hi"})
    assert postman_sim.advance(86400).pending == 0
    assert postman_sim.message(sent["id"]).statuses == ["created"]

@pytest.mark.postman_sim(seed=7)
def test_seed_makes_ids_repeatable(postman_sim):
    first = send(postman_sim, "6591234567", {"name": "A", "date": "B"})["id"]
    postman_sim.reset()
    assert send(postman_sim, "6591234567", {"name": "A", "date": "B"})["id"] == first
''')
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


def test_bad_marker_use_fails_with_a_clear_message(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_bad='''
import pytest

@pytest.mark.postman_sim(scenario="typo.yaml")
def test_typo(postman_sim):
    """Never runs: the fixture's setup fails on the marker."""

@pytest.mark.postman_sim(scenarios="rules: [{name: r, match: {recipient: 6591234567}, timeline: nope}]")
def test_invalid_rules(postman_sim):
    """Never runs: the fixture's setup fails on the scenarios."""

@pytest.mark.postman_sim(seed=1)
def test_marker_on_shared_server(postman_sim_tenant):
    """Never runs: the shared server cannot take a per-test marker."""
''')
    result = suite.runpytest()
    result.assert_outcomes(errors=3)
    out = result.stdout.str()
    assert "@pytest.mark.postman_sim: unknown argument(s) ['scenario']" in out
    assert "postman_sim scenarios are not usable: postman_sim marker: " in out
    assert "rules[0].timeline: no timeline named 'nope'" in out
    assert "configures the per-test `postman_sim` fixture" in out
    assert "Traceback" not in out and "During handling" not in out


def test_session_server_isolates_tenants_under_xdist(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_tenants='''
import pytest
from helpers import send

@pytest.mark.parametrize("n", range(8))
def test_each_tenant_sees_only_its_own(postman_sim_tenant, postman_sim_server, n, tmp_path_factory):
    sent = [send(postman_sim_tenant, "6591234567", {"body": f"{n}-{i}"})["id"] for i in range(3)]
    assert sorted(m.id for m in postman_sim_tenant.messages()) == sorted(sent)
    assert postman_sim_tenant.wait_for(sent[0], "success").tenant == postman_sim_tenant.campaign_id
    out = tmp_path_factory.getbasetemp().parent / f"url-{n}.txt"
    out.write_text(postman_sim_server.url)
''')
    result = suite.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)
    urls = {p.read_text() for p in suite.path.parent.rglob("url-*.txt")}
    assert 1 <= len(urls) <= 2  # one server per worker process, shared by that worker's tests


def test_session_fixture_can_target_a_running_simulator(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_remote='''
from helpers import send

def test_against_remote(postman_sim_tenant, postman_sim_server):
    assert postman_sim_server.owned is None
    sent = send(postman_sim_tenant, "6511112222", {"body": "x"})
    assert postman_sim_tenant.wait_for(sent["id"], "failure").error["code"] == "recipient_unavailable"
''')
    with ThreadedSimulator(load_config(ROOT / "scenarios.yaml")) as remote:
        result = suite.runpytest(f"--postman-sim-url={remote.url}")
        result.assert_outcomes(passed=1)
        client = SimClient(remote.url)
        assert client.messages() == []  # the tenant cleaned up after itself
        assert 'postman_sim_requests_total{code="201",face="v2"} 1.0' in client.metrics()


def test_unreachable_remote_fails_clearly(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_remote='''
def test_against_remote(postman_sim_tenant):
    """Never runs: the remote server cannot be reached."""
''')
    result = suite.runpytest("--postman-sim-url=http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no postman-sim answers at http://127.0.0.1:9/_sim/health*"])


ADMIN_TOKEN = "plugin-admin-token-0123"


def test_fixtures_require_and_send_the_admin_token(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_token='''
import asyncio
import urllib.error, urllib.request
import pytest
from helpers import send

def _status(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code

def test_function_fixture(postman_sim, postman_sim_admin_token):
    assert postman_sim.admin_token == postman_sim_admin_token == "plugin-admin-token-0123"
    assert _status(postman_sim.url + "/_sim/clock", {}) == 401
    assert _status(postman_sim.url + "/_sim/clock", postman_sim.admin_headers) == 200
    sent = send(postman_sim, "6522222222", {"name": "A", "date": "B"})
    assert postman_sim.wait_for(sent["id"], "failure").error["code"] == "server_unknown_error"

def test_shared_fixture(postman_sim_tenant):
    sent = send(postman_sim_tenant, "6591234567", {"body": "x"})
    listed = asyncio.run(postman_sim_tenant.aio.messages(tenant=postman_sim_tenant.tenant))
    assert [m.id for m in listed] == [sent["id"]]
    assert postman_sim_tenant.wait_for(sent["id"], "success").tenant == postman_sim_tenant.campaign_id
''')
    suite.runpytest(f"--postman-sim-admin-token={ADMIN_TOKEN}").assert_outcomes(passed=2)


def test_a_remote_simulator_gets_the_admin_token_and_a_wrong_one_fails_clearly(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_remote='''
from helpers import send

def test_against_remote(postman_sim_tenant):
    sent = send(postman_sim_tenant, "6511112222", {"body": "x"})
    assert postman_sim_tenant.wait_for(sent["id"], "failure").error["code"] == "recipient_unavailable"
''')
    with ThreadedSimulator(load_config(ROOT / "scenarios.yaml"), admin_token=ADMIN_TOKEN) as remote:
        suite.runpytest(f"--postman-sim-url={remote.url}", f"--postman-sim-admin-token={ADMIN_TOKEN}",
                        "-p", "no:cacheprovider").assert_outcomes(passed=1)
        assert SimClient(remote.url, admin_token=ADMIN_TOKEN).messages() == []  # the tenant cleaned up
        refused = suite.runpytest(f"--postman-sim-url={remote.url}", "--postman-sim-admin-token=wrong-token")
        refused.assert_outcomes(errors=1)
        refused.stdout.fnmatch_lines([f"*postman-sim at {remote.url} refused the admin token*401 unauthorized*"])
