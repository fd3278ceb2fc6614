"""Agile Telecom Qlara (/api): its declaration, QLARA (face.py), is what the registry lists."""

from __future__ import annotations

from simulator.faces.qlara.face import QLARA, QlaraApp, QlaraDeclaration

__all__ = ["QLARA", "QlaraApp", "QlaraDeclaration"]
