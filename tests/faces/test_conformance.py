"""Every registered face provides every part of a Face (faces/base.py), consistently (issue 11)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from simulator import faces
from simulator.app import create_app
from simulator.clock import ManualClock
from simulator.core.engine import Engine
from simulator.core.flows import NEUTRAL
from simulator.faces.base import Face
from simulator.scenarios.loader import BUNDLED_SCENARIOS, SCENARIO_KEYS
from simulator.scenarios.model import SimConfig
from simulator.scenarios.planner import ScenarioPlanner
from simulator.webhooks.formats import BUILT_IN
from tests.conftest import default_config
from tests.faces.example.face import EXAMPLE

# Every built-in face, and the example face of tests/faces/example (registered only while its case runs).
FACES: tuple[Face, ...] = (*faces.faces(), EXAMPLE)
IDS = [face.id for face in FACES]


@pytest.fixture(autouse=True)
def registered(request: pytest.FixtureRequest) -> Iterator[None]:
    """Register the example face for the cases it is the parameter of (undone after)."""
    callspec = getattr(request.node, "callspec", None)
    undo = faces.register(EXAMPLE) if callspec is not None and callspec.params.get("face") is EXAMPLE else None
    yield
    if undo is not None:
        undo()


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_identity_mount_and_prefixes(face: Face) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", face.id)
    assert IDS.count(face.id) == 1
    assert face.title
    assert face.mount.startswith("/") and not face.mount.endswith("/") and not face.mount.startswith("/_sim")
    assert face.prefixes and all(p == face.mount or p.startswith(face.mount + "/") for p in face.prefixes)
    others = [p for other in FACES if other is not face for p in other.prefixes]
    assert not [(p, q) for p in face.prefixes for q in others if p == q or p.startswith(q + "/")
                or q.startswith(p + "/")]


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_flows_are_consistent(face: Face) -> None:
    assert face.flows
    for flow in face.flows.values():
        statuses = set(flow.statuses)
        assert len(statuses) == len(flow.statuses)
        assert set(flow.initial) <= statuses and flow.terminal <= statuses
        assert set(flow.canonical) <= statuses and set(flow.forced_errors) <= statuses
        assert set(flow.canonical.values()) <= set(NEUTRAL)


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_section(face: Face) -> None:
    assert face.section not in SCENARIO_KEYS | {"webhooks"}
    assert [f.section for f in FACES].count(face.section) == 1
    face.parse_section({})
    with pytest.raises(ValueError, match=face.section):
        face.parse_section(42)
    bundled = yaml.safe_load(Path(BUNDLED_SCENARIOS).read_text(encoding="utf-8")).get(face.section, {})
    jsonschema.validate(bundled, dict(face.section_schema))
    face.parse_section(bundled)
    wrong = {"rate_limit": "fast"}  # every face's section has a rate_limit, and it is never a word
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, dict(face.section_schema))
    with pytest.raises(ValueError, match="rate_limit"):
        face.parse_section(wrong)


def _engine(config: SimConfig) -> Engine:
    clock = ManualClock()
    return Engine(clock, ScenarioPlanner(config.scenarios, 1, clock), faces.flows(), seed=1)


def _paths(face: Face, sub: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for resource in sub.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or ""
        for route in resource:
            if route.method != "HEAD":
                routes.add((route.method, face.mount + path))
    return routes


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_app_and_admin_routes(face: Face) -> None:
    config = default_config()
    sub = face.create_app(_engine(config), config)
    assert _paths(face, sub)
    assert face.openapi.is_file()
    for route in face.admin_routes(sub):
        assert isinstance(route, web.RouteDef) and route.path.startswith(f"/{face.id}/")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
@pytest.mark.parametrize("face", FACES, ids=IDS)
async def test_fault_error_body(face: Face, status: int) -> None:
    app = create_app(default_config())
    request = make_mocked_request("POST", face.prefixes[0] + "/x", app=app)
    response = face.error_body(request, status, retry_after=3)
    assert response.status == status
    assert response.content_type == "application/json"
    assert response.text is not None and response.text.startswith("{")
    internal = face.error_body(request, 500)
    assert internal.text is not None
    if status != 429:  # Qlara's documented 429 has its own body
        assert set(json.loads(response.text)) == set(json.loads(internal.text))


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_banner_and_formats(face: Face) -> None:
    config: SimConfig = default_config()
    assert all(line.startswith("  ") for line in face.banner(config, "http://127.0.0.1:8080"))
    for fmt in face.formats:
        assert fmt.name not in BUILT_IN
        assert fmt.channels <= set(face.flows)


@pytest.mark.parametrize("face", FACES, ids=IDS)
def test_openapi_fragment(face: Face) -> None:
    fragment: dict[str, Any] = yaml.safe_load(face.openapi.read_text(encoding="utf-8"))
    assert set(fragment) <= {"tags", "paths", "components"}
    for path in fragment.get("paths") or {}:
        assert path == face.mount or path.startswith((face.mount + "/", f"/_sim/{face.id}/"))
