"""Webhook payload formats, by the name a subscription gives in `format:`."""

from __future__ import annotations

from simulator.webhooks.formats.base import Format, Rendering
from simulator.webhooks.formats.chuanglan import ChuanglanFormat
from simulator.webhooks.formats.meta import MetaFormat
from simulator.webhooks.formats.qlara import QlaraFormat
from simulator.webhooks.formats.standard import StandardFormat

FORMATS: dict[str, Format] = {f.name: f for f in (ChuanglanFormat(), MetaFormat(), QlaraFormat(), StandardFormat())}

__all__ = ["FORMATS", "Format", "Rendering"]
