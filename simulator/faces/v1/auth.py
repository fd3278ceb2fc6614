"""API keys: `Authorization: Bearer <name>_<version>_<secret>`; each key is its own tenant."""

from __future__ import annotations

from aiohttp import web

from simulator.faces.common import bearer_token
from simulator.faces.credentials import SecretMap


def api_key(request: web.Request, configured: SecretMap[bool], open_mode: bool) -> str | None:
    """The key, if well formed (split on '_' into three non-empty parts, as the real service does)
    and, in strict mode, configured (looked up by digest, so the check takes the same time however
    much of a guessed key is right); else None (401)."""
    header = request.headers.get("Authorization", "")
    key = bearer_token(request)
    if key is None or header != f"Bearer {key}" or any(c.isspace() for c in key):
        return None
    parts = key.split("_")
    if len(parts) < 3 or not all(parts[:3]):
        return None
    if not open_mode and key not in configured:
        return None
    return key
