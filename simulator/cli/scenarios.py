"""`postman-sim validate FILE` and `postman-sim numbers`: the scenario language from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from simulator import faces
from simulator.app import create_app, sections
from simulator.cli.args import env, positive_int
from simulator.core.models import Plan
from simulator.scenarios import default_scenarios_path
from simulator.scenarios.files import DEFAULT_MAX_BYTES, MAX_BYTES_ENV
from simulator.scenarios.loader import ScenarioError, load_config
from simulator.scenarios.model import FaultSpec, Match, Outcome, Rule, SimConfig
from simulator.scenarios.summary import describe_plan


def register(commands: Any) -> None:
    """Add the subcommands to the CLI's subparsers; each sets `run`."""
    validate = commands.add_parser("validate", help="check a scenarios file: exit 0, or list its errors")
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenarios YAML file(s)")
    add_max_bytes_flag(validate)
    validate.set_defaults(run=validate_command)
    numbers = commands.add_parser("numbers", help="print every magic number and address with its outcome")
    numbers.add_argument("--scenarios", default=default_scenarios_path(),
                         help="scenarios file (POSTMAN_SIM_SCENARIOS)")
    add_max_bytes_flag(numbers)
    numbers.set_defaults(run=numbers_command)


def add_max_bytes_flag(parser: argparse.ArgumentParser) -> None:
    """--scenarios-max-bytes: the cap on a scenarios file, a file it extends and a reload body."""
    parser.add_argument("--scenarios-max-bytes", type=positive_int(MAX_BYTES_ENV),
                        default=env(MAX_BYTES_ENV, str(DEFAULT_MAX_BYTES)), metavar="BYTES",
                        help=f"largest scenarios file, extended file or reload body (POSTMAN_SIM_{MAX_BYTES_ENV}; "
                             f"default {DEFAULT_MAX_BYTES} = 1 MiB)")


def _load(path: str, max_bytes: int) -> SimConfig | int:
    try:
        return load_config(path, max_bytes, flows=faces.flows(), sections=sections())
    except FileNotFoundError:
        print(f"postman-sim: scenarios file not found: {path}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"postman-sim: cannot read scenarios file {path}: {reason}", file=sys.stderr)
        return 2
    except ScenarioError as exc:
        print(f"{path}: {len(exc.problems)} error(s)", file=sys.stderr)
        for problem in exc.details:
            at = f"{path}:{problem.line}:{problem.column}" if problem.line is not None else path
            where = f" {problem.where}:" if problem.where else ""
            print(f"{at}:{where} {problem.message}", file=sys.stderr)
            if problem.hint:
                print(f"    hint: {problem.hint}", file=sys.stderr)
        return 1


def validate_command(args: argparse.Namespace) -> int:
    worst = 0
    for path in args.files:
        config = _load(path, args.scenarios_max_bytes)
        if isinstance(config, int):
            worst = max(worst, config)
            continue
        problem = _face_sections_problem(config)
        if problem is not None:
            print(f"{path}: {problem}", file=sys.stderr)
            worst = max(worst, 1)
            continue
        scenarios = config.scenarios
        print(f"{path}: OK (version {scenarios.version}, {len(scenarios.rules)} rule(s), "
              f"{len(scenarios.defaults)} default(s), {len(config.faults)} fault(s))")
    return worst


def _face_sections_problem(config: SimConfig) -> str | None:
    """The faces read their own sections (v2:, v1:, qlara:, webhooks:) when the app is built: build it."""

    try:
        create_app(config)
    except ValueError as exc:
        return str(exc)
    return None


def numbers_command(args: argparse.Namespace) -> int:
    config = _load(args.scenarios, args.scenarios_max_bytes)
    if isinstance(config, int):
        return config
    print(numbers_text(config))
    return 0


def _keys(match: Match) -> list[str]:
    """What a rule matches on, one line per exact recipient, else its patterns."""
    extra = []
    if match.tenant is not None:
        extra.append(f"tenant {match.tenant}")
    if match.content is not None:
        extra.append(f"content contains {match.content!r}")
    if match.content_regex is not None:
        extra.append(f"content ~ /{match.content_regex.pattern}/")
    patterns = []
    if match.prefix is not None:
        patterns.append(f"{match.prefix}*")
    if match.glob is not None:
        patterns.append(f"glob {match.glob}")
    if match.regex is not None:
        patterns.append(f"regex /{match.regex.pattern}/")
    suffix = f" ({', '.join(extra)})" if extra else ""
    if match.recipients is not None:
        return [f"{r}{' ' + ' '.join(patterns) if patterns else ''}{suffix}" for r in sorted(match.recipients)]
    return [(" ".join(patterns) or "any recipient") + suffix]


def _outcomes(outcome: Outcome | None, plan: Plan) -> list[str]:
    branches = outcome.branches() if outcome is not None else [("", plan)]
    return [f"{how + ': ' if how else ''}{describe_plan(p)}" for how, p in branches]


def _rule_lines(rule: Rule) -> list[tuple[str, list[str], str]]:
    note = f'rule "{rule.name}"' + (" (time window)" if rule.active is not None else "")
    return [(key, _outcomes(rule.outcome, rule.plan), note) for key in _keys(rule.match)]


def numbers_text(config: SimConfig) -> str:
    """Every flow, its rules' numbers and addresses in match order, then its default."""
    scenarios = config.scenarios
    out = []
    for flow in faces.flows():
        face, channel = flow.split(".")
        rows = [row for rule in scenarios.rules_for(face, channel)
                for row in _rule_lines(rule)]
        default = scenarios.defaults.get(flow)
        if default is not None:
            rows.append(("(anything else)", _outcomes(scenarios.outcomes.get(flow), default), "default"))
        if not rows:
            continue
        out.append(f"{flow}")
        width = max(len(key) for key, _, _ in rows)
        for key, outcomes, note in rows:
            out.append(f"  {key:<{width}}  {outcomes[0]}   [{note}]")
            out += [f"  {'':<{width}}  {line}" for line in outcomes[1:]]
        out.append("")
    if config.faults:
        out.append("API faults")
        out += [f"  {_fault_text(fault)}" for fault in config.faults]
    return "\n".join(out).rstrip() or "no rules and no defaults"


def _fault_text(fault: FaultSpec) -> str:
    scope = " ".join(part for part in (
        fault.face, "/".join(sorted(fault.methods)) if fault.methods else None, fault.path,
        f"tenant {fault.tenant}" if fault.tenant else None) if part) or "every request"
    if fault.nth is not None:
        when = f"requests {sorted(fault.nth)}"
    elif fault.first is not None:
        when = f"first {fault.first} request(s)"
    elif fault.every is not None:
        when = f"every {fault.every}th request" + (f", {fault.burst} in a row" if fault.burst > 1 else "")
    elif fault.probability is not None:
        when = f"{fault.probability * 100:g} % of requests"
    else:
        when = "every request"
    window = " (time window)" if fault.active is not None else ""
    return f"{scope}: {fault.kind}, {when}{window}   [fault \"{fault.name}\"]"
