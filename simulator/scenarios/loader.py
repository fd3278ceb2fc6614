"""Read scenarios.yaml into a `SimConfig`, collecting every error with where it is and a hint."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.core.flows import Flows, api_errors_of, channels_of, faces_of, flows_for
from simulator.core.models import ErrorInfo, Plan
from simulator.core.timefmt import parse_iso
from simulator.scenarios import yaml_text
from simulator.scenarios.files import DEFAULT_MAX_BYTES, inside, read_text
from simulator.scenarios.marks import Problem, locate
from simulator.scenarios.model import (
    CustomAnswer,
    Distribution,
    FaultSpec,
    Match,
    Outcome,
    Rule,
    ScenarioSet,
    Sequence,
    SimConfig,
    StepSpec,
    Timeline,
    Weighted,
    Window,
    normalise_recipient,
)
from simulator.scenarios.patterns import Pattern, compile_pattern

SUPPORTED_VERSIONS = (1,)
SCENARIO_KEYS = {"version", "mode", "extends", "timelines", "rules", "defaults", "faults"}
# The default scenarios.yaml, shipped inside the package (a link to the repository's file) so that a
# pip-installed plugin or CLI behaves like `make run` without a file of its own; `extends: default`.
BUNDLED_SCENARIOS = Path(__file__).resolve().parent.parent / "bundled_scenarios.yaml"
MATCH_KEYS = {"face", "channel", "tenant", "recipient", "recipient_prefix", "recipient_glob",
              "recipient_regex", "content", "content_regex"}
STEP_KEYS = {"after", "jitter", "status", "error"}
ERROR_KEYS = {"type", "code", "description", "sub_type"}
OUTCOME_KEYS = {"timeline", "steps", "outcomes", "sequence"}
RULE_KEYS = {"name", "match", "active", "description"} | OUTCOME_KEYS
WEIGHTED_KEYS = {"weight", "name", "timeline", "steps"}
SEQUENCE_KEYS = {"repeat", "name", "timeline", "steps", "outcomes"}
WINDOW_KEYS = {"from", "until", "hours"}
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
FAULT_KEYS = {"name", "description", "match", "error", "respond", "latency", "drop", "timeout", "probability",
              "nth", "first", "every", "burst", "processed", "retry_after", "active"}
FAULT_ERROR_KEYS = {"code"}
RESPOND_KEYS = {"status", "body", "headers"}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
FAULT_MATCH_KEYS = {"face", "method", "path", "tenant"}
FAULT_STATUSES = (429, 500, 502, 503, 504)
LATENCY_KINDS = {"uniform", "normal", "exponential"}
_DURATION = re.compile(r"^\+?\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class ScenarioError(ValueError):
    """A scenarios file that cannot be used; `problems` lists every error found (with line and column)."""

    def __init__(self, problems: list[str], source: str | None = None,
                 details: list[Problem] | None = None) -> None:
        self.problems = problems
        self.source = source
        self.details = details or []
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


def load_config(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, *, flows: Flows,
                sections: Collection[str]) -> SimConfig:
    """Read and parse a scenarios file: a regular file of at most `max_bytes` (OSError otherwise)."""
    return parse_config(read_text(path, max_bytes), source=str(path), max_bytes=max_bytes, flows=flows,
                        sections=sections)


def parse_config(text: str, source: str | None = None, *, flows: Flows, sections: Collection[str],
                 max_bytes: int = DEFAULT_MAX_BYTES) -> SimConfig:
    """Parse scenarios YAML, checking statuses against `flows` (every face's, from the registry) and
    top-level keys against the language's own and `sections` (the faces', webhooks:, report:);
    `extends:` names `default` or a file inside the folder of `source`."""
    data = _load_yaml(text, source)
    _check_top_level(text, data, source, sections)
    if data.get("extends") is not None:
        data = _extend(data, text, source, max_bytes)
    parser = _Parser(flows)
    scenarios = parser.parse(data)
    faults = parser.faults(data.get("faults") or [])
    mode = data.get("mode", "open")
    if mode not in ("open", "strict"):
        parser.error("mode", f"must be 'open' or 'strict', not {mode!r}")
    for key in data:
        known = SCENARIO_KEYS | set(sections)
        if key not in known:
            close = _close_key(key, known)
            guess = f"; did you mean {close!r}?" if close else ""
            parser.error("", f"unknown top-level key [{str(key)!r}]{guess}", f"known: {', '.join(sorted(known))}")
    if parser.problems:
        details = locate(text, parser.problems)
        raise ScenarioError([d.render() for d in details], source, details)
    sections = {k: v for k, v in data.items() if k not in SCENARIO_KEYS}
    return SimConfig(scenarios=scenarios, sections=sections, mode=str(mode), source=source, faults=faults,
                     max_bytes=max_bytes)


def _load_yaml(text: str, source: str | None) -> Mapping[str, Any]:
    try:
        data = yaml_text.load(text)
    except yaml.YAMLError as exc:
        problem = _yaml_problem(exc)
        raise ScenarioError([problem.render()], source, [problem]) from exc
    except RecursionError as exc:  # PyYAML composes recursively: [[[[... a few hundred deep
        problem = Problem("", "not valid YAML: nested too deeply")
        raise ScenarioError([problem.render()], source, [problem]) from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ScenarioError(["the file must hold a mapping at the top level"], source,
                            [Problem("", "the file must hold a mapping at the top level")])
    return data


def _check_top_level(text: str, data: Mapping[str, Any], source: str | None, sections: Collection[str]) -> None:
    """Refuse a file that is not a postman-sim scenarios file at all (e.g. another tool's scenarios.yaml in
    the project folder): no `version:` and none of our keys, not even a misspelt one (those get a did-you-mean).
    Serving it would silently use the defaults."""
    known = SCENARIO_KEYS | set(sections)
    if not data or "version" in data or any(key in known or _close_key(key, known) for key in data):
        return
    found = ", ".join(sorted(map(str, data))[:5])
    message = (f"this is not a postman-sim scenarios file: it has no `version:` and none of postman-sim's "
               f"sections (it has {found}); expected `version: 1` and any of "
               f"{', '.join(sorted((SCENARIO_KEYS - {'version'}) | set(sections)))}")
    hint = "point --scenarios (POSTMAN_SIM_SCENARIOS) or the plugin's --postman-sim-scenarios at your own file"
    problems = locate(text, [("", message, hint)])
    raise ScenarioError([p.render() for p in problems], source, problems)


def merge_scenarios(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` layered over `base`: its rules come first (so they win), its timelines, defaults and
    face-section keys replace same-named ones, everything else of the base stays."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if key == "rules":
            merged[key] = [*(value or []), *(old or [])]
        elif isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = {**old, **value}
        else:
            merged[key] = value
    return merged


_EXTENDS_HINT = "use `extends: default` or the name of a scenarios file in the same folder as this one"


def _extend(data: Mapping[str, Any], text: str, source: str | None, max_bytes: int) -> Mapping[str, Any]:
    """`extends: default` (the bundled file) or `extends: other.yaml` (in this file's folder): layer over it.
    Errors name the file as written with the line and column of `extends:`, never its content or where
    it resolved to; a path outside the folder and a missing one get the same message."""
    value = data["extends"]
    name = value if isinstance(value, str) else "?"

    def refuse(reason: str) -> ScenarioError:
        problems = locate(text, [("extends", f"cannot read {name!r}: {reason}", _EXTENDS_HINT)])
        return ScenarioError([p.render() for p in problems], source, problems)

    if not isinstance(value, str):  # a list or mapping is no file name (and its repr is not an error message)
        problems = locate(text, [("extends", "must be `default` or a file name (a string)", _EXTENDS_HINT)])
        raise ScenarioError([p.render() for p in problems], source, problems)
    if name == "default":
        path: Path | None = BUNDLED_SCENARIOS
    elif source is None:
        raise refuse("this text comes from no file, so it can only extend `default`")
    else:
        path = inside(Path(source).parent, name)
    if path is None:
        raise refuse("there is no such file in the folder of this scenarios file")
    if name != "default" and not name.lower().endswith((".yaml", ".yml")):
        raise refuse("only a .yaml or .yml scenarios file can be extended")  # never code or data beside it
    try:
        base = yaml_text.load(read_text(path, max_bytes)) or {}
    except OSError as exc:
        raise refuse(str(exc) if exc.strerror is None else exc.strerror.lower()) from exc
    except UnicodeDecodeError as exc:
        raise refuse("it is not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        problem = _yaml_problem(exc, redact=True)
        at = f"line {problem.line}, column {problem.column}: " if problem.line is not None else ""
        raise refuse(f"{at}{problem.message}") from exc
    except RecursionError as exc:
        raise refuse("not valid YAML: nested too deeply") from exc
    if not isinstance(base, Mapping) or base.get("extends") is not None:
        problems = locate(text, [("extends", f"{name!r} must be a scenarios file that extends nothing itself",
                                  _EXTENDS_HINT)])
        raise ScenarioError([p.render() for p in problems], source, problems)
    return merge_scenarios(base, {k: v for k, v in data.items() if k != "extends"})


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _yaml_problem(exc: yaml.YAMLError, redact: bool = False) -> Problem:
    """What PyYAML found and where, without its snippet of the offending lines. `redact` also drops the
    quoted text PyYAML puts in some reasons (a tag, an alias, a character) for files whose content must
    not be shown."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    text = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    context = getattr(exc, "context", None)
    hint = None
    if "\t" in text or "tab" in text:
        hint = "indent with spaces: YAML does not allow tabs"
    elif "mapping values are not allowed" in text:
        hint = "quote a value that contains ': ' or put a space after the key's colon"
    elif "found character '%' " in text or "found character '@'" in text or "found character '`'" in text:
        hint = "quote values that start with %, @ or `"
    message = f"not valid YAML: {context + ', ' if context else ''}{text}"
    opened = getattr(exc, "context_mark", None)
    if context and context.startswith("while parsing a flow") and opened is not None and mark is not None \
            and opened.line != mark.line:
        # An unclosed { or [ is only noticed lines later: point at where it was opened, and say both.
        bracket = "{" if "mapping" in context else "["
        message = (f"not valid YAML: the {bracket} opened here is not closed (found at line {mark.line + 1}, "
                   f"column {mark.column + 1}: {text})")
        hint = hint or f"close the {bracket} on the line it opens, or write the block as indented lines"
        mark = opened
    if redact:
        message = _QUOTED.sub("'...'", message)
    if mark is None:
        return Problem("", message, hint=hint)
    return Problem("", message, line=mark.line + 1, column=mark.column + 1, hint=hint)


def duration(value: Any) -> float | None:
    """Seconds from a number or a string such as "500ms", "+30s", "10m", "1.5h"; None if neither, or if the number
    is not finite (YAML's .inf and .nan: a step that never falls due, or a latency that never ends, is a mistake)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        found = _DURATION.match(value.strip())
        if found:
            return float(found.group(1)) * _UNITS[found.group(2)]
    return None


def _close_key(key: Any, known: Collection[str]) -> str | None:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(unknown: set[Any], known: set[str]) -> str:
    hints = []
    for key in sorted(map(str, unknown)):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            hints.append(f"{key!r} -> {close[0]!r}?")
    return f" (did you mean {', '.join(hints)})" if hints else ""


class _Parser:
    def __init__(self, flows: Flows) -> None:
        self.problems: list[tuple[str, str, str | None]] = []
        self.flows = flows
        self.faces, self.channels = faces_of(flows), channels_of(flows)

    def flows_for(self, face: str | None, channel: str | None) -> list[str]:
        return flows_for(self.flows, face, channel)

    def error(self, where: str, text: str, hint: str | None = None) -> None:
        self.problems.append((where, text, hint))

    def unknown(self, where: str, raw: Mapping[str, Any], known: set[str], what: str) -> None:
        extra = set(raw) - known
        if extra:
            self.error(where, f"unknown key(s) {sorted(map(str, extra))}{_did_you_mean(extra, known)}; "
                       f"{what} has {', '.join(sorted(known))}")

    def parse(self, data: Mapping[str, Any]) -> ScenarioSet:
        version = data.get("version", 1)
        if version not in SUPPORTED_VERSIONS:
            self.error("version", f"unsupported version {version!r} (this simulator reads {SUPPORTED_VERSIONS})")
        timelines = self._timelines(data.get("timelines") or {})
        rules = tuple(self._rules(data.get("rules") or [], timelines))
        defaults, outcomes = self._defaults(data.get("defaults") or {}, timelines)
        steps = {name: spec.plan.steps for name, spec in timelines.items()}
        return ScenarioSet(rules=rules, defaults=defaults, timelines=steps, outcomes=outcomes,
                           version=version if isinstance(version, int) else 1)

    # -- timelines and steps --------------------------------------------------------------------

    def _timelines(self, raw: Any) -> dict[str, Timeline]:
        if not isinstance(raw, Mapping):
            self.error("timelines", "must be a mapping of name to a list of steps")
            return {}
        return {str(name): Timeline(str(name), self._steps(f"timelines.{name}", steps))
                for name, steps in raw.items()}

    def _seconds(self, where: str, value: Any, default: float = 0.0) -> float:
        seconds = duration(value)
        if seconds is None or seconds < 0:
            self.error(where, f"must be seconds >= 0 (a number, or a string like \"500ms\", \"30s\", \"5m\"), "
                       f"not {value!r}")
            return default
        return seconds

    def _steps(self, where: str, raw: Any) -> tuple[StepSpec, ...]:
        if not isinstance(raw, list):
            self.error(where, "must be a list of steps like {after: 1, status: sent}")
            return ()
        steps = []
        for i, item in enumerate(raw):
            at = f"{where}[{i}]"
            if not isinstance(item, Mapping):
                self.error(at, "a step must be a mapping like {after: 1, status: sent}")
                continue
            self.unknown(at, item, STEP_KEYS, "a step")
            after = self._seconds(f"{at}.after", item.get("after", 0))
            jitter = self._seconds(f"{at}.jitter", item.get("jitter", 0))
            status = item.get("status")
            if not isinstance(status, str):
                self.error(f"{at}.status", "is required and must be a string")
                continue
            steps.append(StepSpec(after=after, status=status, error=self._error(f"{at}.error", item.get("error")),
                                  jitter=jitter))
        return tuple(steps)

    def _error(self, where: str, raw: Any) -> ErrorInfo | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or "code" not in raw:
            self.error(where, "must be a mapping with a code, e.g. {type: delivery_error, code: routing_error}")
            return None
        self.unknown(where, raw, ERROR_KEYS, "an error")
        values = {k: (None if raw.get(k) is None else str(raw[k])) for k in ("type", "description", "sub_type")}
        return ErrorInfo(code=str(raw["code"]), **values)

    # -- outcomes: a timeline, a weighted draw or a per-recipient sequence ----------------------------

    def _outcome(self, where: str, item: Mapping[str, Any], timelines: Mapping[str, Timeline], label: str,
                 leaves: list[tuple[str, Timeline]], allowed: set[str] = OUTCOME_KEYS) -> Outcome | None:
        kinds = [k for k in ("timeline", "steps", "outcomes", "sequence") if k in allowed]
        given = [k for k in kinds if k in item]
        if len(given) > 1:
            self.error(where, f"give only one of {', '.join(given)}")
        if not given:
            self.error(where, f"needs an outcome: {' or '.join(kinds)} (timeline: a name under timelines:)")
            return None
        kind = given[0]
        if kind == "timeline":
            name = str(item["timeline"])
            if name not in timelines:
                self.error(f"{where}.timeline", f"no timeline named {name!r}; known: {sorted(timelines)}")
                return None
            found = Timeline(label, timelines[name].specs)
            leaves.append((f"timelines.{name}", found))
            return found
        if kind == "steps":
            found = Timeline(label, self._steps(f"{where}.steps", item["steps"]))
            leaves.append((f"{where}.steps", found))
            return found
        if kind == "outcomes":
            return self._weighted(f"{where}.outcomes", item["outcomes"], timelines, label, leaves)
        return self._sequence(f"{where}.sequence", item["sequence"], timelines, label, leaves)

    def _weighted(self, where: str, raw: Any, timelines: Mapping[str, Timeline], label: str,
                  leaves: list[tuple[str, Timeline]]) -> Outcome | None:
        if not isinstance(raw, list) or not raw:
            self.error(where, "must be a non-empty list like [{weight: 95, timeline: ok}, {weight: 5, steps: [...]}]")
            return None
        choices = []
        for i, entry in enumerate(raw):
            at = f"{where}[{i}]"
            if not isinstance(entry, Mapping):
                self.error(at, "must be a mapping like {weight: 95, timeline: v2.delivered}")
                continue
            self.unknown(at, entry, WEIGHTED_KEYS, "a weighted outcome")
            weight = entry.get("weight")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight < math.inf:
                self.error(f"{at}.weight", f"must be a number > 0 (e.g. 95 for 95 %), not {weight!r}")
                continue
            name = str(entry.get("name") or f"outcome {i + 1}")
            outcome = self._outcome(at, entry, timelines, f"{label} / {name}", leaves, {"timeline", "steps"})
            if outcome is not None:
                choices.append((float(weight), outcome))
        return Weighted(label, tuple(choices)) if choices else None

    def _sequence(self, where: str, raw: Any, timelines: Mapping[str, Timeline], label: str,
                  leaves: list[tuple[str, Timeline]]) -> Outcome | None:
        if not isinstance(raw, list) or not raw:
            self.error(where, "must be a non-empty list like [{repeat: 2, timeline: fails}, {timeline: ok}]")
            return None
        entries = []
        first = 1
        for i, entry in enumerate(raw):
            at = f"{where}[{i}]"
            if not isinstance(entry, Mapping):
                self.error(at, "must be a mapping like {repeat: 2, timeline: v2.server_error}")
                continue
            self.unknown(at, entry, SEQUENCE_KEYS, "a sequence entry")
            repeat = entry.get("repeat", 1)
            if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
                self.error(f"{at}.repeat", f"must be a whole number of sends >= 1, not {repeat!r}")
                repeat = 1
            span = f"send {first}" if repeat == 1 else f"sends {first}-{first + repeat - 1}"
            if i == len(raw) - 1:
                span = f"send {first}+"
            name = str(entry.get("name") or span)
            outcome = self._outcome(at, entry, timelines, f"{label} / {name}", leaves,
                                    {"timeline", "steps", "outcomes"})
            if outcome is not None:
                entries.append((repeat, outcome))
            first += repeat
        return Sequence(label, where, tuple(entries)) if entries else None

    def _check_vocabulary(self, flows: list[str], leaves: list[tuple[str, Timeline]]) -> None:
        seen: set[tuple[str, str]] = set()
        for where, leaf in leaves:
            for flow in flows:
                if (where, flow) in seen:
                    continue
                seen.add((where, flow))
                self._check_steps(where, flow, leaf.specs)

    def _check_steps(self, where: str, flow: str, steps: tuple[StepSpec, ...]) -> None:
        vocab = self.flows[flow]
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

    @staticmethod
    def _static(outcome: Outcome | None, label: str) -> tuple[Plan, Outcome | None]:
        """The plan to keep on the rule, and the outcome only when it varies per message."""
        if outcome is None:
            return Plan(rule=label, steps=()), None
        if isinstance(outcome, Timeline) and not outcome.jittered:
            return outcome.plan, None
        return outcome.branches()[0][1], outcome

    # -- rules and defaults ---------------------------------------------------------------------

    def _rules(self, raw: Any, timelines: Mapping[str, Timeline]) -> list[Rule]:
        if not isinstance(raw, list):
            self.error("rules", "must be a list")
            return []
        rules = []
        for i, item in enumerate(raw):
            where = f"rules[{i}]"
            if not isinstance(item, Mapping):
                self.error(where, "a rule must be a mapping with name, match and timeline/steps")
                continue
            # Other keys are left to faces that extend rules; only misspelt known keys are errors.
            misspelt = {k for k in set(item) - RULE_KEYS if difflib.get_close_matches(str(k), RULE_KEYS, 1, 0.6)}
            if misspelt:
                self.unknown(where, {k: None for k in misspelt}, RULE_KEYS, "a rule")
            name = str(item.get("name") or where)
            match = self._match(f"{where}.match", item.get("match") or {})
            leaves: list[tuple[str, Timeline]] = []
            outcome = self._outcome(where, item, timelines, name, leaves)
            # A rule without a face applies to every flow of its channel (or to all flows), so its
            # steps must be valid in each: e.g. {channel: whatsapp} with SENT, DELIVERED (v1 and Qlara).
            before = len(self.problems)
            self._check_vocabulary(self.flows_for(match.face, match.channel), leaves)
            if match.face is None and len(self.problems) > before:
                self.problems[before:] = [(w, t, h or "this rule names no face, so it applies to "
                                           f"{', '.join(self.flows_for(None, match.channel))}; add face: to "
                                           "restrict it") for w, t, h in self.problems[before:]]
            plan, dynamic = self._static(outcome, name)
            timeline = str(item["timeline"]) if "timeline" in item else None
            active = self._window(f"{where}.active", item["active"]) if "active" in item else None
            rules.append(Rule(name=name, match=match, plan=plan, timeline=timeline, outcome=dynamic, active=active))
        return rules

    def _match(self, where: str, raw: Any) -> Match:
        if not isinstance(raw, Mapping):
            self.error(where, "must be a mapping")
            return Match()
        self.unknown(where, raw, MATCH_KEYS, "match")
        face, channel = raw.get("face"), raw.get("channel")
        if face is not None and face not in self.faces:
            self.error(f"{where}.face", f"{face!r} is not a face; expected one of {sorted(self.faces)}")
        if channel is not None and channel not in self.channels:
            self.error(f"{where}.channel", f"{channel!r} is not a channel; expected one of {sorted(self.channels)}")
        if face in self.faces and channel in self.channels and not self.flows_for(face, channel):
            self.error(where, f"the {face} face has no {channel} channel")
        recipients = None
        if "recipient" in raw:
            values = raw["recipient"] if isinstance(raw["recipient"], list) else [raw["recipient"]]
            at = [f"{where}.recipient[{i}]" for i in range(len(values))] if isinstance(raw["recipient"], list) \
                else [f"{where}.recipient"]
            recipients = frozenset(self._recipient(w, v) for w, v in zip(at, values, strict=True))
        prefix = self._optional_recipient(where, raw, "recipient_prefix")
        glob = self._optional_recipient(where, raw, "recipient_glob")
        regex = self._regex(where, "recipient_regex", raw.get("recipient_regex"))
        content_regex = self._regex(where, "content_regex", raw.get("content_regex"))
        content = raw.get("content")
        return Match(
            face=face if isinstance(face, str) else None,
            channel=channel if isinstance(channel, str) else None,
            tenant=None if raw.get("tenant") is None else str(raw["tenant"]),
            recipients=recipients, prefix=prefix, glob=glob, regex=regex,
            content=None if content is None else str(content), content_regex=content_regex,
        )

    def _regex(self, where: str, key: str, value: Any) -> Pattern | None:
        if value is None:
            return None
        try:
            return compile_pattern(key, str(value))
        except ValueError as exc:
            self.error(f"{where}.{key}", str(exc))
            return None

    def _optional_recipient(self, where: str, raw: Mapping[str, Any], key: str) -> str | None:
        return None if raw.get(key) is None else self._recipient(f"{where}.{key}", raw[key])

    def _recipient(self, where: str, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            self.error(where, f"quote this value: YAML reads this phone number as the integer {value}",
                       f"quote this phone number: YAML reads +{value} as an integer; write \"+{value}\"")
            return str(value)
        if isinstance(value, bool) or not isinstance(value, str):
            self.error(where, f"quote this value: YAML reads it as a {type(value).__name__} ({value!r}), "
                       "not a string",
                       "quote it: a phone number like +6591234567 must be written \"+6591234567\"")
            return str(value)
        return normalise_recipient(value)

    def _window(self, where: str, raw: Any) -> Window | None:
        if not isinstance(raw, Mapping) or not raw:
            self.error(where, "must be a mapping like {from: +0s, until: +10m} (offsets from the scenario start) "
                       "or {from: \"2026-01-01T09:00:00+08:00\"}")
            return None
        self.unknown(where, raw, WINDOW_KEYS, "a window")
        values: dict[str, float | None] = {"start": None, "until": None, "start_at": None, "until_at": None}
        hours = self._hours(f"{where}.hours", raw["hours"]) if "hours" in raw else None
        for key, rel, absolute in (("from", "start", "start_at"), ("until", "until", "until_at")):
            value = raw.get(key)
            if value is None:
                continue
            if isinstance(value, dt.datetime | dt.date):
                stamp = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
                if stamp.tzinfo is None:
                    stamp = stamp.replace(tzinfo=dt.UTC)
                values[absolute] = stamp.timestamp()
                continue
            seconds = duration(value)
            if seconds is not None:
                values[rel] = seconds
                continue
            try:
                values[absolute] = parse_iso(str(value))
            except ValueError:
                self.error(f"{where}.{key}", f"must be an offset like +0s, +10m (from the scenario start) or an "
                           f"ISO 8601 time, not {value!r}")
        return Window(**values, hours=hours)

    def _hours(self, where: str, value: Any) -> tuple[float, float] | None:
        found = _HOURS.match(value) if isinstance(value, str) else None
        if found:
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            if h1 <= 24 and h2 <= 24 and m1 < 60 and m2 < 60:
                return float(h1 * 3600 + m1 * 60), float(h2 * 3600 + m2 * 60)
        self.error(where, f"must be a daily range of Singapore time like \"08:00-10:00\", not {value!r}",
                   "quote it: YAML reads an unquoted 08:00 as the number 480")
        return None

    def _defaults(self, raw: Any, timelines: Mapping[str, Timeline]) -> tuple[dict[str, Plan], dict[str, Outcome]]:
        if not isinstance(raw, Mapping):
            self.error("defaults", "must map a flow (e.g. v2.sms) to a timeline name or steps")
            return {}, {}
        defaults: dict[str, Plan] = {}
        outcomes: dict[str, Outcome] = {}
        for flow, value in raw.items():
            where = f"defaults.{flow}"
            if flow not in self.flows:
                self.error(where, f"{flow!r} is not a flow; expected one of {sorted(self.flows)}")
                continue
            item = {"timeline": value} if isinstance(value, str) else value
            if not isinstance(item, Mapping):
                self.error(where, "must be a timeline name or {steps: [...]}, {outcomes: [...]}, {sequence: [...]}")
                continue
            self.unknown(where, item, OUTCOME_KEYS, "a default")
            leaves: list[tuple[str, Timeline]] = []
            outcome = self._outcome(where, item, timelines, f"default {flow}", leaves)
            self._check_vocabulary([flow], leaves)
            plan, dynamic = self._static(outcome, f"default {flow}")
            defaults[flow] = plan
            if dynamic is not None:
                outcomes[flow] = dynamic
        return defaults, outcomes

    # -- API-level faults -----------------------------------------------------------------------

    def faults(self, raw: Any) -> tuple[FaultSpec, ...]:
        if not isinstance(raw, list):
            self.error("faults", "must be a list of faults like {match: {face: v2}, error: 503, probability: 0.1}")
            return ()
        found = []
        for i, item in enumerate(raw):
            where = f"faults[{i}]"
            if not isinstance(item, Mapping):
                self.error(where, "a fault must be a mapping like {match: {face: v2}, error: 503, probability: 0.1}")
                continue
            self.unknown(where, item, FAULT_KEYS, "a fault")
            spec = self._fault(where, item)
            if spec is not None:
                found.append(spec)
        return tuple(found)

    def _fault(self, where: str, item: Mapping[str, Any]) -> FaultSpec | None:
        match = item.get("match") or {}
        if not isinstance(match, Mapping):
            self.error(f"{where}.match", "must be a mapping like {face: v2, method: POST, path: /api/v2/*}")
            match = {}
        self.unknown(f"{where}.match", match, FAULT_MATCH_KEYS, "a fault's match")
        face = match.get("face")
        if face is not None and face not in self.faces:
            self.error(f"{where}.match.face", f"{face!r} is not a face; expected one of {sorted(self.faces)}")
        methods = match.get("method")
        method_set = None
        if methods is not None:
            listed = methods if isinstance(methods, list) else [methods]
            method_set = frozenset(str(m).upper() for m in listed)
        status, code = self._fault_error(f"{where}.error", item.get("error"), face if face in self.faces else None)
        respond = self._respond(f"{where}.respond", item["respond"]) if "respond" in item else None
        if respond is not None:
            status = respond.status
        latency = self._latency(f"{where}.latency", item["latency"]) if "latency" in item else None
        drop = item.get("drop", False)
        if not isinstance(drop, bool):
            self.error(f"{where}.drop", "must be true or false")
            drop = False
        timeout = self._seconds(f"{where}.timeout", item["timeout"]) if "timeout" in item else None
        effects = [k for k in ("error", "respond", "drop", "timeout") if item.get(k) not in (None, False)]
        if len(effects) > 1:
            self.error(where, f"give only one of {', '.join(effects)} (latency may go with any of them)")
        if not effects and "latency" not in item:
            self.error(where, "needs an effect: error (an HTTP status or {code: <documented error>}), respond, "
                       "latency, drop: true or timeout")
        schedule = [k for k in ("probability", "nth", "first", "every") if k in item]
        if len(schedule) > 1:
            self.error(where, f"give only one schedule of {', '.join(schedule)}")
        probability = item.get("probability")
        if probability is not None and (isinstance(probability, bool) or not isinstance(probability, int | float)
                                        or not 0 <= probability <= 1):
            self.error(f"{where}.probability", f"must be a number from 0 to 1 (0.05 = 5 %), not {probability!r}")
            probability = None
        nth = item.get("nth")
        nth_set = None
        if nth is not None:
            listed = nth if isinstance(nth, list) else [nth]
            if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in listed):
                self.error(f"{where}.nth", f"must be request numbers counted from 1, e.g. [1, 2, 5], not {nth!r}")
            else:
                nth_set = frozenset(listed)
        first = self._count(f"{where}.first", item.get("first"))
        every = self._count(f"{where}.every", item.get("every"))
        burst = self._count(f"{where}.burst", item.get("burst", 1)) or 1
        if every is not None and burst > every:
            self.error(f"{where}.burst", f"must not exceed every ({every})")
        if "burst" in item and every is None:
            self.error(f"{where}.burst", "goes with every: (every: 10, burst: 3 = requests 10-12, 20-22, ...)")
        retry_after = self._count(f"{where}.retry_after", item.get("retry_after"))
        processed = item.get("processed", False)
        if not isinstance(processed, bool):
            self.error(f"{where}.processed", "must be true or false")
            processed = False
        active = self._window(f"{where}.active", item["active"]) if "active" in item else None
        return FaultSpec(
            name=str(item.get("name") or where), face=face if isinstance(face, str) else None, methods=method_set,
            path=None if match.get("path") is None else str(match["path"]),
            tenant=None if match.get("tenant") is None else str(match["tenant"]),
            status=status, error_code=code, respond=respond, latency=latency, drop=drop, timeout=timeout,
            probability=None if probability is None else float(probability), nth=nth_set, first=first,
            every=every, burst=burst, processed=processed, retry_after=retry_after, active=active,
        )

    def _fault_error(self, where: str, raw: Any, face: str | None) -> tuple[int | None, str | None]:
        """`error: 503` (a status in the face's shape) or `error: {code: invalid_ip_address_used}` (one of the
        face's documented errors, whose status and message the face's table gives): (status, code)."""
        if raw is None:
            return None, None
        if not isinstance(raw, Mapping):
            if raw not in FAULT_STATUSES or isinstance(raw, bool):
                self.error(where, f"must be one of the HTTP statuses {list(FAULT_STATUSES)} or {{code: <a documented "
                           f"error of the face>}}, not {raw!r}")
                return None, None
            return int(raw), None
        self.unknown(where, raw, FAULT_ERROR_KEYS, "a fault's error")
        code = raw.get("code")
        if not isinstance(code, str) or not code:
            self.error(f"{where}.code", f"must be the code of one of the face's documented errors, not {code!r}")
            return None, None
        if face is None:
            self.error(where, "a documented error needs the face it belongs to: add match: {face: ...}")
            return None, None
        documented = api_errors_of(self.flows, face)
        entry = documented.get(code)
        if entry is None:
            close = difflib.get_close_matches(code, documented, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = f"one of {sorted(documented)}" if documented else "none: this face declares no documented errors"
            self.error(f"{where}.code", f"{code!r} is not a documented {face} error{hint}",
                       f"{face} documents {known}; respond: {{status, body}} answers anything else")
            return None, None
        return entry.status, code

    def _respond(self, where: str, raw: Any) -> CustomAnswer | None:
        """`respond: {status: 418, body: {...} | "text", headers: {...}}`: an answer exactly as written."""
        if not isinstance(raw, Mapping):
            self.error(where, "must be a mapping like {status: 418, body: {error: teapot}, headers: {X-A: b}}")
            return None
        self.unknown(where, raw, RESPOND_KEYS, "a fault's respond")
        status = raw.get("status")
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            self.error(f"{where}.status", f"must be an HTTP status from 200 to 599, not {status!r}")
            return None
        body = raw.get("body", "")
        if isinstance(body, Mapping | list):
            text, content_type = json.dumps(body, ensure_ascii=False, default=str), "application/json"
        elif isinstance(body, str):
            text, content_type = body, "text/plain"
        else:
            self.error(f"{where}.body", f"must be a mapping, a list or a string, not {type(body).__name__}")
            return None
        headers = raw.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(
                isinstance(k, str) and _HEADER_NAME.match(k) and isinstance(v, str | int | float)
                and not isinstance(v, bool)
                and "\n" not in str(v) and "\r" not in str(v) for k, v in headers.items()):
            self.error(f"{where}.headers", "must map header names to single-line strings or numbers")
            return None
        return CustomAnswer(status, text, content_type, tuple((k, str(v)) for k, v in headers.items()))

    def _count(self, where: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error(where, f"must be a whole number >= 1, not {value!r}")
            return None
        return value

    def _latency(self, where: str, raw: Any) -> Distribution | None:
        fixed = duration(raw)
        if fixed is not None and fixed >= 0:
            return Distribution("fixed", fixed)
        if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in LATENCY_KINDS:
            self.error(where, "must be seconds (2, \"500ms\") or one of {uniform: [0.5, 2]}, "
                       "{normal: {mean: 1, stddev: 0.2}}, {exponential: {mean: 1}}")
            return None
        kind, value = next(iter(raw.items()))
        if kind == "uniform":
            if not isinstance(value, list) or len(value) != 2:
                self.error(f"{where}.uniform", "must be [low, high] in seconds")
                return None
            low, high = (self._seconds(f"{where}.uniform[{i}]", v) for i, v in enumerate(value))
            if high < low:
                self.error(f"{where}.uniform", "must be [low, high] with low <= high")
            return Distribution("uniform", low, high)
        if not isinstance(value, Mapping) or "mean" not in value:
            self.error(f"{where}.{kind}", "needs a mean (and for normal a stddev), in seconds")
            return None
        mean = self._seconds(f"{where}.{kind}.mean", value["mean"])
        spread = self._seconds(f"{where}.{kind}.stddev", value.get("stddev", 0)) if kind == "normal" else 0.0
        return Distribution(kind, mean, spread)
