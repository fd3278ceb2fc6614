"""Mistakes a new user makes, seen from the real `postman-sim` process, `make run` and a user's pytest run
(issue 15 section 2): another tool's scenarios.yaml, misspelt sections, which file and clock are in use,
--version and --help, an unclosed `{`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.process.processes import BIN, free_port, start, wait_for_banner

pytest_plugins = ["pytester"]

FOREIGN = "scenarios: [{name: login load test, users: 50}]\n"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "postman-sim"), *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM; the rest of (stdout, stderr)."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    stdout, stderr = process.communicate()
    return stdout, stderr


def test_validate_reports_another_tools_file_and_unknown_sections(tmp_path: Path) -> None:
    (tmp_path / "foreign.yaml").write_text(FOREIGN)
    (tmp_path / "misspelt.yaml").write_text("version: 1\nwebhook:\n  max_in_flight: 2\n")
    (tmp_path / "unknown.yaml").write_text("version: 1\nv3:\n  keys: [a]\n")
    result = cli("validate", "foreign.yaml", "misspelt.yaml", "unknown.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "OK" not in result.stdout
    assert ("foreign.yaml:1:1: this is not a postman-sim scenarios file: it has no `version:` and none of "
            "postman-sim's sections (it has scenarios); expected `version: 1` and any of") in result.stderr
    assert "misspelt.yaml:2:1: unknown top-level key ['webhook']; did you mean 'webhooks'?" in result.stderr
    assert "unknown.yaml:2:1: unknown top-level key ['v3']" in result.stderr
    assert "known: defaults, extends, faults, mode, qlara, report, rules, timelines, v1, v2, version, webhooks" \
        in result.stderr


def test_validate_points_at_the_line_where_an_unclosed_brace_opened(tmp_path: Path) -> None:
    (tmp_path / "unclosed.yaml").write_text("version: 1\nrules:\n  - name: a\n    match: {face: v2\n"
                                            "    steps: [{after: 1, status: sent}]\n")
    result = cli("validate", "unclosed.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "unclosed.yaml:4:12: not valid YAML: the { opened here is not closed (found at line 5, column 10" \
        in result.stderr


def test_serve_refuses_another_tools_scenarios_yaml_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "scenarios.yaml").write_text(FOREIGN)
    result = cli("serve", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2 and "listening" not in result.stdout
    assert "postman-sim: scenarios.yaml is not valid:" in result.stderr
    assert "not a postman-sim scenarios file" in result.stderr and "POSTMAN_SIM_SCENARIOS" in result.stderr


def test_the_banner_names_the_scenarios_file_and_the_clock(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([str(BIN / "postman-sim"), "serve", "--port", str(port), "--clock", "manual"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PATH": str(BIN)})
    banner = wait_for_banner(process)
    stop(process)
    assert re.search(r"^  Scenarios +bundled default \(.*bundled_scenarios\.yaml\)$", banner, re.MULTILINE)
    assert re.search(r"^  Clock +manual \(time moves only by POST /_sim/clock/advance\)$", banner, re.MULTILINE)
    try_line = next(line for line in banner.splitlines() if "try: curl" in line)
    assert '"values": {"name": "Tan", "date": "1 Dec"}' in try_line  # a date that reads like one


def test_make_run_takes_clock_speed_and_seed() -> None:
    port = free_port()
    process = start(["make", "-s", "--no-print-directory", "-C", str(ROOT), "run", "CLOCK=manual", "SEED=5",
                     "SPEED=1", f"PORT={port}"], {})
    banner = wait_for_banner(process)
    try:
        assert re.search(r"^  Scenarios +\./scenarios\.yaml", banner, re.MULTILINE)
        assert re.search(r"^  Clock +manual", banner, re.MULTILINE)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/clock", timeout=5) as response:
            assert json.loads(response.read())["kind"] == "manual"
    finally:
        process.send_signal(signal.SIGTERM)  # make passes it on to postman-sim
        process.wait(timeout=10)
        process.communicate()


def test_version_prints_the_installed_version() -> None:
    result = cli("--version")
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert version is not None and result.returncode == 0
    assert result.stdout.strip() == f"postman-sim {version.group(1)}"


def option_help(text: str) -> dict[str, str]:
    """--help's options section as {"--flag": its help text on one line}."""
    options: dict[str, str] = {}
    current = None
    for line in text.split("options:", 1)[1].splitlines():
        found = re.match(r"^  (-[^\s,]+)(?:, (--\S+))?", line)
        if found:
            current = found.group(2) or found.group(1)
            options[current] = line
        elif current is not None:
            options[current] += " " + line.strip()
    return {flag: re.sub(r"\s+", " ", value) for flag, value in options.items()}


@pytest.mark.parametrize("command", ["serve", "sink", "validate", "numbers"])
def test_help_shows_each_options_default_and_environment_variable(command: str) -> None:
    result = cli(command, "--help")
    options = {flag: text for flag, text in option_help(result.stdout).items() if flag != "--help"}
    assert options
    for flag, text in options.items():
        assert "POSTMAN_SIM_" in text, flag
        assert re.search(r"default[ :]|by default", text), flag


def test_help_never_shows_a_secret_from_the_environment() -> None:
    token = "s3cret-admin-token-0123456789"
    result = subprocess.run([str(BIN / "postman-sim"), "sink", "--help"], capture_output=True, text=True, timeout=30,
                            env={"PATH": str(BIN), "POSTMAN_SIM_ADMIN_TOKEN": token, "POSTMAN_SIM_SINK_SECRET": token})
    assert token not in result.stdout and "(default: set, not shown)" in result.stdout


def test_json_logs_get_the_banner_as_one_json_line() -> None:
    port = free_port()
    process = start([str(BIN / "postman-sim"), "serve", "--scenarios", str(ROOT / "scenarios.yaml")],
                    {"POSTMAN_SIM_PORT": str(port), "POSTMAN_SIM_CLOCK": "manual", "POSTMAN_SIM_LOG_FORMAT": "json"})
    first = wait_for_banner(process)
    urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/health", timeout=5).close()  # one request logged
    rest, stderr = stop(process)
    lines = [json.loads(line) for line in (first + rest + stderr).splitlines()]  # every line of output is JSON
    banner = next(line for line in lines if line["event"] == "listening")
    assert banner["url"] == f"http://127.0.0.1:{port}" and banner["level"] == "info"
    assert banner["scenarios"] == str(ROOT / "scenarios.yaml") and banner["clock"].startswith("manual")
    assert any(row.lstrip().startswith("try: curl") for row in banner["banner"])


def test_the_pytest_header_names_the_scenarios_file_and_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["postman-sim *: scenarios bundled default (*bundled_scenarios.yaml); clock manual*"])
    (pytester.path / "scenarios.yaml").write_text("version: 1\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"postman-sim *: scenarios {pytester.path / 'scenarios.yaml'}; clock manual*"])


def test_the_plugin_refuses_another_tools_scenarios_yaml_in_the_rootdir(pytester: pytest.Pytester) -> None:
    (pytester.path / "scenarios.yaml").write_text(FOREIGN)
    pytester.makepyfile(test_user="def test_send(postman_sim):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*postman_sim scenarios are not usable*not a postman-sim scenarios file*"])
