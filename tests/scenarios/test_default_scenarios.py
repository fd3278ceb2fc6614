"""The bundled scenarios.yaml loads, and the loader explains the classic YAML mistakes."""

from __future__ import annotations

import pytest

from simulator import ScenarioError, parse_config
from simulator.scenarios.model import PlanState
from tests.conftest import default_config


def test_bundled_file_plans_the_documented_test_numbers() -> None:
    scenarios = default_config().scenarios
    plan = scenarios.plan("v2", "sms", "any", "65 1111 4444", "", PlanState(None))  # spaces are normalised away
    assert plan.steps[-1].status == "failure"
    assert plan.steps[-1].error is not None and plan.steps[-1].error.code == "routing_error"
    assert scenarios.plan("v2", "sms", "any", "6591234567", "", PlanState(None)).steps[-1].status == "success"
    assert scenarios.plan("v2", "sms", "any", "447911123456", "", PlanState(None)).steps[-1].status == "sent_to_telco"


def test_an_unquoted_phone_number_gets_a_quote_this_hint() -> None:
    text = "rules:\n  - match: {face: v2, recipient: +6591234567}\n    steps: [{after: 1, status: success}]\n"
    with pytest.raises(ScenarioError) as caught:
        parse_config(text)
    assert any("quote this value" in p for p in caught.value.problems)


def test_statuses_and_error_codes_are_checked_against_the_face() -> None:
    text = ("rules:\n  - match: {face: v2, recipient: '6500000000'}\n"
            "    steps: [{after: 1, status: DELIVERED}, {after: 1, status: failure, "
            "error: {type: delivery_error, code: nope}}]\n")
    with pytest.raises(ScenarioError) as caught:
        parse_config(text)
    joined = " ".join(caught.value.problems)
    assert "'DELIVERED' is not a v2.sms status" in joined
    assert "'nope' is not a v2.sms error code" in joined
