"""The core's port for choosing plans: scenarios implement it, so the core imports nothing above itself."""

from __future__ import annotations

from typing import Protocol

from simulator.core.models import Plan


class Planner(Protocol):
    """Chooses each message's plan (scenarios.ScenarioPlanner is the real one)."""

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str) -> Plan:
        """The plan for one send, drawn from the planner's seeded state."""
        ...

    def timeline(self, name: str) -> Plan | None:
        """A named timeline (Qlara's configured timelines), or None when there is none by that name."""
        ...

    def reset(self, tenant: str | None) -> None:
        """Restart the seeded state (tenant None), or forget one tenant's counters."""
        ...
