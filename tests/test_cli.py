"""The real `postman-sim serve` process: flags and env, one-line errors, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from simulator.cli import main
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT
from tests.processes import free_port, start, wait_for_banner


def test_serve_process_answers_and_stops_cleanly_on_sigterm(tmp_path) -> None:
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--scenarios", str(ROOT / "scenarios.yaml")],
                    {"POSTMAN_SIM_PORT": str(port), "POSTMAN_SIM_CLOCK": "manual", "POSTMAN_SIM_SEED": "3",
                     "POSTMAN_SIM_LOG_FORMAT": "json"})
    banner = wait_for_banner(process)
    assert f"listening on http://127.0.0.1:{port}" in banner
    body = json.dumps({"recipient": "6591234567", "language": "english",
                       "values": {"name": "Tan", "date": "1 Dec"}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/campaigns/{DEMO_CAMPAIGN}/messages",
                                     data=body, method="POST", headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                                        "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/clock", timeout=5) as response:
        assert json.loads(response.read())["kind"] == "manual"  # POSTMAN_SIM_CLOCK was honoured
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    returncode = process.wait(timeout=5)
    assert time.monotonic() - started < 5
    assert returncode == 0
    _, stderr = process.communicate()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    sends = [line for line in lines if line["event"] == "request" and line["face"] == "v2"]
    assert len(sends) == 1 and sends[0]["status"] == 201 and sends[0]["auth"].endswith("key_****0001")
    assert [line["to"] for line in lines if line["event"] == "status"] == ["created"]
    assert DEMO_KEY not in stderr and "Traceback" not in stderr


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["serve", "--port", "http"], {}, "argument --port: invalid port 'http'"),
    (["serve"], {"POSTMAN_SIM_PORT": "99999"}, "invalid port '99999': a whole number 0-65535 (flag or POSTMAN_SIM_"),
    (["serve"], {"POSTMAN_SIM_CLOCK": "fast"}, "invalid choice 'fast': one of real, manual"),
    (["serve"], {"POSTMAN_SIM_SPEED": "0"}, "invalid speed '0': speed must be > 0"),
    (["serve"], {"POSTMAN_SIM_SEED": "abc"}, "invalid seed 'abc'"),
    (["serve", "--log-format", "xml"], {}, "invalid choice 'xml': one of text, json"),
    (["serve", "--nope"], {}, "unrecognized arguments: --nope"),
    (["sink", "--port", "70000"], {}, "invalid port '70000'"),
    (["sink"], {"POSTMAN_SIM_SINK_PORT": "x"}, "invalid port 'x': a whole number 0-65535 (flag or POSTMAN_SIM_SINK"),
    (["sink", "--keep", "-1"], {}, "invalid value '-1': a whole number >= 1"),
])
def test_bad_flags_and_env_values_get_one_clear_line(argv, env, expected, monkeypatch, capsys) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and err.startswith("postman-sim")


def test_sink_in_a_busy_port_is_one_clear_line(capsys) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["sink", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"postman-sim: cannot listen on 127.0.0.1:{port}") and "Traceback" not in err


def test_bad_files_get_one_clear_line(tmp_path, capsys) -> None:
    assert main(["serve", "--scenarios", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err == f"postman-sim: scenarios file not found: {tmp_path / 'missing.yaml'}\n"
    assert main(["serve", "--scenarios", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"postman-sim: cannot read scenarios file {tmp_path}: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: sideways\n")
    assert main(["serve", "--scenarios", str(bad)]) == 2
    assert "mode: must be 'open' or 'strict'" in capsys.readouterr().err


def test_a_taken_port_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start([sys.executable, "-m", "simulator", "serve", "--port", str(port),
                         "--scenarios", str(ROOT / "scenarios.yaml")], {})
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert stderr.strip().splitlines()[-1].startswith(f"postman-sim: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in stderr


def test_help_lists_the_serve_flags_with_their_env_vars() -> None:
    result = subprocess.run([sys.executable, "-m", "simulator", "serve", "--help"], capture_output=True, text=True,
                            check=True)
    for name in ("HOST", "PORT", "SCENARIOS", "CLOCK", "SPEED", "SEED", "LOG_FORMAT", "LOG_LEVEL"):
        assert f"POSTMAN_SIM_{name}" in result.stdout


def test_webhook_url_flag_replaces_the_variable(monkeypatch) -> None:
    from simulator.cli import build_parser
    from simulator.webhooks.cli import apply_serve_flags
    from tests.conftest import default_config

    monkeypatch.setenv("POSTMAN_SIM_WEBHOOK_URL", "http://127.0.0.1:1/a http://127.0.0.1:1/b")
    from_env = apply_serve_flags(default_config(), build_parser().parse_args(["serve"]))
    assert [s["url"] for s in from_env.section("webhooks")["from_cli"]] == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]
    args = build_parser().parse_args(["serve", "--webhook-url", "http://127.0.0.1:1/flag"])
    assert [s["url"] for s in apply_serve_flags(default_config(), args).section("webhooks")["from_cli"]] == [
        "http://127.0.0.1:1/flag"]
