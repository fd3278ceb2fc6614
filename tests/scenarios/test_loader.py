"""The loader without a server: problems with line:column, did-you-mean, `extends:` confinement, merge order."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import parse_config
from simulator.scenarios import ScenarioError, SimConfig

SEND = "    steps: [{after: 1, status: success}]\n"


def problems(text: str, source: str | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_config(text, source=source)
    return caught.value.problems


@pytest.mark.parametrize(("match", "problem"), [
    ("{face: v3}", "line 4, column 19: rules[0].match.face: 'v3' is not a face; expected one of "
                   "['qlara', 'v1', 'v2']"),
    ("{face: v2, channel: emial}", "line 4, column 32: rules[0].match.channel: 'emial' is not a channel; "
                                   "expected one of ['email', 'sms', 'whatsapp']"),
], ids=["face", "channel"])
def test_an_unknown_face_or_channel_is_named_with_its_line_and_column(match: str, problem: str) -> None:
    assert problems(f"version: 1\nrules:\n  - name: a\n    match: {match}\n{SEND}") == [problem]


def test_an_unknown_status_lists_the_flow_statuses() -> None:
    found = problems("version: 1\nrules:\n  - name: a\n    match: {face: v2}\n"
                     "    steps: [{after: 1, status: sucess}]\n")
    assert found == ["line 5, column 32: rules[0].steps[0].status: 'sucess' is not a v2.sms status; expected one "
                     "of ['created', 'enqueued', 'failure', 'sending', 'sent', 'sent_to_telco', 'success']"]


def test_a_misspelt_key_gets_a_did_you_mean() -> None:
    found = problems("version: 1\nrulse: []\n")
    assert len(found) == 1 and found[0].startswith("line 2, column 1:") and "did you mean 'rules'?" in found[0]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["../outside.yaml", "link.yaml", "missing.yaml"])
def test_extends_stays_in_the_folder_and_says_the_same_for_absent_and_outside(tmp_path: Path, name: str) -> None:
    write(tmp_path, "outside.yaml", "version: 1\n")
    (tmp_path / "served" / "link.yaml").parent.mkdir()
    (tmp_path / "served" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    found = problems(f"version: 1\nextends: {name}\n", source=str(tmp_path / "served" / "s.yaml"))
    assert found == [f"line 2, column 10: extends: cannot read {name!r}: there is no such file in the folder of "
                     "this scenarios file (hint: use `extends: default` or the name of a scenarios file in the "
                     "same folder as this one)"]


def test_an_extending_file_rules_come_first_and_its_section_keys_win(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "version: 1\nrules:\n  - name: base\n    match: {face: v2}\n" + SEND
          + "v2: {kept: 1, replaced: old}\n")
    config = parse_config("version: 1\nextends: base.yaml\nrules:\n  - name: mine\n    match: {face: v2}\n"
                          + SEND + "v2: {replaced: new}\n", source=str(tmp_path / "s.yaml"))
    assert isinstance(config, SimConfig)
    assert [rule.name for rule in config.scenarios.rules] == ["mine", "base"]
    assert config.sections["v2"] == {"kept": 1, "replaced": "new"}


def test_extends_takes_only_a_yaml_file_name(tmp_path: Path) -> None:
    """A file beside the served one that is not a scenarios file (the package's code, py.typed) is refused
    unread, and a list or mapping is a type error, not a Python repr in the message."""
    write(tmp_path, "code.py", "import os\n")
    source = str(tmp_path / "s.yaml")
    assert problems("version: 1\nextends: code.py\n", source=source) == [
        "line 2, column 10: extends: cannot read 'code.py': only a .yaml or .yml scenarios file can be extended "
        "(hint: use `extends: default` or the name of a scenarios file in the same folder as this one)"]
    for value in ("[/etc/hostname]", "{a: 1}", "5"):
        found = problems(f"version: 1\nextends: {value}\n", source=source)
        assert len(found) == 1 and "must be `default` or a file name (a string)" in found[0], found
        assert "[" not in found[0].split("extends:")[1].split("(hint")[0], found
