"""Open Government Products' own Node client for Postman v1 (@opengovsg/postmangovsg-client, npm) sends
email, SMS and GovSG WhatsApp to a running `postman-sim` process and reads them back: a client nobody here
wrote agrees with the v1 face on paths, auth, bodies, ids and statuses. The package is installed once into
the git-ignored .test-cache/npm and reused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.process.processes import free_port, start, wait_for_banner

PACKAGE, VERSION = "@opengovsg/postmangovsg-client", "0.0.9"
CACHE = ROOT / ".test-cache" / "npm"
SCRIPT = ROOT / "tests" / "process" / "node" / "official_client.js"
KEY = "node_v1_c2VjcmV0LWtleS1mb3Itbm9kZQ"


def node_and_npm() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    reason = f"node and npm are needed to run {PACKAGE}; not found on PATH"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: install Node.js rather than skip)")
    pytest.skip(reason)


def installed_client(npm: str) -> Path:
    """node_modules holding the pinned client: the cached one, or a fresh `npm install` (no install scripts)."""
    modules = CACHE / "node_modules"
    manifest = modules / PACKAGE / "package.json"
    if not (manifest.is_file() and json.loads(manifest.read_text())["version"] == VERSION):
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                                 "--ignore-scripts", f"{PACKAGE}@{VERSION}"],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"npm install {PACKAGE}@{VERSION} failed:\n{result.stderr[-2000:]}"
    return modules


def test_the_official_node_client_sends_and_reads_back_every_v1_channel() -> None:
    node, npm = node_and_npm()
    modules = installed_client(npm)
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--clock", "manual",
                     "--scenarios", str(ROOT / "scenarios.yaml")], {"POSTMAN_SIM_PORT": str(port)})
    wait_for_banner(process)
    try:
        result = subprocess.run([node, str(SCRIPT), f"http://127.0.0.1:{port}", KEY], capture_output=True,
                                text=True, timeout=60, env={**os.environ, "NODE_PATH": str(modules)})
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
        process.communicate()
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    email = {"id": "1", "recipient": "tan@example.gov.sg"}
    sms = {"id": "1", "recipient": "+6591234567"}
    govsg = {"id": "1", "recipient": "+6581234567"}
    assert out["sent"] == {"email": {**email, "status": "ACCEPTED"}, "sms": {**sms, "status": "UNSENT"},
                           "govsg": {**govsg, "status": "ACCEPTED"}}
    # thirty simulated seconds later, read back by id and in the lists, through the same client
    final = {"email": {**email, "status": "DELIVERED"}, "sms": {**sms, "status": "DELIVERED"},
             "govsg": {**govsg, "status": "READ"}}
    assert out["read"] == final
    assert out["listed"]["sms"] == [final["sms"]] and out["listed"]["govsg"] == [final["govsg"]]
    assert out["listed"]["email"] == [final["email"]]  # listed before the nodemailer send below
    # the package's nodemailer transport (given an EmailApi on the simulator) gets the next email id
    assert out["nodemailer"] == {"id": "2", "status": "ACCEPTED"}
    # an error reaches the client as the API's own answer
    assert out["refused"] == {"status": 400, "body": {
        "code": "invalid_recipient", "message": "Recipient is not a valid WhatsApp user. Recipient: +6580000001"}}
