"""The pytest plugin's journal helpers and integration-report summary, seen from a user's suite."""

from __future__ import annotations

import json

import pytest

from tests.process.test_plugin import suite  # noqa: F401  (the user's-project fixture)

pytest_plugins = ["pytester"]

TESTS = '''
import urllib.request
import pytest
from helpers import send

def test_verified(postman_sim_tenant):
    send(postman_sim_tenant, "6591234567", {"body": "hi"})
    postman_sim_tenant.assert_requested("POST", "/api/v2/campaigns/*/messages", times=1, status="201")
    postman_sim_tenant.assert_not_requested("GET", "/api/v2/*")
    assert [r["status"] for r in postman_sim_tenant.requests()] == [201]

def test_wrong_path_is_explained(postman_sim_tenant):
    send(postman_sim_tenant, "6591234567", {"body": "hi"})
    with pytest.raises(AssertionError) as failure:
        postman_sim_tenant.assert_requested("POST", "/api/v2/campaign/*/messages")
    assert "saw it 0 time(s)" in str(failure.value)
    assert "closest requests seen" in str(failure.value) and "POST /api/v2/campaigns/" in str(failure.value)

def test_double_submit(postman_sim):
    send(postman_sim, "6591234567", {"name": "Tan", "date": "1 Dec"})
    send(postman_sim, "6591234567", {"name": "Tan", "date": "1 Dec"})
'''


def test_handle_helpers_and_the_report_summary(suite: pytest.Pytester) -> None:  # noqa: F811
    suite.makepyfile(test_user=TESTS)
    path = suite.path / "report.json"
    result = suite.runpytest("-p", "no:randomly", f"--postman-sim-report={path}")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*postman-sim integration report*", "*test_double_submit*",
                                 "*warning*duplicate-send*"])
    written = json.loads(path.read_text())["reports"]
    assert [r["test"] for r in written] == ["test_user.py::test_double_submit"]
    assert [f["rule"] for f in written[0]["findings"]] == ["duplicate-send"]
