"""Frozen, validated form of scenarios.yaml, and the matching that turns a message into a plan."""

from __future__ import annotations

import fnmatch
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.clock import Clock
from simulator.core.ids import random_state, set_random_state
from simulator.core.models import ErrorInfo, Plan, Step
from simulator.scenarios.patterns import Pattern

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
    regex: Pattern | None = None
    content: str | None = None
    content_regex: Pattern | None = None

    def matches(self, face: str, channel: str, tenant: str, recipient: str, content: str) -> bool:
        return (
            (self.face is None or self.face == face)
            and (self.channel is None or self.channel == channel)
            and (self.recipients is None or recipient in self.recipients)
            and (self.prefix is None or recipient.startswith(self.prefix))
            and (self.tenant is None or self.tenant == tenant)
            and (self.glob is None or fnmatch.fnmatchcase(recipient, self.glob))
            and (self.regex is None or self.regex.found_in(recipient))
            and (self.content is None or self.content in content)
            and (self.content_regex is None or self.content_regex.found_in(content))
        )


@dataclass(frozen=True, slots=True)
class Window:
    """When a rule or fault is in force: offsets from the scenario start and/or absolute epoch times."""

    start: float | None = None       # seconds after the scenario start
    until: float | None = None
    start_at: float | None = None    # absolute epoch seconds
    until_at: float | None = None
    hours: tuple[float, float] | None = None  # daily, seconds after midnight Singapore time (may wrap)

    def contains(self, now: float, started_at: float) -> bool:
        offset = now - started_at
        return ((self.start is None or offset >= self.start) and (self.until is None or offset < self.until)
                and (self.start_at is None or now >= self.start_at)
                and (self.until_at is None or now < self.until_at)
                and (self.hours is None or self._in_hours(now)))

    def _in_hours(self, now: float) -> bool:
        assert self.hours is not None
        start, end = self.hours
        of_day = (now + SGT_OFFSET) % 86400
        return start <= of_day < end if start <= end else (of_day >= start or of_day < end)


SGT_OFFSET = 8 * 3600  # Singapore has no daylight saving time


class PlanState:
    """What makes outcomes vary: a seeded random stream, the scenario start and per-recipient send counts.

    Owned by the engine (not the frozen ScenarioSet) so a reload or reset can start it afresh.
    """

    def __init__(self, seed: int | None, clock: Clock | None = None) -> None:
        self.seed = seed
        self.clock = clock
        self.restart()

    def restart(self) -> None:
        """Re-seed, forget every send count and make 'now' the scenario start (reset, reload)."""
        self.rng = random.Random(self.seed)
        self.started_at = self.now()
        self.counts: dict[tuple[str, str, str], int] = {}

    def forget(self, tenant: str) -> None:
        self.counts = {k: v for k, v in self.counts.items() if k[1] != tenant}

    def export_state(self) -> dict[str, Any]:
        """The stream's position, the scenario start and the sequence counters, as plain data (snapshots)."""
        return {"random": random_state(self.rng), "started_at": self.started_at,
                "counts": [[*slot, n] for slot, n in self.counts.items()]}

    def import_state(self, data: dict[str, Any]) -> None:
        set_random_state(self.rng, data["random"])
        self.started_at = float(data["started_at"])
        self.counts = {(str(k), str(t), str(r)): int(n) for k, t, r, n in data["counts"]}

    def now(self) -> float:
        return 0.0 if self.clock is None else self.clock.now()

    def active(self, window: Window) -> bool:
        return window.contains(self.now(), self.started_at)

    def count(self, key: str, tenant: str, recipient: str) -> int:
        """1 for the first send to this recipient under `key`, 2 for the next, ..."""
        slot = (key, tenant, recipient)
        n = self.counts.get(slot, 0) + 1
        self.counts[slot] = n
        return n


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step as written: `after` plus up to `jitter` more seconds, drawn per message."""

    after: float
    status: str
    error: ErrorInfo | None = None
    jitter: float = 0.0


class Outcome(ABC):
    """What a rule does to a message: one plan, a weighted draw, or a per-recipient sequence."""

    label: str

    @abstractmethod
    def pick(self, tenant: str, recipient: str, state: PlanState) -> Plan:
        """The plan for this send."""

    @abstractmethod
    def branches(self) -> list[tuple[str, Plan]]:
        """Every plan it can give, with how it is chosen (for listings such as `postman-sim numbers`)."""


class Timeline(Outcome):
    """A fixed list of steps; with jitter, each message draws its own delays."""

    def __init__(self, label: str, specs: tuple[StepSpec, ...]) -> None:
        self.label = label
        self.specs = specs
        self.plan = Plan(rule=label, steps=tuple(Step(after=s.after, status=s.status, error=s.error) for s in specs))
        self.jittered = any(s.jitter for s in specs)

    def pick(self, tenant: str, recipient: str, state: PlanState) -> Plan:
        if not self.jittered:
            return self.plan
        rng = state.rng
        return Plan(rule=self.label, steps=tuple(
            Step(after=s.after + (rng.uniform(0.0, s.jitter) if s.jitter else 0.0), status=s.status, error=s.error)
            for s in self.specs))

    def branches(self) -> list[tuple[str, Plan]]:
        jitter = sum(s.jitter for s in self.specs)
        return [(f"plus up to {jitter:g}s of jitter" if jitter else "", self.plan)]


class Weighted(Outcome):
    """Draw one outcome per send, in proportion to the weights, from the engine's seeded stream."""

    def __init__(self, label: str, choices: tuple[tuple[float, Outcome], ...]) -> None:
        self.label = label
        self.choices = choices
        self.total = sum(w for w, _ in choices)

    def pick(self, tenant: str, recipient: str, state: PlanState) -> Plan:
        point = state.rng.random() * self.total
        for weight, outcome in self.choices:
            point -= weight
            if point < 0:
                return outcome.pick(tenant, recipient, state)
        return self.choices[-1][1].pick(tenant, recipient, state)

    def branches(self) -> list[tuple[str, Plan]]:
        out = []
        for weight, outcome in self.choices:
            share = f"{100 * weight / self.total:.4g}%"
            out += [(f"{share} {how}".strip(), plan) for how, plan in outcome.branches()]
        return out


class Sequence(Outcome):
    """The nth send to one recipient gets the nth entry; the last entry holds for every later send."""

    def __init__(self, label: str, key: str, entries: tuple[tuple[int, Outcome], ...]) -> None:
        self.label = label
        self.key = key
        self.entries = entries  # (how many sends this entry covers, outcome)

    def pick(self, tenant: str, recipient: str, state: PlanState) -> Plan:
        n = state.count(self.key, tenant, recipient)
        for repeat, outcome in self.entries:
            if n <= repeat:
                return outcome.pick(tenant, recipient, state)
            n -= repeat
        return self.entries[-1][1].pick(tenant, recipient, state)

    def branches(self) -> list[tuple[str, Plan]]:
        out, first = [], 1
        for i, (repeat, outcome) in enumerate(self.entries):
            last = i == len(self.entries) - 1
            span = f"send {first}+" if last else (f"send {first}" if repeat == 1 else
                                                   f"sends {first}-{first + repeat - 1}")
            out += [(f"{span}: {how}".rstrip(": "), plan) for how, plan in outcome.branches()]
            first += repeat
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    match: Match
    plan: Plan
    timeline: str | None = None  # the named timeline it uses, if any (for listings)
    outcome: Outcome | None = None  # set when the plan varies per message (weights, sequence, jitter)
    active: Window | None = None    # set when the rule holds only for a window of time


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    rules: tuple[Rule, ...] = ()
    defaults: Mapping[str, Plan] = field(default_factory=dict)
    timelines: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)  # defaults whose plan varies per message
    version: int = 1
    # Each send only tries the rules that can match its flow (the hot path runs this per message); filled
    # per flow on first use, so the set needs no list of flows.
    _by_flow: dict[tuple[str, str], tuple[Rule, ...]] = field(default_factory=dict, init=False, repr=False,
                                                               compare=False)
    _checks: dict[tuple[str, str], tuple[Rule | dict[str, Rule], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def rules_for(self, face: str, channel: str) -> tuple[Rule, ...]:
        """The rules whose face and channel (when given) are this flow's, in file order."""
        key = (face, channel)
        found = self._by_flow.get(key)
        if found is None:
            found = self._by_flow[key] = tuple(r for r in self.rules if r.match.face in (None, face)
                                                and r.match.channel in (None, channel))
        return found

    def _checks_for(self, face: str, channel: str) -> tuple[Rule | dict[str, Rule], ...]:
        """`rules_for`, with each run of rules that only name recipients (no window, nothing else to match)
        folded into one dict: recipient -> the first rule of the run naming it. The default scenarios open every
        flow with such a run (the documented test numbers), so a send looks its recipient up once."""
        key = (face, channel)
        found = self._checks.get(key)
        if found is None:
            checks: list[Rule | dict[str, Rule]] = []
            for rule in self.rules_for(face, channel):
                if rule.active is None and _names_recipients_only(rule.match):
                    if not checks or not isinstance(checks[-1], dict):
                        checks.append({})
                    run = checks[-1]
                    assert isinstance(run, dict) and rule.match.recipients is not None
                    for recipient in rule.match.recipients:
                        run.setdefault(recipient, rule)
                else:
                    checks.append(rule)
            found = self._checks[key] = tuple(checks)
        return found

    def plan(self, face: str, channel: str, tenant: str, recipient: str, content: str,
             state: PlanState) -> Plan:
        """First matching rule (in force now) wins; else the flow's default; else no planned change at all."""
        normalised = normalise_recipient(recipient)
        flow = f"{face}.{channel}"
        for check in self._checks_for(face, channel):
            if isinstance(check, dict):
                named = check.get(normalised)
                if named is None:
                    continue
                rule = named
            else:
                rule = check
                if not rule.match.matches(face, channel, tenant, normalised, content):
                    continue
                if rule.active is not None and not state.active(rule.active):
                    continue
            if rule.outcome is None:
                return rule.plan
            return rule.outcome.pick(tenant, normalised, state)
        outcome = self.outcomes.get(flow)
        if outcome is not None:
            return outcome.pick(tenant, normalised, state)
        return self.defaults.get(flow, _NO_PLAN)

    def timeline(self, name: str) -> Plan:
        """A named timeline, for outcomes a face decides itself (e.g. a closed WhatsApp window)."""
        return Plan(rule=f"timeline {name}", steps=self.timelines[name])


_NO_PLAN = Plan(rule="no rule matched", steps=())


def _names_recipients_only(match: Match) -> bool:
    """Whether a rule of a flow matches on its recipient set alone (face and channel are the flow's already)."""
    return (match.recipients is not None and match.tenant is None and match.prefix is None and match.glob is None
            and match.regex is None and match.content is None and match.content_regex is None)


@dataclass(frozen=True, slots=True)
class Distribution:
    """A delay: fixed, uniform between two bounds, normal (mean, stddev) or exponential (mean)."""

    kind: str
    a: float
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            value = rng.uniform(self.a, self.b)
        elif self.kind == "normal":
            value = rng.gauss(self.a, self.b)
        elif self.kind == "exponential":
            value = rng.expovariate(1.0 / self.a) if self.a > 0 else 0.0
        else:
            value = self.a
        return max(0.0, value)


@dataclass(frozen=True, slots=True)
class CustomAnswer:
    """A fault's `respond:`: an answer given as it is written, in no face's shape (body already serialised)."""

    status: int
    body: str
    content_type: str                       # application/json for a mapping or list, text/plain for a string
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """An API-level fault: which requests it hits, how often, and what it does to them."""

    name: str
    face: str | None = None
    methods: frozenset[str] | None = None
    path: str | None = None                 # glob over the full request path
    tenant: str | None = None
    status: int | None = None               # answer with this HTTP error
    error_code: str | None = None           # ... the face's documented error with this code (its status above)
    respond: CustomAnswer | None = None     # ... or this answer, as written (its status above)
    latency: Distribution | None = None     # added real-time delay
    drop: bool = False                      # close the connection without an answer
    timeout: float | None = None            # hold the request this long, then close the connection
    probability: float | None = None
    nth: frozenset[int] | None = None
    first: int | None = None
    every: int | None = None
    burst: int = 1
    processed: bool = False                 # handle the request first, then spoil the answer
    retry_after: int | None = None
    active: Window | None = None

    @property
    def kind(self) -> str:
        if self.status is not None:
            return f"http_{self.status}"
        if self.drop:
            return "drop"
        if self.timeout is not None:
            return "timeout"
        return "latency"

    def due(self, k: int, rng: random.Random) -> bool:
        """Whether the k-th matching request (1-based) is hit."""
        if self.nth is not None:
            return k in self.nth
        if self.first is not None:
            return k <= self.first
        if self.every is not None:
            return k >= self.every and k % self.every < self.burst
        if self.probability is not None:
            return rng.random() < self.probability
        return True


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The whole scenarios file: the scenario set plus each face's own section (parsed by the face)."""

    scenarios: ScenarioSet
    sections: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "open"
    source: str | None = None
    faults: tuple[FaultSpec, ...] = ()
    max_bytes: int = 1024 * 1024     # the cap on scenarios files and reload bodies (--scenarios-max-bytes)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name)
        return value if isinstance(value, Mapping) else {}
