"""`serve --workers N`: N processes on one port (SO_REUSEPORT), each a replica of the same Redis state.

The parent only starts the workers, passes SIGTERM/SIGINT on and waits; the kernel spreads connections over
the workers' sockets. Worker 0 prints the banner. A worker that dies leaves the others serving.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

WORKER_ENV = "POSTMAN_SIM_WORKER_INDEX"


def worker_index() -> int | None:
    """This process's index when a parent started it as one of --workers; None otherwise."""
    text = os.environ.get(WORKER_ENV, "")
    return int(text) if text.isdigit() else None


def run_workers(count: int, argv: Sequence[str]) -> int:
    children = [subprocess.Popen([sys.executable, "-m", "simulator", *argv], env={**os.environ, WORKER_ENV: str(i)})
                for i in range(count)]

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return next((code for code in codes if code not in (0, -signal.SIGTERM, -signal.SIGINT)), 0)
