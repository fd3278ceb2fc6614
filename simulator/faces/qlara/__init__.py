"""Agile Telecom Qlara (/api): its declaration, QLARA (face.py), is what the registry lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.faces.base import FACE_APPS
from simulator.faces.qlara.face import QLARA, QlaraApp, QlaraDeclaration

# Compatibility until app.py and the admin surface drop their Qlara lines (issue 11, WP-A/WP-C): the key is
# never set, so app.py's inbound wiring never runs (INBOUND events go through SUBSCRIPTIONS from the face's
# own /_sim route), and simulate_inbound is that route, reached through the face's runtime.
QLARA_FACE: web.AppKey[Any] = web.AppKey("qlara_face")


def inbound_pusher(dispatcher: object) -> Any:
    """Unused (see QLARA_FACE)."""
    return None


async def simulate_inbound(request: web.Request) -> web.StreamResponse:
    face = request.config_dict[FACE_APPS][QLARA.id]
    assert isinstance(face, QlaraApp)
    return await face.inbound(request)


__all__ = ["QLARA", "QLARA_FACE", "QlaraApp", "QlaraDeclaration", "inbound_pusher", "simulate_inbound"]
