"""A server process pinned to CPU 1 for a load run: start, wait until it answers, read its RSS, stop it."""

from __future__ import annotations

import contextlib
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


def rss_kib(pid: int) -> int:
    """VmRSS of one process from /proc (the servers run as one process: java, python)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


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
