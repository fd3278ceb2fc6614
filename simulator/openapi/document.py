"""One OpenAPI document: `base.yaml`, the /_sim fragments beside it, and every registered face's fragment.

A face adds its endpoints in its own `openapi.yaml` (`Face.openapi`); two fragments may not define the
same operation or component, so a merge never silently hides one face's description behind another's.
Enums that depend on the faces are written `x-sim-enum: faces|channels|statuses|formats` in the
fragments and filled here from the faces given, so a registered face's ids and statuses are documented
(and fuzzed) as the server accepts them.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.core.flows import channels_of, faces_of, statuses_of
from simulator.faces import Face, faces, flows

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


ENUM = "x-sim-enum"


def fill_enums(node: Any, enums: Mapping[str, list[str]]) -> None:
    """Replace every `x-sim-enum: name` marker by `enum: enums[name]` (a name not given: no enum), in place;
    `name+null` also allows null."""
    if isinstance(node, dict):
        marker = node.pop(ENUM, None)
        name = None if marker is None else str(marker).removesuffix("+null")
        if name is not None and name in enums:
            node["enum"] = [*enums[name], *([None] if marker != name else [])]
        for value in node.values():
            fill_enums(value, enums)
    elif isinstance(node, list):
        for value in node:
            fill_enums(value, enums)


def allow_empty_query_choices(document: dict[str, Any]) -> None:
    """An empty query value (`?face=`, what an HTML form sends for "any") means no filter on /_sim (see
    admin/bodies.query_choice): say so by adding "" to each /_sim query enum, in place."""
    for path, item in (document.get("paths") or {}).items():
        if not path.startswith("/_sim"):
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema") or {}
                if parameter.get("in") == "query" and "" not in schema.get("enum", [""]):
                    schema["enum"] = [*schema["enum"], ""]


@functools.cache
def _load(fragments: tuple[Path, ...], enums: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    document = merge_fragments(_read(FOLDER / BASE), [(p.name if p.parent == FOLDER else str(p), _read(p))
                                                      for p in fragments])
    fill_enums(document, {name: list(values) for name, values in enums})
    allow_empty_query_choices(document)
    return document


def load_document(registered: tuple[Face, ...] | None = None, *,
                  formats: Iterable[str] | None = None) -> dict[str, Any]:
    """The merged document for these faces (default: every registered one, with their aliases), a fresh copy
    callers may change.
    `formats`: the webhook format names (the webhooks layer knows them); without it that enum is left open."""
    chosen = faces() if registered is None else registered
    face_flows = flows() if registered is None else {f"{face.id}.{channel}": flow for face in chosen
                                                      for channel, flow in face.flows.items()}
    enums = {"faces": sorted(faces_of(face_flows)), "channels": sorted(channels_of(face_flows)),
             "statuses": sorted(statuses_of(face_flows))}
    if formats is not None:
        enums["formats"] = sorted(formats)
    own = tuple(p for p in sorted(FOLDER.glob("*.yaml")) if p.name != BASE)
    key = tuple((name, tuple(values)) for name, values in sorted(enums.items()))
    document = copy.deepcopy(_load(own + tuple(face.openapi for face in chosen), key))
    return with_aliases(document, [(face.mount, alias) for face in chosen for alias in face.aliases])


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
