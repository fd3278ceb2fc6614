"""Run an aiohttp app on loopback in a thread with its own event loop (aiosmtpd-Controller style).

The server then works the same from sync tests, async tests on any loop scope, and across a
whole session, and a test that blocks on the simulator never blocks the simulator itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from simulator.app import create_app
from simulator.clock import Clock, ManualClock
from simulator.scenarios.model import SimConfig

START_TIMEOUT = 30.0


class BackgroundServer:
    """Serve `factory()` (called on the server's own loop) on host:port (0: any free port)."""

    def __init__(self, factory: Callable[[], web.Application], host: str = "127.0.0.1", port: int = 0) -> None:
        self._factory = factory
        self.host = host
        self.port = port
        self.app: web.Application | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the server is not running: call start() first")
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Start serving; returns the base URL once the socket accepts connections."""
        if self._thread is not None:
            return self.url
        self._thread = threading.Thread(target=self._serve, name=f"postman-sim-{id(self):x}", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the server did not start in time")
        if self._failure is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the server could not start: {self._failure}") from self._failure
        return self.url

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # reported to start()'s caller
            self._failure = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        self.app = self._factory()
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    def stop(self) -> None:
        """Stop serving and wait for the thread (pending handlers finish first)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        self._thread = None
        self._runner = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class ThreadedSimulator(BackgroundServer):
    """A whole simulator in a thread: `with ThreadedSimulator(config) as sim: SimClient(sim.url)...`.

    The clock defaults to a manual one, so nothing happens until the test advances it. With
    `admin_token`, its /_sim needs that token (as `postman-sim serve --admin-token`).
    """

    def __init__(self, config: SimConfig, *, seed: int | None = 0, clock: Clock | None = None,
                 host: str = "127.0.0.1", port: int = 0, admin_token: str | None = None) -> None:
        self.config = config
        self.clock = clock or ManualClock()
        self.admin_token = admin_token
        super().__init__(lambda: create_app(config, clock=self.clock, seed=seed, admin_token=admin_token),
                         host=host, port=port)
