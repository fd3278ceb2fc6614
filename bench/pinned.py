"""A server process pinned to CPU 1 for a load run: start, wait until it answers, read its RSS, stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` so far (fields 14 and 15 of /proc/PID/stat, after the parenthesised name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """VmRSS of one process from /proc (the servers run as one process: java, python)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Steal:
    """The share of the machine's CPU time the hypervisor gave to other guests while it ran (the `st` of
    vmstat and top, from /proc/stat). On a shared VM a round or a minute that lost a quarter of its CPU says
    nothing about the server: the benches print it next to each figure."""

    def __init__(self) -> None:
        self._start = self._ticks()

    @staticmethod
    def _ticks() -> tuple[int, int]:
        """(steal, total) jiffies of all CPUs; (0, 0) where /proc/stat has no steal column."""
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError, IndexError):
            return 0, 0
        return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])

    def share(self) -> float:
        """Steal over the time since this meter was made, 0.0 to 1.0."""
        steal, total = self._ticks()
        busy = total - self._start[1]
        return (steal - self._start[0]) / busy if busy > 0 else 0.0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (WireMock's 404 on /) means it is listening
    except OSError:
        return False


@contextlib.contextmanager
def pinned_server(command: Sequence[str], probe_url: str, log: Path, cwd: Path, cpu: str | None = "1",
                  start_timeout: float = 60.0) -> Iterator[int]:
    """Run `command` under `taskset -c CPU` (taskset execs it, so the PID is the server's); yield the PID."""
    pin = ["taskset", "-c", cpu] if cpu else []
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([*pin, *command], stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            deadline = time.monotonic() + start_timeout
            while not _answers(probe_url):
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited with {process.returncode}; see {log}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not answer {probe_url} in {start_timeout:.0f} s; see {log}")
                time.sleep(0.25)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
