"""The real `postman-sim serve` process: flags and env, one-line errors, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT
from tests.process.processes import free_port, start, wait_for_banner


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


