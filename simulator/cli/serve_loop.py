"""The event loop `postman-sim serve` runs on: uvloop where it is installed (Linux), else asyncio's own.

uvloop's transports and callbacks are C: on the v2 single send it measured about +15 % requests/s under wrk
on one core (issue 12). Tests and embedding applications keep whatever loop they run on.
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

