"""`postman-sim sink`: the standalone webhook sink as a real process."""

from __future__ import annotations

import asyncio
import socket
import sys

from aiohttp import ClientSession


async def test_sink_command_runs_a_real_sink() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulator", "sink", "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        assert f"http://127.0.0.1:{port}" in banner.decode()
        async with ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{port}/hook", json={"hello": "sink"}) as response:
                assert response.status == 200
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                shown = await response.json()
        assert shown["total"] == 1 and shown["data"][0]["json"] == {"hello": "sink"}
    finally:
        process.terminate()
        await process.wait()


