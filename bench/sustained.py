"""Flat under sustained load: v2 sends at a constant rate on the real clock, minute by minute.

wrk cannot hold a rate (it sends as fast as the server answers), so each minute is one run of bench.paced:
an open-loop client that spreads the requests evenly over each second and times each from when it was due
(wrk2's method), so a stall counts for every request that should have gone out meanwhile and shows in p99,
never as a quietly lower rate. BENCH_SUSTAINED_CLIENT=autocannon uses autocannon (npm, pinned, installed
under `.bench-cache/autocannon`) with `--overallRate` instead, as the bench did before 2026-12-02; know what
that rate is: autocannon spends it as a per-second quota on each connection (lib/httpClient.js:
`reqsMadeThisSecond`, reset by a one-second `setInterval`), so each connection sends back to back until its
quota is used and then waits for the next second. The server sees bursts, not a rate, and a server slower than
the rate just gets fewer requests: the 2,300-2,900/s "the VM gave" in earlier runs at 3,067-3,228/s asked was
the server's own ceiling under load.

The server (`--clock real --log-level warning`, bench scenarios, rate limits off) runs pinned to CPU 1 and
the client to CPU 0. The rate is BENCH_SUSTAINED_RATE, or 80 % of a 15 s wrk peak measured first on a fresh
server of the same configuration. Then one client run per minute, back to back, on a second fresh
server; after each the server's RSS and `/_sim/health` (messages held, evicted) are read. Prints a table per
minute and the issue-12 targets: last-minute throughput ≥ 90 % of first-minute, p99 ≤ 25 ms every minute.

    BENCH_SUSTAINED_MINUTES=10 .venv/bin/python -m bench.sustained
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import wrk
from bench.peer_requests import V2_SEND
from bench.peer_setup import run_logged
from bench.pinned import Steal, cpu_seconds, free_port, pinned_server, rss_kib
from bench.targets import Target, render

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-cache"
SCENARIOS = ROOT / "bench" / "peers" / "scenarios.yaml"
AUTOCANNON_VERSION = "8.0.0"
CONNECTIONS = 32
# bench/paced.py (open loop, latency from when each request was due), or "autocannon" (per-second bursts; above)
CLIENT = os.environ.get("BENCH_SUSTAINED_CLIENT", "paced")
SHARE_OF_PEAK = 0.8


@dataclass(frozen=True)
class Minute:
    """One client run of 60 s and what the server held after it."""

    index: int
    rate: float         # 2xx answers per second
    p99_ms: float       # corrected for coordinated omission
    non_2xx: int
    errors: int         # socket errors and timeouts
    rss_kib: int
    held: int           # messages the store holds (after --max-messages / --retention evictions)
    evicted: int
    steal: float = 0.0  # the share of CPU time the VM's hypervisor took during the minute (bench.pinned.Steal)
    cpu: float = 0.0    # the server's CPU time (user + system) over the minute's wall time: its load


def ensure_autocannon() -> Path:
    """autocannon from npm, in its own prefix (an npm install --no-save into WireMock's would remove it)."""
    binary = CACHE / "autocannon" / "node_modules" / ".bin" / "autocannon"
    if binary.is_file():
        return binary
    if shutil.which("npm") is None:
        raise SystemExit("npm is missing: it installs autocannon (the constant-rate load generator)")
    (CACHE / "autocannon").mkdir(parents=True, exist_ok=True)
    run_logged(["npm", "install", "--prefix", str(CACHE / "autocannon"), "--no-audit", "--no-fund", "--no-save",
                f"autocannon@{AUTOCANNON_VERSION}"])
    if not binary.is_file():
        raise SystemExit(f"npm installed autocannon@{AUTOCANNON_VERSION} but {binary} is not there")
    return binary


def server_command(port: int) -> list[str]:
    return [str(Path(sys.executable).with_name("postman-sim")), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--scenarios", str(SCENARIOS), "--clock", "real", "--log-level", "warning"]


def peak_rate() -> float:
    """A 15 s wrk run (32 connections) on a fresh server: the peak the sustained rate is a share of."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    results = CACHE / "results"
    results.mkdir(parents=True, exist_ok=True)
    with pinned_server(server_command(port), url + "/_sim/health", results / "sustained-peak.server.log", cwd=ROOT):
        V2_SEND.check(url)
        result = wrk.run(url, V2_SEND.write_lua(CACHE / "lua"), "15s", CONNECTIONS, results / "sustained-peak.txt")
    if result.errors:
        raise RuntimeError(f"the peak run had errors: {result.errors}")
    return result.requests_per_s


def one_paced_minute(url: str, rate: int, seconds: int) -> dict[str, float]:
    """One bench.paced run in its own process on CPU 0; returns the counters and the p99 from its JSON line."""
    command = ["taskset", "-c", "0", sys.executable, "-m", "bench.paced", url, str(rate), str(seconds),
               str(CONNECTIONS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"bench.paced failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {key: float(report[key]) for key in ("2xx", "non2xx", "errors", "p99")}


def one_minute(autocannon: Path, url: str, rate: int, seconds: int) -> dict[str, float]:
    """One autocannon run; returns the counters and the corrected p99 from its JSON report."""
    command = ["taskset", "-c", "0", str(autocannon), "-j", "-c", str(CONNECTIONS), "-d", str(seconds),
               "-R", str(rate), "-m", "POST", "-b", V2_SEND.payload]
    for key, value in V2_SEND.all_headers().items():
        command += ["-H", f"{key}={value}"]
    done = subprocess.run([*command, url + V2_SEND.path], capture_output=True, text=True, timeout=seconds + 120,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"autocannon failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"2xx": float(report["2xx"]), "non2xx": float(report["non2xx"]), "p99": float(report["latency"]["p99"]),
            "errors": float(report["errors"]) + float(report["timeouts"])}


def health(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/_sim/health", timeout=30) as answer:
        body = json.loads(answer.read())
    return {"messages": int(body["messages"]), "evicted": int(body["evicted"])}


def run(minutes: int, rate: int, seconds: int = 60) -> list[Minute]:
    autocannon = ensure_autocannon() if CLIENT == "autocannon" else None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    rows: list[Minute] = []
    log = CACHE / "results" / "sustained.server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with pinned_server(server_command(port), url + "/_sim/health", log, cwd=ROOT) as pid:
        V2_SEND.check(url)
        for index in range(1, minutes + 1):
            steal, used = Steal(), cpu_seconds(pid)
            report = (one_minute(autocannon, url, rate, seconds) if autocannon is not None
                      else one_paced_minute(url, rate, seconds))
            stolen, busy = steal.share(), (cpu_seconds(pid) - used) / seconds
            state = health(url)
            row = Minute(index, report["2xx"] / seconds, report["p99"], int(report["non2xx"]), int(report["errors"]),
                         rss_kib(pid), state["messages"], state["evicted"], stolen, busy)
            print(f"  minute {index}: {row.rate:,.0f}/s, p99 {row.p99_ms:.0f} ms, non-2xx {row.non_2xx}, "
                  f"errors {row.errors}, RSS {row.rss_kib / 1024:,.0f} MiB, held {row.held:,}, "
                  f"evicted {row.evicted:,}, server CPU {row.cpu:.0%}, CPU steal {row.steal:.0%}", flush=True)
            rows.append(row)
    return rows


def table(rows: list[Minute], rate: int, peak: float | None) -> str:
    source = f"{SHARE_OF_PEAK:.0%} of a wrk peak of {peak:,.0f}/s" if peak else "BENCH_SUSTAINED_RATE"
    client = f"autocannon {AUTOCANNON_VERSION}" if CLIENT == "autocannon" else "bench.paced (open loop)"
    lines = [f"Constant rate {rate:,}/s ({source}), {CONNECTIONS} connections, {client} "
             "(coordinated omission corrected), real clock, warning log.", "",
             "| minute | 2xx/s | p99 | non-2xx | errors | RSS | held | evicted | server CPU | CPU steal |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r.index} | {r.rate:,.0f} | {r.p99_ms:,.0f} ms | {r.non_2xx} | {r.errors} | "
              f"{r.rss_kib / 1024:,.0f} MiB | {r.held:,} | {r.evicted:,} | {r.cpu:.0%} | {r.steal:.0%} |" for r in rows]
    return "\n".join(lines)


def targets(rows: list[Minute], rate: str) -> list[Target]:
    """The issue's two sustained-load targets (`rate`: how the rate was chosen, e.g. "80 % of peak")."""
    if not rows:
        return [Target("10 minutes at 80 % of peak: last minute vs first", "≥ 90 %", "no run", False)]
    first, last = rows[0], rows[-1]
    worst = max(rows, key=lambda r: r.p99_ms)
    clean = all(r.non_2xx == 0 and r.errors == 0 for r in rows)
    share = last.rate / first.rate if first.rate else 0.0
    return [
        Target(f"{len(rows)} minute(s) at {rate}, real clock: last vs first minute's throughput",
               "≥ 90 %", f"{last.rate:,.0f} / {first.rate:,.0f} = {share:.0%}{'' if clean else ' (with errors)'}",
               share >= 0.9 and clean),
        Target("the same: p99 in every minute", "≤ 25 ms", f"worst {worst.p99_ms:,.0f} ms (minute {worst.index})",
               worst.p99_ms <= 25),
    ]


def measure(peak: float | None = None) -> list[Target]:
    """Run it (BENCH_SUSTAINED_MINUTES, default 10) at 80 % of `peak` (None: BENCH_SUSTAINED_RATE, else a wrk
    peak measured here), print the minutes, return the targets."""
    minutes = int(os.environ.get("BENCH_SUSTAINED_MINUTES", "10"))
    fixed = os.environ.get("BENCH_SUSTAINED_RATE")
    if fixed is None and peak is None:
        peak = peak_rate()
    rate = int(fixed) if fixed else int((peak or 0.0) * SHARE_OF_PEAK)
    print(f"=== sustained: {minutes} minutes at {rate:,}/s", flush=True)
    rows = run(minutes, rate)
    print("\n## Sustained load\n")
    print(table(rows, rate, None if fixed else peak))
    return targets(rows, f"{rate:,}/s (BENCH_SUSTAINED_RATE)" if fixed else f"{SHARE_OF_PEAK:.0%} of peak")


def main() -> int:
    print("\n" + render(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
