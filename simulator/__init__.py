"""postman-sim: a simulator of the Postman (postman.gov.sg) test environment and its WhatsApp providers."""

from __future__ import annotations

from pathlib import Path

from simulator import faces
from simulator.app import create_app, sections
from simulator.clock import ManualClock, SystemClock
from simulator.scenarios import ScenarioError, SimConfig, loader
from simulator.scenarios.files import DEFAULT_MAX_BYTES


def parse_config(text: str, source: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SimConfig:
    """Parse scenarios YAML against every registered face's flows (see scenarios.loader.parse_config)."""
    return loader.parse_config(text, source, max_bytes=max_bytes, flows=faces.flows(),
                               sections=sections())


def load_config(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SimConfig:
    """Read and parse a scenarios file against every registered face's flows."""
    return loader.load_config(path, max_bytes, flows=faces.flows(), sections=sections())


__all__ = ["ManualClock", "ScenarioError", "SystemClock", "create_app", "load_config", "parse_config"]
__version__ = "0.1.0"
