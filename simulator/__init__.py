"""postman-sim: a simulator of the Postman (postman.gov.sg) test environment and its WhatsApp providers."""

from simulator.app import create_app
from simulator.clock import ManualClock, SystemClock
from simulator.scenarios import ScenarioError, load_config, parse_config

__all__ = ["ManualClock", "ScenarioError", "SystemClock", "create_app", "load_config", "parse_config"]
__version__ = "0.1.0"
