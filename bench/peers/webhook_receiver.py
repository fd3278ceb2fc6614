"""A webhook receiver in its own process for bench/webhook_fanout.py: answers every POST /hook with 200 and
counts them; GET /count says how many arrived and the CPU seconds this process has used (so the bench can
tell which side of the wire the time goes to). Runs on uvloop when it is installed.

    python bench/peers/webhook_receiver.py PORT
"""

from __future__ import annotations

import sys
import time

from aiohttp import web

from simulator.cli.serve_loop import new_loop

RECEIVED = web.AppKey("received", list)


async def hook(request: web.Request) -> web.Response:
    await request.read()
    request.app[RECEIVED][0] += 1
    return web.Response(text="ok")


async def count(request: web.Request) -> web.Response:
    return web.json_response({"received": request.app[RECEIVED][0], "cpu": time.process_time()})


def main() -> None:
    app = web.Application()
    app[RECEIVED] = [0]
    app.router.add_post("/hook", hook)
    app.router.add_get("/count", count)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=lambda _: None, loop=new_loop())


if __name__ == "__main__":
    main()
