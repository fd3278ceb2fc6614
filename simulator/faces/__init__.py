"""The emulated APIs, and the registry that lists them: everything outside `faces/<id>/` iterates it.

Each face parses, validates and serialises its own wire shapes and declares the rest (flows, mount,
error shape, banner, admin routes) in one `Face` (see faces/base.py). The built-in faces are loaded on
first use, so importing a shared module (faces.base, faces.common) never pulls every face in.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import replace

from simulator.core.flows import Flow
from simulator.faces.base import Face

# Module and attribute of each built-in declaration, in mount order (v2's seeded campaign ids come first,
# and /api/v2 is mounted before Qlara's /api).
BUILT_IN = (("simulator.faces.v2", "V2"), ("simulator.faces.v1", "V1"), ("simulator.faces.qlara", "QLARA"))

_FACES: list[Face] = []


def _registry() -> list[Face]:
    if not _FACES:
        _FACES.extend(getattr(importlib.import_module(module), name) for module, name in BUILT_IN)
    return _FACES


def faces() -> tuple[Face, ...]:
    """Every registered face, in mount order."""
    return tuple(_registry())


def get(face_id: str) -> Face:
    """The face with this id (KeyError when there is none)."""
    for face in _registry():
        if face.id == face_id:
            return face
    raise KeyError(face_id)


def flows() -> dict[str, Flow]:
    """{"v2.sms": Flow, ...}: every face's channels, in registry order, each carrying its face's documented
    API errors (so scenarios can check a fault's `error: {code: ...}` against them). Built once per registry
    (the journal's billing asks for it per message listed: rebuilding it was a third of a /_sim/messages
    page); each caller gets its own copy of the mapping."""
    if not _FLOWS_CACHE:
        _FLOWS_CACHE.update({f"{face.id}.{channel}": replace(flow, api_errors=face.documented_errors)
                             if face.documented_errors else flow
                             for face in _registry() for channel, flow in face.flows.items()})
    return dict(_FLOWS_CACHE)


_FLOWS_CACHE: dict[str, Flow] = {}  # flows() of the registry as it is; emptied whenever the registry changes


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def by_prefix(path: str) -> Face | None:
    """The face whose API `path` is on (its longest matching prefix or alias), for faults' `face:` and error
    shape."""
    found = [(len(p), face) for face in _registry() for p in (*face.prefixes, *face.aliases) if _under(path, p)]
    return max(found, key=lambda item: item[0])[1] if found else None


def by_mount(path: str) -> Face | None:
    """The face whose sub-app serves `path` (the longest mount or alias), for metrics and logs. Twice per
    request (telemetry, the journal): answered from a small cache of the paths seen last."""
    with contextlib.suppress(KeyError):
        return _MOUNT_CACHE[path]
    best: Face | None = None
    longest = -1
    for face in _registry():
        for mount in (face.mount, *face.aliases):
            if len(mount) > longest and path.startswith(mount) and (len(path) == len(mount) or path[len(mount)] == "/"):
                best, longest = face, len(mount)
    if len(_MOUNT_CACHE) >= _MOUNT_CACHE_MAX:  # paths carry ids: never let them grow the cache without bound
        _MOUNT_CACHE.clear()
    _MOUNT_CACHE[path] = best
    return best


_MOUNT_CACHE: dict[str, Face | None] = {}  # path -> by_mount(path); emptied whenever the registry changes
_MOUNT_CACHE_MAX = 1024


def register(face: Face) -> Callable[[], None]:
    """Add a face (before any face whose mount is a prefix of its own, so aiohttp tries it first); returns
    the undo. ValueError when its id, section, mount or a format name is taken."""
    registry = _registry()
    for other in registry:
        clashes = [what for what, mine, theirs in (("id", face.id, other.id), ("section", face.section, other.section),
                                                   ("mount", face.mount, other.mount)) if mine == theirs]
        clashes += [f"format {f.name!r}" for f in face.formats if f.name in {g.name for g in other.formats}]
        if clashes:
            raise ValueError(f"face {face.id!r} clashes with {other.id!r}: {', '.join(clashes)}")
    at = next((i for i, other in enumerate(registry) if _under(face.mount, other.mount)), len(registry))
    registry.insert(at, face)
    _MOUNT_CACHE.clear()
    _FLOWS_CACHE.clear()

    def undo() -> None:
        if face in registry:
            registry.remove(face)
        _MOUNT_CACHE.clear()
        _FLOWS_CACHE.clear()

    return undo


__all__ = ["BUILT_IN", "Face", "by_mount", "by_prefix", "faces", "flows", "get", "register"]
