"""Server CPU per request: a steadier figure than req/s on a shared machine.

Starts `python -m simulator serve` from one or more source trees (A/B: this checkout against a copy of an
older commit), pinned to CPU 1, drives it with wrk pinned to CPU 0, and divides the server's CPU time
(utime + stime from /proc) and, where `perf` may count, its user-space instructions, by the requests wrk
completed. Other load on the machine changes req/s a lot and CPU µs per request much less; instructions per
request hardly at all. Runs alternate between the trees, so drift hits both alike.

    .venv/bin/python -m bench.cpu_cost [--roots . /tmp/base] [--requests v2_send,qlara_sms] [--clock manual]
        [--duration 8s] [--rounds 2] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from bench import wrk
from bench.peer_requests import QLARA_SMS, QLARA_WHATSAPP, V1_EMAIL, V1_SMS, V2_SEND
from bench.pinned import cpu_seconds, free_port, pinned_server

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-cache"
REQUESTS = {r.name: r for r in (V2_SEND, V1_EMAIL, V1_SMS, QLARA_WHATSAPP, QLARA_SMS)}
_PROFILER = """import cProfile, sys
profile, out = cProfile.Profile(), sys.argv.pop(1)
from simulator.cli import main
profile.enable()
try:
    main()
finally:
    profile.disable()
    profile.dump_stats(out)
"""


def command(root: Path, port: int, clock: str, log_level: str, profile: Path | None) -> list[str]:
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--scenarios",
            str(ROOT / "bench" / "peers" / "scenarios.yaml"), "--clock", clock, "--log-level", log_level,
            "--seed", "1"]
    if profile is not None:
        return [sys.executable, "-c", _PROFILER, str(profile), *args]
    return [sys.executable, "-m", "simulator", *args]


def measure(root: Path, name: str, clock: str, log_level: str, duration: str, connections: int,
            profile: Path | None = None) -> tuple[float, float, float | None, float]:
    """(req/s, server CPU µs per request, user instructions per request or None, p99 ms)."""
    request = REQUESTS[name]
    script = request.write_lua(CACHE / "lua")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(root)}
    log = CACHE / "results" / f"cpu_cost.{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with _env(env), pinned_server(command(root, port, clock, log_level, profile), url + "/_sim/health", log,
                                  cwd=root) as pid:
        request.check(url)
        wrk.run(url, script, "2s", connections)  # warm up: caches, the first GC generations
        perf = _start_perf(pid)
        before = cpu_seconds(pid)
        result = wrk.run(url, script, duration, connections)
        used = cpu_seconds(pid) - before
        instructions = _stop_perf(perf)
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors}")
    per = instructions / result.requests if instructions else None
    return result.requests_per_s, used / result.requests * 1e6, per, result.p99_ms


class _env:
    """Run the server with PYTHONPATH set to the tree under test (the venv's editable install is this one)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.saved = env, dict(os.environ)

    def __enter__(self) -> None:
        os.environ.update(self.env)

    def __exit__(self, *_: object) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


def _start_perf(pid: int) -> subprocess.Popen[str] | None:
    if shutil.which("perf") is None:
        return None
    return subprocess.Popen(["perf", "stat", "-x", ",", "-e", "instructions:u", "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop_perf(perf: subprocess.Popen[str] | None) -> float | None:
    if perf is None:
        return None
    perf.send_signal(signal.SIGINT)
    _, err = perf.communicate(timeout=10)
    for line in err.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and "instructions" in parts[2] and parts[0].isdigit():
            return float(parts[0])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roots", nargs="+", default=[str(ROOT)])
    parser.add_argument("--requests", default="v2_send")
    parser.add_argument("--clock", default="manual")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", type=Path, help="cProfile the (first) server run into this file")
    args = parser.parse_args()
    for name in args.requests.split(","):
        for round_ in range(args.rounds):
            for root in args.roots:
                profile = args.profile if args.profile and round_ == 0 else None
                rate, micros, instructions, p99 = measure(Path(root).resolve(), name, args.clock, args.log_level,
                                                     args.duration, args.connections, profile)
                extra = f", {instructions / 1e3:,.0f} k instr" if instructions else ""
                print(f"{name:<15} {args.clock:<6} {root:<28} {rate:8,.0f} req/s  p99 {p99:6.2f} ms  "
                      f"{micros:6.1f} µs CPU/req{extra}",
                      flush=True)


if __name__ == "__main__":
    main()
