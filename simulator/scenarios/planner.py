"""The scenarios' side of the core's Planner port: the ScenarioSet in force plus the seeded state it draws from.

The engine only sees `Planner`; reload swaps the scenarios here, faults read the same state's time windows.
"""

from __future__ import annotations

from simulator.clock import Clock
from simulator.core.models import Plan
from simulator.scenarios.model import PlanState, ScenarioSet


class ScenarioPlanner:
    """Implements core.planner.Planner over scenarios.yaml: rules first, then the flow's default."""

    def __init__(self, scenarios: ScenarioSet, seed: int | None, clock: Clock | None = None) -> None:
        self.scenarios = scenarios
        self.state = PlanState(seed, clock)  # weighted draws, sequences, time windows

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str) -> Plan:
        return self.scenarios.plan(face, channel, tenant, recipient, content, self.state)

    def timeline(self, name: str) -> Plan | None:
        return self.scenarios.timeline(name) if name in self.scenarios.timelines else None

    def reset(self, tenant: str | None) -> None:
        if tenant is None:
            self.state.restart()
        else:
            self.state.forget(tenant)

    def swap(self, scenarios: ScenarioSet) -> None:
        """Put reloaded scenarios in force; draws, counts and the scenario start begin afresh."""
        self.scenarios = scenarios
        self.state.restart()
