"""Postman v2 (/api/v2): its declaration, V2 (face.py), is what the registry lists."""

from __future__ import annotations

from simulator.faces.v2.face import V2, V2Face

__all__ = ["V2", "V2Face"]
