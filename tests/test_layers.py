"""Layers only point down; no private name crosses a package; a face imports no other face (issue 11).

ALLOWED lists edges still open (none since issue 11 closed); the test also fails when an allowed edge is
gone, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
LAYERS = {"simulator.core": 0, "simulator.clock": 0, "simulator.scenarios": 1,
          "simulator.faces": 2, "simulator.openapi": 2, "simulator.state": 2,
          "simulator.webhooks": 3, "simulator.telemetry": 3, "simulator.journal": 3, "simulator.runtime": 3,
          "simulator.snapshot": 3,
          "simulator.admin": 4, "simulator.dashboard": 4, "simulator.app": 5, "simulator.replicas": 5,
          "simulator.cli": 6, "simulator.testing": 6, "simulator.__main__": 6,
          "simulator": 6}
SHARED_FACE_MODULES = {"simulator.faces.base", "simulator.faces.common", "simulator.faces.credentials",
                       "simulator.faces.formats", "simulator.faces.bodies", "simulator.faces.jsonio"}
# (importer, imported): still open. Empty: keep it so.
ALLOWED: set[tuple[str, str]] = set()


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    return LAYERS[max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)]


def package(module: str) -> str:
    """simulator.faces.v2.routes -> simulator.faces.v2"""
    parts = module.split(".")
    return ".".join(parts[:3]) if len(parts) > 2 else module


def is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.is_dir() or path.with_suffix(".py").exists()


def _entry_point_nodes(tree: ast.AST) -> set[int]:
    """Nodes inside `if __name__ == "__main__":` blocks (entry points, skipped)."""
    return {id(n) for g in ast.walk(tree) if isinstance(g, ast.If) and isinstance(g.test, ast.Compare)
            and isinstance(g.test.left, ast.Name) and g.test.left.id == "__name__" for n in ast.walk(g)}


def imports() -> list[tuple[str, str, str, int]]:
    """(importer, imported module, imported name, line) for every import, function-local ones included."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree, source = ast.parse(path.read_text(encoding="utf-8")), module_of(path)
        skip = _entry_point_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("simulator"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.append((source, full if is_module(full) else str(node.module), alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                found += [(source, a.name, "", node.lineno) for a in node.names if a.name.startswith("simulator")]
    return found


def test_every_module_has_a_layer() -> None:
    loose = [module_of(p) for p in PACKAGE.rglob("*.py") if module_of(p) != "simulator" and max(
        (k for k in LAYERS if module_of(p) == k or module_of(p).startswith(k + ".")), key=len) == "simulator"]
    assert not loose, f"add these to LAYERS: {loose}"


def _upward() -> list[tuple[str, str, int]]:
    return [(s, t, line) for s, t, _, line in imports() if layer(t) > layer(s)]


def test_no_upward_import() -> None:
    up = [f"{s}:{line} imports {t} ({layer(s)} -> {layer(t)})" for s, t, line in _upward() if (s, t) not in ALLOWED]
    assert not up, "\n".join(up)


def test_the_allowlist_only_holds_open_edges() -> None:
    open_edges = {(s, t) for s, t, _ in _upward()} | {(s, t) for s, t, _, _ in imports() if _face_edge(s, t)}
    assert not ALLOWED - open_edges, f"fixed, remove from ALLOWED: {sorted(ALLOWED - open_edges)}"


def test_no_private_name_crosses_a_package() -> None:
    bad = [f"{s}:{line} imports {t}.{n}" for s, t, n, line in imports()
           if n.startswith("_") and package(t) != package(s)]
    assert not bad, "\n".join(bad)


def _face_edge(s: str, t: str) -> bool:
    return (s.startswith("simulator.faces.") and s not in SHARED_FACE_MODULES
            and (t == "simulator.faces" or (t.startswith("simulator.faces.") and package(t) != package(s)
                                            and t not in SHARED_FACE_MODULES)))


def test_a_face_imports_no_other_face_and_not_the_registry() -> None:
    bad = [f"{s}:{line} imports {t}" for s, t, _, line in imports() if _face_edge(s, t) and (s, t) not in ALLOWED]
    assert not bad, "\n".join(bad)
