"""A pip-installed postman-sim works without a scenarios file of its own: the bundled one is the default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simulator.scenarios import BUNDLED_SCENARIOS, load_config
from simulator.scenarios.model import PlanState
from tests.conftest import ROOT


def test_bundled_file_is_the_repository_default() -> None:
    assert BUNDLED_SCENARIOS.read_text(encoding="utf-8") == (ROOT / "scenarios.yaml").read_text(encoding="utf-8")
    plan = load_config(BUNDLED_SCENARIOS).scenarios.plan("v2", "sms", "t", "6511111111", "", PlanState(None))
    assert plan.steps[-1].status == "failure"


def test_numbers_without_a_local_file_reads_the_bundled_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "POSTMAN_SIM_SCENARIOS"}
    result = subprocess.run([sys.executable, "-m", "simulator", "numbers"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "6511111111" in result.stdout and "recipient_invalid" in result.stdout
