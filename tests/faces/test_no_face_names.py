"""Nothing outside `simulator/faces/<id>/` names a face: everything else iterates the registry (issue 11).

ALLOWED lists the modules that still do, each with who removes it; the test also fails when one no longer
does, so the list only shrinks. Only string constants count (docstrings excluded); imported names are the
layer test's business.
"""

from __future__ import annotations

import ast
from pathlib import Path

from simulator import faces

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"
IDS = {face.id for face in faces.faces()}
ALLOWED = {
    "testing/handle.py",          # lasting: the plugin's documented v2 tenant (sim.v2_url, api_key, campaign_id)
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def naming_modules() -> dict[str, list[str]]:
    """{relative path: the face-naming strings in it}, outside the faces' own folders."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.split("/")[0] == "faces" and relative.count("/") > 1:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        names = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in skip
                 and isinstance(node.value, str) and (node.value in IDS or node.value.split(".")[0] in IDS)]
        if names:
            found[relative] = names
    return found


def test_nothing_outside_a_face_names_one() -> None:
    found = naming_modules()
    bad = {path: names for path, names in found.items() if path not in ALLOWED}
    assert not bad, bad
    assert not ALLOWED - set(found), f"fixed, remove from ALLOWED: {sorted(ALLOWED - set(found))}"
