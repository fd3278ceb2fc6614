"""Helpers to run the real `postman-sim` process: free ports, waiting for the banner, stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent  # the venv's bin: postman-sim's console script lives here


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    full_env = {k: v for k, v in full_env.items() if not k.startswith("POSTMAN_SIM_") or k in env}
    return subprocess.Popen(list(argv), env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_banner(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    """Read stdout until the 'listening on' banner is complete (the server accepts connections then): its
    "try: curl" line, or with --log-format json its one JSON line (event "listening")."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    complete = threading.Event()

    def read() -> None:
        for line in stdout:
            lines.append(line)
            if line.lstrip().startswith("try: curl") or line.startswith('{"ts"') and '"event": "listening"' in line:
                complete.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if complete.is_set():
        return "".join(lines)
    process.kill()
    _, err = process.communicate()
    raise AssertionError(f"no banner; stdout={''.join(lines)!r} stderr={err!r}")
