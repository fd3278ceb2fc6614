"""Mount the three channels under /v1. Paths after /v1 match case-insensitively, as Express routes do, so
the documented `/transactional/govSG/...` works as well as `/transactional/govsg/...` (the /v1 mount prefix
itself is aiohttp's, matched exactly)."""

from __future__ import annotations

from itertools import count

from aiohttp import web

from simulator.core.engine import Engine
from simulator.faces.v1 import email, govsg, sms
from simulator.faces.v1.config import parse_v1_config
from simulator.faces.v1.face import V1Face
from simulator.faces.v1.forms import JSON_MAX_BYTES
from simulator.scenarios.model import SimConfig

_names = count()


def _ci(*words: str) -> str:
    """A path whose literal segments match in any letter case."""
    parts = []
    for word in words:
        pattern = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)
        parts.append(f"/{{_s{next(_names)}:{pattern}}}")
    return "".join(parts)


def create_face(engine: Engine, config: SimConfig) -> web.Application:
    """The /v1 sub-application."""
    face = V1Face(engine, parse_v1_config(config.section("v1")), open_mode=config.mode == "open")
    app = web.Application(middlewares=[face.middleware], client_max_size=JSON_MAX_BYTES)
    for name, module, param in (("email", email, "emailId"), ("sms", sms, "smsId"), ("govsg", govsg, "messageId")):
        app.router.add_post(_ci("transactional", name, "send") + "{_slash:/?}", face.route(module.send, send=True))
        app.router.add_get(_ci("transactional", name) + "{_slash:/?}", face.route(module.list_all))
        app.router.add_get(_ci("transactional", name) + f"/{{{param}}}{{_slash:/?}}", face.route(module.get_one))
    return app
