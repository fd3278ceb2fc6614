"""Socket-free core fixtures: an Engine on a ManualClock whose plans come from a dict, not scenarios.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.clock import ManualClock
from simulator.core.engine import Engine
from simulator.core.flows import Flow
from simulator.core.models import Message, Plan, Step

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
FACE, CHANNEL = "v2", "sms"
# One flow is all the core needs: acceptance records its initial statuses before any planned step.
FLOWS = {f"{FACE}.{CHANNEL}": Flow(("created", "sent", "success", "failure"), ("created",),
                                   frozenset({"success", "failure"}), {"success": "delivered"})}
INITIAL = FLOWS[f"{FACE}.{CHANNEL}"].initial
NO_STEPS = Plan("none", ())


class FakePlanner:
    """A recipient -> Plan table (others get no steps); records the plans it was asked for and its resets."""

    def __init__(self, plans: Mapping[str, Plan]) -> None:
        self.plans = dict(plans)
        self.asked: list[str] = []
        self.resets: list[str | None] = []

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str = "") -> Plan:
        self.asked.append(recipient)
        return self.plans.get(recipient, NO_STEPS)

    def timeline(self, name: str) -> Plan | None:
        return None

    def reset(self, tenant: str | None) -> None:
        self.resets.append(tenant)


def plan(*steps: tuple[float, str], rule: str = "test") -> Plan:
    return Plan(rule, tuple(Step(after, status) for after, status in steps))


def make_engine(plans: Mapping[str, Plan] | None = None, seed: int | None = 1) -> Engine:
    """The one place that builds an Engine for the core tests."""
    return Engine(ManualClock(start=START), FakePlanner(plans or {}), FLOWS, seed=seed)


def send(engine: Engine, recipient: str = "+6590000001", tenant: str = "t1", **extra: Any) -> Message:
    return engine.accept(face=FACE, channel=CHANNEL, tenant=tenant, recipient=recipient, payload={}, **extra)


def statuses(message: Message) -> list[tuple[str, float]]:
    """The current attempt's history as (status, seconds after START)."""
    return [(change.status, change.at - START) for change in message.attempt.history]
