"""Webhook payload formats, by the name a subscription gives in `format:`."""

from __future__ import annotations

from simulator.faces import faces
from simulator.webhooks.formats.base import Format, Rendering
from simulator.webhooks.formats.chuanglan import ChuanglanFormat
from simulator.webhooks.formats.meta import MetaFormat
from simulator.webhooks.formats.standard import StandardFormat

BUILT_IN: dict[str, Format] = {f.name: f for f in (ChuanglanFormat(), MetaFormat(), StandardFormat())}
# The built-in formats, then the ones faces add (Qlara's `qlara`).
FORMATS: dict[str, Format] = {**BUILT_IN, **{f.name: f for face in faces() for f in face.formats}}

__all__ = ["BUILT_IN", "FORMATS", "Format", "Rendering"]
