"""The ceiling of any aiohttp server for this request: read the body, answer a fixed v2 send, do nothing else.

`make bench-peers` runs it as a peer (`python bench/peers/aiohttp_floor.py PORT`) on the stack postman-sim
serves on (aiohttp on uvloop, no access log). No parsing, no id, no storage: the one answer, prepared once. What
postman-sim's v2 send costs above it is the simulator's own work; a target above this rate cannot be met by any
server built on aiohttp on the machine that measured it.
"""

from __future__ import annotations

import json
import sys

from aiohttp import web

try:
    import uvloop
except ImportError:  # not Linux: asyncio's own loop
    uvloop = None  # type: ignore[assignment]

ANSWER = json.dumps({
    "createdAt": "2026-12-01T22:10:09.000+08:00", "updatedAt": "2026-12-01T22:10:09.000+08:00",
    "id": "message_2f0b5d3c-4a1e-4f6b-9c8d-7e6f5a4b3c2d", "recipient": "6599999999",
    "values": {"name": "Tan", "date": "1 Dec"},
    "fullMessage": "This is a test message used for training purposes.\n\nOpen Government Products\n\n---\n\n"
                   "Dear Tan, your appointment is on 1 Dec.\n\n---\n\n"
                   "This is an automated message sent by the Singapore Government.",
    "latestStatus": "created", "templateBodyId": "template_body_1e2feb89-414c-443c-9027-c4d1c386bbc4",
    "campaignId": "campaign_00000000-0000-4000-8000-000000000001", "language": "english",
    "creatorId": "user_35bf992d-c9e9-4616-a12e-7696a6cecc1b"}).encode()


async def send(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, status=201, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/v2/campaigns/{campaign}/messages", send)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None,
                loop=None if uvloop is None else uvloop.new_event_loop())


if __name__ == "__main__":
    main()
