"""Webhook payload formats, by the name a subscription gives in `format:`.

`formats()` is looked up at use time, so a face registered later (faces.register) brings its own.
"""

from __future__ import annotations

from simulator.faces import faces
from simulator.webhooks.formats.base import Format, Rendering
from simulator.webhooks.formats.chuanglan import ChuanglanFormat
from simulator.webhooks.formats.meta import MetaFormat
from simulator.webhooks.formats.standard import StandardFormat

BUILT_IN: dict[str, Format] = {f.name: f for f in (ChuanglanFormat(), MetaFormat(), StandardFormat())}


def formats() -> dict[str, Format]:
    """The built-in formats, then the ones the registered faces add (Qlara's `qlara`)."""
    return {**BUILT_IN, **{f.name: f for face in faces() for f in face.formats}}


def get(name: str) -> Format:
    """The format named `name` (KeyError when no built-in or registered face has it): what `formats()[name]`
    is, without building that dict (it is looked up several times for every webhook)."""
    for face in reversed(faces()):
        for candidate in reversed(face.formats):
            if candidate.name == name:
                return candidate
    return BUILT_IN[name]


__all__ = ["BUILT_IN", "Format", "Rendering", "formats", "get"]
