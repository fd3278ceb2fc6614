"""Postman v1 (/v1): its declaration, V1 (face.py), is what the registry lists."""

from __future__ import annotations

from simulator.faces.v1.face import V1, V1Face

__all__ = ["V1", "V1Face"]
