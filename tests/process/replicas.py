"""A real redis-server on a free port and real `postman-sim serve --state redis://...` replicas over it.

No redis-server on the machine: the tests that need one are skipped with how to install it, or fail under
CI=true (.ci/run installs Debian's redis-server).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import simulator
from tests.process.processes import BIN, free_port, wait_for_banner

V2_KEY = "key_test_postman_sim_demo_key_0000000001"
V2_SEND = "/api/v2/campaigns/campaign_00000000-0000-4000-8000-000000000001/messages"
V2_BODY = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
V1_KEY = "alice_v1_c2VjcmV0LWtleS1mb3ItYWxpY2UtMDAwMDAwMDAwMDAx"
V2 = {"Authorization": f"Bearer {V2_KEY}"}  # the v2 and v1 Authorization headers every replica test sends
V1 = {"Authorization": f"Bearer {V1_KEY}"}
V1_SMS = "/v1/transactional/sms/send"
V1_BODY = {"body": "Your code is 123456", "recipient": "6591234567", "label": "default"}


def scenarios(folder: Path, rate_limit: int = 0, extra: str = "") -> Path:
    """The bundled scenarios with every face's rate limit set to `rate_limit` (0: none) on the simulated clock."""
    text = (Path(simulator.__file__).parent / "bundled_scenarios.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^(\s+)rate_limit: \d+", rf"\1rate_limit: {rate_limit}\n\1rate_limit_clock: simulated", text,
                  flags=re.M)
    path = folder / "scenarios.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def redis_binary() -> str:
    """redis-server's path; skip (fail under CI=true) when it is not installed."""
    found = shutil.which("redis-server")
    if found is None:
        message = "redis-server is not installed: apt-get install redis-server to run the replica tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """redis-server with the append-only file on: a restart of it keeps the stream."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.folder)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _ping(self.port):
            assert self.process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer PING within 10 s"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Receiver:
    """A loopback webhook receiver: every delivery's event id (webhook-id header) and body; it answers
    `status` (set it to 500 to make dead letters)."""

    def __init__(self) -> None:
        self.got: dict[str, list[bytes]] = defaultdict(list)
        self.status = 200

    async def hook(self, request: web.Request) -> web.Response:
        self.got[request.headers["webhook-id"]].append(await request.read())
        return web.Response(text="ok", status=self.status)


@dataclass
class Replica:
    port: int
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # what it printed after the banner (stderr included)

    def __post_init__(self) -> None:
        threading.Thread(target=self._drain, daemon=True).start()  # a full pipe would stall the process

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """kill -9: no shutdown at all."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close()

    def _close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._close()


def start_replica(url: str, *extra: str, port: int | None = None, scenarios: Path | None = None,
                  clock: Sequence[str] = ("--clock", "manual")) -> Replica:
    port = port or free_port()
    argv = ["postman-sim", "serve", "--port", str(port), "--state", url, *clock, "--log-level", "warning", *extra]
    if scenarios is not None:
        argv += ["--scenarios", str(scenarios)]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen(argv, env={k: v for k, v in env.items() if not k.startswith("POSTMAN_SIM_")},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for_banner(process)
    return Replica(port, process)


async def start_replicas(started: list[Replica], url: str, path: Path, count: int = 1) -> list[Replica]:
    """`count` more replicas over `url` on the scenarios at `path`, added to `started` (the fixture stops them)."""
    for _ in range(count):
        started.append(await asyncio.to_thread(start_replica, url, scenarios=path))
    return started[-count:]


async def call_json(http: aiohttp.ClientSession, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
    """The JSON answer of one request, which must have `status`."""
    async with http.request(method, url, **kwargs) as response:
        assert response.status == status, await response.text()
        return await response.json()
