"""scenarios.yaml: data that decides what happens to each message."""

from simulator.scenarios.loader import ScenarioError, load_config, parse_config
from simulator.scenarios.model import Rule, ScenarioSet, SimConfig

__all__ = ["Rule", "ScenarioError", "ScenarioSet", "SimConfig", "load_config", "parse_config"]
