"""scenarios.yaml: data that decides what happens to each message."""

import os
from pathlib import Path

from simulator.scenarios.loader import BUNDLED_SCENARIOS, ScenarioError
from simulator.scenarios.model import Rule, ScenarioSet, SimConfig


def default_scenarios_path() -> str:
    """POSTMAN_SIM_SCENARIOS, else ./scenarios.yaml if there is one, else the bundled default."""
    chosen = os.environ.get("POSTMAN_SIM_SCENARIOS")
    if chosen:
        return chosen
    return "scenarios.yaml" if Path("scenarios.yaml").is_file() else str(BUNDLED_SCENARIOS)


# parse_config/load_config need the faces' flows: use the `simulator` façade, which passes the registry's.
__all__ = ["BUNDLED_SCENARIOS", "Rule", "ScenarioError", "ScenarioSet", "SimConfig", "default_scenarios_path"]
