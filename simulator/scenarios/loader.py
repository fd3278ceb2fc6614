"""Read scenarios.yaml into a `SimConfig`, collecting every error with where it is and a hint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.core.models import ErrorInfo, Plan, Step
from simulator.scenarios.model import Match, Rule, ScenarioSet, SimConfig, normalise_recipient
from simulator.scenarios.vocabulary import CHANNELS, FACES, FLOWS, Vocabulary, flows_for

SUPPORTED_VERSIONS = (1,)
SCENARIO_KEYS = {"version", "mode", "timelines", "rules", "defaults"}
MATCH_KEYS = {"face", "channel", "tenant", "recipient", "recipient_prefix", "recipient_glob",
              "recipient_regex", "content"}


class ScenarioError(ValueError):
    """A scenarios file that cannot be used; `problems` lists every error found."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


def load_config(path: str | Path) -> SimConfig:
    text = Path(path).read_text(encoding="utf-8")
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str | None = None) -> SimConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"not valid YAML: {exc}"], source) from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ScenarioError(["the file must hold a mapping at the top level"], source)
    problems: list[str] = []
    scenarios = _Parser(problems).parse(data)
    mode = data.get("mode", "open")
    if mode not in ("open", "strict"):
        problems.append(f"mode: must be 'open' or 'strict', not {mode!r}")
    if problems:
        raise ScenarioError(problems, source)
    sections = {k: v for k, v in data.items() if k not in SCENARIO_KEYS}
    return SimConfig(scenarios=scenarios, sections=sections, mode=str(mode), source=source)


class _Parser:
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def error(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def parse(self, data: Mapping[str, Any]) -> ScenarioSet:
        version = data.get("version", 1)
        if version not in SUPPORTED_VERSIONS:
            self.error("version", f"unsupported version {version!r} (this simulator reads {SUPPORTED_VERSIONS})")
        timelines = self._timelines(data.get("timelines") or {})
        rules = tuple(self._rules(data.get("rules") or [], timelines))
        defaults = self._defaults(data.get("defaults") or {}, timelines)
        return ScenarioSet(rules=rules, defaults=defaults, timelines=timelines)

    def _timelines(self, raw: Any) -> dict[str, tuple[Step, ...]]:
        if not isinstance(raw, Mapping):
            self.error("timelines", "must be a mapping of name to a list of steps")
            return {}
        return {str(name): self._steps(f"timelines.{name}", steps) for name, steps in raw.items()}

    def _steps(self, where: str, raw: Any) -> tuple[Step, ...]:
        if not isinstance(raw, list):
            self.error(where, "must be a list of steps like {after: 1, status: sent}")
            return ()
        steps = []
        for i, item in enumerate(raw):
            at = f"{where}[{i}]"
            if not isinstance(item, Mapping):
                self.error(at, "a step must be a mapping like {after: 1, status: sent}")
                continue
            unknown = set(item) - {"after", "status", "error"}
            if unknown:
                self.error(at, f"unknown key(s) {sorted(unknown)}; a step has after, status and error")
            after = item.get("after", 0)
            if isinstance(after, bool) or not isinstance(after, int | float) or after < 0:
                self.error(f"{at}.after", f"must be a number of seconds >= 0, not {after!r}")
                after = 0
            status = item.get("status")
            if not isinstance(status, str):
                self.error(f"{at}.status", "is required and must be a string")
                continue
            steps.append(Step(after=float(after), status=status, error=self._error(f"{at}.error", item.get("error"))))
        return tuple(steps)

    def _error(self, where: str, raw: Any) -> ErrorInfo | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or "code" not in raw:
            self.error(where, "must be a mapping with a code, e.g. {type: delivery_error, code: routing_error}")
            return None
        unknown = set(raw) - {"type", "code", "description", "sub_type"}
        if unknown:
            self.error(where, f"unknown key(s) {sorted(unknown)}; an error has type, code, description, sub_type")
        values = {k: (None if raw.get(k) is None else str(raw[k])) for k in ("type", "description", "sub_type")}
        return ErrorInfo(code=str(raw["code"]), **values)

    def _resolve(self, where: str, item: Mapping[str, Any], timelines: Mapping[str, tuple[Step, ...]]
                 ) -> tuple[tuple[Step, ...], str | None]:
        if "timeline" in item and "steps" in item:
            self.error(where, "give either timeline or steps, not both")
        if "timeline" in item:
            name = str(item["timeline"])
            if name not in timelines:
                self.error(f"{where}.timeline", f"no timeline named {name!r}; known: {sorted(timelines)}")
                return (), name
            return timelines[name], name
        if "steps" in item:
            return self._steps(f"{where}.steps", item["steps"]), None
        self.error(where, "needs a timeline (a name under timelines:) or a list of steps")
        return (), None

    def _check_vocabulary(self, where: str, flows: list[str], steps: tuple[Step, ...]) -> None:
        for flow in flows:
            vocab: Vocabulary = FLOWS[flow]
            for i, step in enumerate(steps):
                if step.status not in vocab.statuses:
                    self.error(f"{where}[{i}].status", f"{step.status!r} is not a {flow} status; "
                               f"expected one of {sorted(vocab.statuses)}")
                if step.error is None:
                    continue
                if vocab.error_types is not None and step.error.type not in vocab.error_types:
                    self.error(f"{where}[{i}].error.type", f"{step.error.type!r} is not a {flow} error "
                               f"type; expected one of {sorted(vocab.error_types)}")
                if vocab.error_codes is not None and step.error.code not in vocab.error_codes:
                    self.error(f"{where}[{i}].error.code", f"{step.error.code!r} is not a {flow} error "
                               f"code; expected one of {sorted(vocab.error_codes)}")

    def _rules(self, raw: Any, timelines: Mapping[str, tuple[Step, ...]]) -> list[Rule]:
        if not isinstance(raw, list):
            self.error("rules", "must be a list")
            return []
        rules = []
        for i, item in enumerate(raw):
            where = f"rules[{i}]"
            if not isinstance(item, Mapping):
                self.error(where, "a rule must be a mapping with name, match and timeline/steps")
                continue
            name = str(item.get("name") or where)
            match = self._match(f"{where}.match", item.get("match") or {})
            steps, timeline = self._resolve(where, item, timelines)
            flows = flows_for(match.face, match.channel)
            if match.face is None:
                self.error(f"{where}.match", "name the face (v2, v1 or qlara): statuses differ between faces")
            else:
                self._check_vocabulary(f"{where}.steps" if timeline is None else f"timelines.{timeline}",
                                       flows, steps)
            rules.append(Rule(name=name, match=match, plan=Plan(rule=name, steps=steps), timeline=timeline))
        return rules

    def _match(self, where: str, raw: Any) -> Match:
        if not isinstance(raw, Mapping):
            self.error(where, "must be a mapping")
            return Match()
        unknown = set(raw) - MATCH_KEYS
        if unknown:
            self.error(where, f"unknown key(s) {sorted(unknown)}; known: {sorted(MATCH_KEYS)}")
        face, channel = raw.get("face"), raw.get("channel")
        if face is not None and face not in FACES:
            self.error(f"{where}.face", f"{face!r} is not a face; expected one of {sorted(FACES)}")
        if channel is not None and channel not in CHANNELS:
            self.error(f"{where}.channel", f"{channel!r} is not a channel; expected one of {sorted(CHANNELS)}")
        if face in FACES and channel in CHANNELS and not flows_for(face, channel):
            self.error(where, f"the {face} face has no {channel} channel")
        recipients = None
        if "recipient" in raw:
            values = raw["recipient"] if isinstance(raw["recipient"], list) else [raw["recipient"]]
            recipients = frozenset(self._recipient(f"{where}.recipient", v) for v in values)
        prefix = self._optional_recipient(where, raw, "recipient_prefix")
        glob = self._optional_recipient(where, raw, "recipient_glob")
        regex = None
        if raw.get("recipient_regex") is not None:
            try:
                regex = re.compile(str(raw["recipient_regex"]))
            except re.error as exc:
                self.error(f"{where}.recipient_regex", f"not a valid regular expression: {exc}")
        content = raw.get("content")
        return Match(
            face=face if isinstance(face, str) else None,
            channel=channel if isinstance(channel, str) else None,
            tenant=None if raw.get("tenant") is None else str(raw["tenant"]),
            recipients=recipients, prefix=prefix, glob=glob, regex=regex,
            content=None if content is None else str(content),
        )

    def _optional_recipient(self, where: str, raw: Mapping[str, Any], key: str) -> str | None:
        return None if raw.get(key) is None else self._recipient(f"{where}.{key}", raw[key])

    def _recipient(self, where: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str):
            self.error(where, f"quote this value: YAML reads {value!r} as a {type(value).__name__}, "
                       "so a phone number like +6591234567 must be written \"+6591234567\"")
            return str(value)
        return normalise_recipient(value)

    def _defaults(self, raw: Any, timelines: Mapping[str, tuple[Step, ...]]) -> dict[str, Plan]:
        if not isinstance(raw, Mapping):
            self.error("defaults", "must map a flow (e.g. v2.sms) to a timeline name or steps")
            return {}
        defaults = {}
        for flow, value in raw.items():
            where = f"defaults.{flow}"
            if flow not in FLOWS:
                self.error(where, f"{flow!r} is not a flow; expected one of {sorted(FLOWS)}")
                continue
            item = {"timeline": value} if isinstance(value, str) else value
            if not isinstance(item, Mapping):
                self.error(where, "must be a timeline name or {steps: [...]}")
                continue
            steps, timeline = self._resolve(where, item, timelines)
            self._check_vocabulary(f"timelines.{timeline}" if timeline else f"{where}.steps", [flow], steps)
            defaults[flow] = Plan(rule=f"default {flow}", steps=steps)
        return defaults
