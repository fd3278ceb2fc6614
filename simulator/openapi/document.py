"""Merge `base.yaml` with every other `*.yaml` in this folder (one fragment per face) into one document.

A face adds its endpoints by dropping a fragment here; two fragments may not define the same
operation or component, so a merge never silently hides one face's description behind another's.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.faces import faces

FOLDER = Path(__file__).resolve().parent
BASE = "base.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class FragmentError(ValueError):
    """Two fragments clash, or one is not a mapping."""


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise FragmentError(f"{path.name}: an OpenAPI fragment must be a mapping")
    return data


def merge_fragments(base: Mapping[str, Any], fragments: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Fold named fragments (tags, paths, components) into a copy of `base`."""
    document: dict[str, Any] = copy.deepcopy(dict(base))
    tags: list[dict[str, Any]] = document.setdefault("tags", [])
    paths: dict[str, Any] = document.setdefault("paths", {})
    components: dict[str, dict[str, Any]] = document.setdefault("components", {})
    for name, fragment in fragments:
        unknown = set(fragment) - {"tags", "paths", "components"}
        if unknown:
            raise FragmentError(f"{name}: a fragment holds only tags, paths and components, not {sorted(unknown)}")
        known_tags = {t["name"] for t in tags}
        for tag in fragment.get("tags") or []:
            if tag["name"] in known_tags:
                raise FragmentError(f"{name}: tag {tag['name']!r} is already defined")
            tags.append(copy.deepcopy(tag))
        for path, item in (fragment.get("paths") or {}).items():
            target = paths.setdefault(path, {})
            for key, value in item.items():
                if key in target and (key in METHODS or key != "parameters"):
                    raise FragmentError(f"{name}: {key.upper()} {path} is already described")
                target[key] = copy.deepcopy(value)
        for section, entries in (fragment.get("components") or {}).items():
            target = components.setdefault(section, {})
            for key, value in entries.items():
                if key in target:
                    raise FragmentError(f"{name}: components.{section}.{key} is already defined")
                target[key] = copy.deepcopy(value)
    return document


@functools.cache
def _load(folder: Path) -> dict[str, Any]:
    fragments = [(p.name, _read(p)) for p in sorted(folder.glob("*.yaml")) if p.name != BASE]
    return merge_fragments(_read(folder / BASE), fragments)


def load_document(folder: Path = FOLDER) -> dict[str, Any]:
    """The merged document (a fresh copy: callers may change it), with each face's aliases described too."""
    aliases = [(face.mount, alias) for face in faces() for alias in face.aliases]
    return with_aliases(copy.deepcopy(_load(folder)), aliases)


def with_aliases(document: dict[str, Any], aliases: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Describe each path under `mount + alias` again at `alias` (the same operations, their operationIds
    suffixed `Unprefixed`): Qlara serves its gateway with and without /api."""
    paths: dict[str, Any] = document.setdefault("paths", {})
    for mount, alias in aliases:
        for path, item in list(paths.items()):
            if path.startswith(mount + alias + "/"):
                copied = copy.deepcopy(item)
                for method in METHODS:
                    if isinstance(copied.get(method), dict) and "operationId" in copied[method]:
                        copied[method]["operationId"] += "Unprefixed"
                paths[path[len(mount):]] = copied
    return document


def operations(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Every (METHOD, path) the document describes."""
    return {(method.upper(), path) for path, item in document.get("paths", {}).items()
            for method in item if method in METHODS}
