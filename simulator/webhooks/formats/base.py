"""Shared by the built-in formats; Rendering and Format themselves are in faces.formats (a face may add one)."""

from __future__ import annotations

import hashlib

from simulator.faces.formats import Format, Rendering

__all__ = ["Format", "Rendering", "conversation_id"]


def conversation_id(item: Rendering) -> str:
    """A stable 32-hex conversation id per message (Meta and Chuanglan use this shape)."""
    return hashlib.md5(item.wamid.encode(), usedforsecurity=False).hexdigest()
