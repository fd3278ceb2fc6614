"""Frozen, validated form of scenarios.yaml, and the matching that turns a message into a plan."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.models import Plan, Step

_PHONE_NOISE = re.compile(r"[\s+\-().]")


def normalise_recipient(recipient: str) -> str:
    """Phone numbers lose '+', spaces, dashes and brackets; e-mail addresses are lower-cased."""
    text = recipient.strip()
    if "@" in text:
        return text.lower()
    return _PHONE_NOISE.sub("", text)


@dataclass(frozen=True, slots=True)
class Match:
    face: str | None = None
    channel: str | None = None
    tenant: str | None = None
    recipients: frozenset[str] | None = None
    prefix: str | None = None
    glob: str | None = None
    regex: re.Pattern[str] | None = None
    content: str | None = None

    def matches(self, face: str, channel: str, tenant: str, recipient: str, content: str) -> bool:
        return (
            (self.face is None or self.face == face)
            and (self.channel is None or self.channel == channel)
            and (self.recipients is None or recipient in self.recipients)
            and (self.prefix is None or recipient.startswith(self.prefix))
            and (self.tenant is None or self.tenant == tenant)
            and (self.glob is None or fnmatch.fnmatchcase(recipient, self.glob))
            and (self.regex is None or self.regex.search(recipient) is not None)
            and (self.content is None or self.content in content)
        )


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    match: Match
    plan: Plan
    timeline: str | None = None  # the named timeline it uses, if any (for listings)


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    rules: tuple[Rule, ...] = ()
    defaults: Mapping[str, Plan] = field(default_factory=dict)
    timelines: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str = "") -> Plan:
        """First matching rule wins; else the flow's default; else no planned change at all."""
        normalised = normalise_recipient(recipient)
        for rule in self.rules:
            if rule.match.matches(face, channel, tenant, normalised, content):
                return rule.plan
        return self.defaults.get(f"{face}.{channel}", _NO_PLAN)

    def timeline(self, name: str) -> Plan:
        """A named timeline, for outcomes a face decides itself (e.g. a closed WhatsApp window)."""
        return Plan(rule=f"timeline {name}", steps=self.timelines[name])


_NO_PLAN = Plan(rule="no rule matched", steps=())


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The whole scenarios file: the scenario set plus each face's own section (parsed by the face)."""

    scenarios: ScenarioSet
    sections: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "open"
    source: str | None = None

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name)
        return value if isinstance(value, Mapping) else {}
