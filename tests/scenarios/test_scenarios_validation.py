"""Validation: errors with line, column and hint; `postman-sim validate` and `numbers`; the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from simulator import ScenarioError, faces, parse_config
from simulator.cli import main
from simulator.scenarios import loader
from simulator.scenarios.schema import build_schema, schema_text
from tests.conftest import ROOT
from tests.scenarios.helpers import PACKS

BROKEN = """\
version: 1
timelines:
  ok:
    - {after: 1, status: success}
rules:
  - name: unquoted phone
    match: {face: v2, recipient: +6591234567}
    timeline: ok
  - name: wrong status
    match: {face: v2}
    steps:
      - {after: 1, status: delivered}
  - name: typo
    match: {face: v2}
    timline: ok
"""


def problems_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_config(text)
    return caught.value


def test_errors_carry_line_column_and_hint_in_file_order() -> None:
    error = problems_of(BROKEN)
    found = [(p.line, p.column, p.where) for p in error.details]
    assert (7, 34, "rules[0].match.recipient") in found
    assert (12, 28, "rules[1].steps[0].status") in found
    assert any(line == 15 and where == "rules[2]" for line, _, where in found)
    assert [p.line for p in error.details] == sorted(p.line or 0 for p in error.details)
    phone = next(p for p in error.details if p.where == "rules[0].match.recipient")
    assert phone.hint == 'quote this phone number: YAML reads +6591234567 as an integer; write "+6591234567"'
    status = next(p for p in error.details if p.line == 12)
    assert "'delivered' is not a v2.sms status" in status.message and "success" in status.message
    typo = next(p for p in error.details if p.line == 15)
    assert "did you mean 'timline' -> 'timeline'?" in typo.message
    assert error.problems[0].startswith("line 7, column 34: rules[0].match.recipient:")


def test_yaml_syntax_error_has_its_line() -> None:
    error = problems_of("version: 1\nrules:\n  - name: a\n\tmatch: {}\n")
    assert error.details[0].line == 4
    assert "not valid YAML" in error.details[0].message


def test_errors_inside_timelines_with_dotted_names_point_at_the_step() -> None:
    error = problems_of("""\
timelines:
  v2.slow:
    - {after: 1, status: sent}
    - {after: soon, status: success}
defaults:
  v2.sms: v2.slow
""")
    assert [(p.line, p.where) for p in error.details] == [(4, "timelines.v2.slow[1].after")]


def test_fault_errors_are_checked() -> None:
    error = problems_of("""\
faults:
  - {match: {face: v2}, error: 418}
  - {match: {face: v2}, error: 500, drop: true}
  - {match: {face: v2}, latency: {gamma: 1}}
  - {match: {face: v2}, error: 500, probability: 2}
  - {match: {face: v2}, error: 500, every: 2, burst: 3}
""")
    assert [p.line for p in error.details] == [2, 3, 4, 5, 6]


def test_unknown_top_level_key_close_to_a_known_one() -> None:
    error = problems_of("rule:\n  - {match: {face: v2}, steps: []}\n")
    assert error.details[0].line == 1
    assert "did you mean 'rules'" in error.details[0].message


def test_the_current_format_still_loads_unchanged() -> None:
    config = parse_config((ROOT / "scenarios.yaml").read_text(encoding="utf-8"))
    assert config.section("v2")["campaigns"]
    assert len(config.scenarios.rules) >= 8


def test_validate_command_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\n", encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:7:34: rules[0].match.recipient:" in err
    assert "    hint: quote this phone number" in err
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2


def test_numbers_command_lists_every_magic_number_with_its_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["numbers", "--scenarios", str(ROOT / "scenarios.yaml")]) == 0
    out = capsys.readouterr().out
    v2_section = out.split("v2.sms\n", 1)[1].split("\n\n", 1)[0]
    lines = {line.split()[0]: line for line in v2_section.splitlines() if line.startswith("  65")}
    assert "failure delivery_error/recipient_invalid" in lines["6511111111"]
    assert "failure server_error/server_unknown_error" in lines["6522222222"]
    assert "(anything else)  success" in v2_section
    assert "ERROR 30005" in out.split("v1.sms\n", 1)[1]  # every flow of the file is listed


def test_numbers_shows_weights_and_sequences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["numbers", "--scenarios", str(ROOT / "scenarios" / "flaky-then-recovery.yaml")]) == 0
    out = capsys.readouterr().out
    assert "sends 1-2: failure server_error/server_unknown_error" in out
    assert "send 3+: success" in out
    assert main(["numbers", "--scenarios", str(ROOT / "scenarios" / "email-bounce-storm.yaml")]) == 0
    out = capsys.readouterr().out
    assert "bounce@simulator.amazonses.com" in out and "40%: BOUNCED Hard bounce/General" in out
    assert main(["numbers", "--scenarios", str(ROOT / "scenarios" / "rate-limit-pressure.yaml")]) == 0
    out = capsys.readouterr().out
    assert "v2 POST: http_429, every 10th request, 3 in a row" in out
    assert "qlara: http_429, requests [3, 4]" in out


def test_validate_takes_several_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *map(str, PACKS)]) == 0
    assert capsys.readouterr().out.count(": OK") == len(PACKS)


def test_published_schema_is_up_to_date() -> None:
    published = (ROOT / "scenarios.schema.json").read_text(encoding="utf-8")
    assert published == schema_text(faces.flows()), "run: python -m simulator.scenarios.schema > scenarios.schema.json"


def test_schema_keys_are_the_loader_keys() -> None:
    defs = build_schema(faces.flows())["$defs"]
    assert set(defs["rule"]["properties"]) == loader.RULE_KEYS
    assert set(defs["match"]["properties"]) == loader.MATCH_KEYS
    assert set(defs["step"]["properties"]) == loader.STEP_KEYS
    assert set(defs["fault"]["properties"]) == loader.FAULT_KEYS
    assert set(defs["fault"]["properties"]["match"]["properties"]) == loader.FAULT_MATCH_KEYS
    assert set(build_schema(faces.flows())["properties"]) == loader.SCENARIO_KEYS


@pytest.mark.parametrize("path", [ROOT / "scenarios.yaml", *PACKS], ids=lambda p: p.name)
def test_every_shipped_file_passes_both_the_schema_and_the_loader(path: Path) -> None:
    schema = json.loads((ROOT / "scenarios.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    parse_config(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "rules:\n  - {match: {face: v2, recipient: 6591234567}, timeline: x}\n",
    "rules:\n  - {match: {face: v2}, timline: x}\n",
    "defaults:\n  v9.sms: x\n",
    "faults:\n  - {match: {face: v2}, error: 418}\n",
    "timelines:\n  x: [{after: soon, status: sent}]\n",
])
def test_schema_and_loader_reject_the_same_mistakes(text: str) -> None:
    schema = build_schema(faces.flows())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), schema)
    with pytest.raises(ScenarioError):
        parse_config(text)


def test_rules_may_carry_keys_for_faces_but_misspelt_known_keys_are_errors() -> None:
    config = parse_config("rules:\n  - {match: {face: v2}, steps: [], webhook_delay: 5}\n")
    assert config.scenarios.rules[0].name == "rules[0]"
    error = problems_of("rules:\n  - {match: {face: v2}, steps: [], actve: {from: +1m}}\n")
    assert "did you mean 'actve' -> 'active'?" in error.details[0].message


def test_durations_are_shown_in_the_largest_whole_unit() -> None:
    from simulator.scenarios.summary import seconds_text

    assert [seconds_text(s) for s in (6, 1.5, 180, 2_592_000.5, 172_800, 90, 7200)] == [
        "6s", "1.5s", "3m", "30d", "2d", "90s", "2h"]


def test_validate_says_so_in_one_line_when_a_file_cannot_be_read(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes(b"version: 1\n# caf\xe9\n")
    for path in (tmp_path, binary):
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"postman-sim: cannot read scenarios file {path}") and "Traceback" not in err


def test_validate_checks_the_face_sections_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad-sections.yaml"
    bad.write_text("version: 1\nwebhooks:\n  subscriptions: [{url: 'ftp://x', format: bogus}]\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: ") and "bogus" in err
    campaign = tmp_path / "bad-campaign.yaml"
    campaign.write_text("version: 1\nv2:\n  campaigns: [{id: 5}]\n", encoding="utf-8")
    assert main(["validate", str(campaign)]) == 1
    assert "campaign_<uuid>" in capsys.readouterr().err


def test_infinite_or_not_a_number_durations_and_weights_are_errors() -> None:
    """YAML reads .inf and .nan as numbers: a step that never falls due broke the clock's view (a 500 from
    /_sim/clock), a latency of .inf would never answer, and such weights make the draw meaningless."""
    error = problems_of("""\
rules:
  - name: never
    match: {face: v2}
    steps:
      - {after: .inf, status: sent}
      - {after: .nan, status: success}
faults:
  - {match: {face: v2}, latency: {uniform: [0, .inf]}}
defaults:
  v2.sms:
    outcomes:
      - {weight: .inf, timeline: v2.delivered}
      - {weight: .nan, timeline: v2.delivered}
""")
    assert [(p.line, p.where) for p in error.details] == [
        (5, "rules[0].steps[0].after"), (6, "rules[0].steps[1].after"), (8, "faults[0].latency.uniform[1]"),
        (12, "defaults.v2.sms.outcomes[0].weight"), (13, "defaults.v2.sms.outcomes[1].weight")]
    assert "must be seconds >= 0" in error.details[0].message and "not inf" in error.details[0].message
