"""Line and column for a problem found in scenarios.yaml, from the YAML node tree (yaml.compose).

The loader names a place as a path such as ``rules[2].match.recipient``; keys may contain dots
(timeline names like ``v2.delivered``), so each step takes the longest key that fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_UNKNOWN = re.compile(r"unknown (?:top-level )?key(?:\(s\))? \['([^']+)'")


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def render(self) -> str:
        at = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        where = f"{self.where}: " if self.where else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{at}{where}{self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        return {"where": self.where, "message": self.message, "line": self.line, "column": self.column,
                "hint": self.hint}


def locate(text: str, problems: list[tuple[str, str, str | None]]) -> list[Problem]:
    """Attach the line and column of each (where, message) pair; problems come back in file order."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    found = []
    for where, message, hint in problems:
        node = _find(root, where) if root is not None else None
        unknown = _UNKNOWN.search(message)
        if unknown and isinstance(node, yaml.MappingNode):
            node = next((k for k, _ in node.value if str(k.value) == unknown.group(1)), node)
        if node is None:
            found.append(Problem(where, message, hint=hint))
        else:
            found.append(Problem(where, message, node.start_mark.line + 1, node.start_mark.column + 1, hint))
    return sorted(found, key=lambda p: (p.line or 0, p.column or 0))


def _find(node: yaml.Node, where: str) -> yaml.Node | None:
    rest = where
    while rest:
        if isinstance(node, yaml.SequenceNode):
            index = re.match(r"^\[(\d+)\]\.?", rest)
            if index is None or int(index.group(1)) >= len(node.value):
                return node
            node = node.value[int(index.group(1))]
            rest = rest[index.end():]
        elif isinstance(node, yaml.MappingNode):
            best = None
            for key, value in node.value:
                name = str(key.value)
                if (rest == name or rest.startswith((name + ".", name + "["))) and (
                        best is None or len(name) > len(best[0])):
                    best = (name, value)
            if best is None:
                return node
            node = best[1]
            rest = rest[len(best[0]):].lstrip(".")
        else:
            return node
    return node
