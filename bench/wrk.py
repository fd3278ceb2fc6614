"""Run wrk pinned to CPU 0 and read its summary: requests/s, latency percentiles, errors."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    """The parts of wrk's `--latency` summary the tables use; `errors` is empty when every answer was 2xx."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str) -> WrkResult:
    """Read wrk's text report (it has no machine-readable one without a Lua done() hook)."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and p50 and p99 and total):
        raise ValueError(f"wrk gave no summary:\n{output}")
    errors = []
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sockets:
        errors.append("socket c/r/w/t " + "/".join(sockets.groups()))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors.append(f"non-2xx {non_2xx.group(1)}")
    return WrkResult(float(rate.group(1)), _duration_ms(p50.group(1)), _duration_ms(p99.group(1)),
                     int(total.group(1)), ", ".join(errors))


def run(url: str, script: Path, duration: str, connections: int, log: Path | None = None) -> WrkResult:
    """One wrk run, one thread, pinned to CPU 0 (the server under test has CPU 1)."""
    command = ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency",
               "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=_duration_ms(duration) / 1000 + 120,
                          check=False)
    if log is not None:
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout)
