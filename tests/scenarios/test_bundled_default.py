"""A pip-installed postman-sim works without a scenarios file of its own: the bundled one is the default."""

from __future__ import annotations

from simulator import load_config
from simulator.scenarios import BUNDLED_SCENARIOS
from simulator.scenarios.model import PlanState
from tests.conftest import ROOT


def test_bundled_file_is_the_repository_default() -> None:
    assert BUNDLED_SCENARIOS.read_text(encoding="utf-8") == (ROOT / "scenarios.yaml").read_text(encoding="utf-8")
    plan = load_config(BUNDLED_SCENARIOS).scenarios.plan("v2", "sms", "t", "6511111111", "", PlanState(None))
    assert plan.steps[-1].status == "failure"


