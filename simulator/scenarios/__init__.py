"""scenarios.yaml: data that decides what happens to each message."""

import os
from pathlib import Path

from simulator.scenarios.loader import ScenarioError, load_config, parse_config
from simulator.scenarios.model import Rule, ScenarioSet, SimConfig

# The default scenarios.yaml, shipped inside the package (a link to the repository's file) so that a
# pip-installed plugin or CLI behaves like `make run` without a file of its own.
BUNDLED_SCENARIOS = Path(__file__).resolve().parent.parent / "bundled_scenarios.yaml"


def default_scenarios_path() -> str:
    """POSTMAN_SIM_SCENARIOS, else ./scenarios.yaml if there is one, else the bundled default."""
    chosen = os.environ.get("POSTMAN_SIM_SCENARIOS")
    if chosen:
        return chosen
    return "scenarios.yaml" if Path("scenarios.yaml").is_file() else str(BUNDLED_SCENARIOS)


__all__ = ["BUNDLED_SCENARIOS", "Rule", "ScenarioError", "ScenarioSet", "SimConfig", "default_scenarios_path",
           "load_config", "parse_config"]
