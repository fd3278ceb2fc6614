"""The floor a Python server can reach: a bare aiohttp app that stores each v2 send in a dict.

`make bench-peers` runs it as a peer (`python bench/peers/bare_aiohttp.py PORT`). It answers with a body
shaped like postman-sim's v2 send, without validation, templates, scheduling or logging, so the ratio
to it says what postman-sim's own work costs.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from aiohttp import web

FULL_MESSAGE = ("This is a test message used for training purposes.\n\nOpen Government Products\n\n---\n\n"
                "Dear {name}, your appointment is on {date}.\n\n---\n\n"
                "This is an automated message sent by the Singapore Government.")
MESSAGES: dict[str, dict[str, Any]] = {}


def _dumps(value: Any) -> str:
    return json.dumps(value)


async def send(request: web.Request) -> web.Response:
    body = await request.json()
    values = body.get("values") or {}
    now = "2026-12-01T22:10:09.000+08:00"
    message_id = f"message_{uuid.uuid4()}"
    message = {"createdAt": now, "updatedAt": now, "id": message_id, "recipient": body.get("recipient"),
               "values": values, "fullMessage": FULL_MESSAGE.format(name=values.get("name"), date=values.get("date")),
               "latestStatus": "created", "templateBodyId": "template_body_1e2feb89-414c-443c-9027-c4d1c386bbc4",
               "campaignId": request.match_info["campaign"], "language": body.get("language", "english"),
               "creatorId": "user_35bf992d-c9e9-4616-a12e-7696a6cecc1b"}
    MESSAGES[message_id] = message
    return web.json_response(message, status=201, dumps=_dumps)


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/v2/campaigns/{campaign}/messages", send)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
