"""Per-test scenarios: a base file plus an override (YAML text, a mapping, or another file).

The override's rules come first (so they win), its timelines/defaults replace same-named ones, and
its face sections (v2:, ...) are merged key by key over the base's, so a test can change one
setting or one recipient's fate and keep everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator import faces
from simulator.app import sections
from simulator.scenarios import ScenarioError
from simulator.scenarios.loader import merge_scenarios, parse_config
from simulator.scenarios.model import SimConfig

Override = str | Path | Mapping[str, Any] | None


def _as_mapping(value: str | Path | Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, Path) or (value.rstrip().endswith((".yaml", ".yml")) and "\n" not in value.strip()):
        value = Path(value).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(value) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError([f"not valid YAML: {exc}"], where) from exc
    if not isinstance(data, Mapping):
        raise ScenarioError(["the scenarios must be a mapping at the top level"], where)
    return data


def build_config(base_path: Path | None, override: Override = None, replace: bool = False,
                 where: str = "postman_sim marker") -> SimConfig:
    """The config a test runs with. Raises ScenarioError (with every problem) when it is not valid."""
    base: Mapping[str, Any] = {}
    if base_path is not None and not replace:
        base = _as_mapping(base_path, str(base_path))
    if override is None:
        data: Mapping[str, Any] = base
    else:
        data = merge_scenarios(base, _as_mapping(override, where))
    return parse_config(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False),
                        source=where if override is not None else str(base_path), flows=faces.flows(),
                        sections=sections())
