"""The event loop `postman-sim serve` runs on: uvloop where it is installed (Linux), else asyncio's own.

uvloop's transports and callbacks are C. With orjson and the other issue-12 changes it took the v2 single send
from about 280 to about 230 µs of server CPU (README "Performance"). Tests and embedding applications keep
whatever loop they run on.
"""

from __future__ import annotations

import asyncio

try:
    import uvloop
except ImportError:  # pragma: no cover - not Linux: the dependency's marker leaves it out
    uvloop = None  # type: ignore[assignment]


def new_loop() -> asyncio.AbstractEventLoop:
    """A fresh loop for the server: uvloop's when available."""
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()

