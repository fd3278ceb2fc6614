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


_by_faces: dict[str, tuple[tuple[object, ...], dict[str, Format]]] = {}  # the faces -> formats() for them


def get(name: str) -> Format:
    """The format named `name` (KeyError when no built-in or registered face has it): `formats()[name]`,
    with that dict kept while the registered faces stay the same (it is looked up for every webhook)."""
    current = faces()
    cached = _by_faces.get("last")
    if cached is None or cached[0] != current:
        cached = _by_faces["last"] = (current, formats())
    return cached[1][name]


__all__ = ["BUILT_IN", "Format", "Rendering", "formats", "get"]
