"""What `make bench-peers` needs besides the venv: wrk (Debian's package) and WireMock (npm, pinned).

Both are installed once; WireMock goes into `.bench-cache/` (git-ignored) so the repo never vendors a jar.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

WIREMOCK_VERSION = "3.13.2"


def run_logged(command: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, timeout=600, env=env)


def ensure_wrk() -> str:
    """wrk on PATH, installing Debian's package (as root) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("wrk is missing: install it (Debian/Ubuntu: apt-get install -y wrk) and run again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        run_logged(["apt-get", "install", "-y", "-q", "wrk"], env=env)
    except subprocess.CalledProcessError:  # a fresh image has no package lists yet
        run_logged(["apt-get", "update", "-q"], env=env)
        run_logged(["apt-get", "install", "-y", "-q", "wrk"], env=env)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("apt-get installed wrk but it is not on PATH")
    return found


def ensure_wiremock(cache: Path) -> Path:
    """The WireMock standalone jar from the npm package `wiremock` (pinned), installed under `cache`."""
    if shutil.which("java") is None:
        raise SystemExit("WireMock needs Java 17 or newer on PATH (Debian: apt-get install -y openjdk-17-jre-headless)")
    prefix = cache / "npm"
    jar = prefix / "node_modules" / "wiremock" / "build" / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"
    if jar.is_file():
        return jar
    if shutil.which("npm") is None:
        raise SystemExit("npm is missing: it installs WireMock (npm package `wiremock`)")
    prefix.mkdir(parents=True, exist_ok=True)
    run_logged(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
          f"wiremock@{WIREMOCK_VERSION}"])
    if not jar.is_file():
        raise SystemExit(f"npm installed wiremock@{WIREMOCK_VERSION} but {jar} is not there")
    return jar
