"""The OpenAPI document: valid 3.1, served, readable offline, and in step with the app's routes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from simulator.openapi import FragmentError, load_document, merge_fragments
from simulator.openapi.document import operations
from tests.conftest import Sim, default_config

# The v1 face's private path variables: `{_sN:[tT][rR]...}` is a literal in any letter case, `{_slash:/?}` an
# optional trailing slash (see simulator/faces/v1/routes.py). The document names the path they stand for.
_ANY_CASE = re.compile(r"\(\?P<(_s\d+)>((?:\[[a-z][A-Z]\]|[a-z0-9_-])+)\)")


def documented_path(resource: web.AbstractResource) -> str:
    """The resource's path as the document writes it (v1's any-case literals and optional slash resolved)."""
    path = resource.canonical
    pattern = resource.get_info().get("pattern")
    if isinstance(pattern, re.Pattern):
        for name, literal in _ANY_CASE.findall(pattern.pattern):
            path = path.replace(f"{{{name}}}", re.sub(r"\[([a-z])[A-Z]\]", r"\1", literal))
    return path.replace("{_slash}", "")


def app_operations(app: web.Application) -> set[tuple[str, str]]:
    """Every (METHOD, full path) the app routes, sub-applications included (HEAD twins of GET left out).

    A mounted sub-app's resources already carry its prefix in `canonical`.
    """
    found: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:
            found |= app_operations(info["app"])
            continue
        for route in resource:
            if route.method != "HEAD":
                found.add((route.method, documented_path(resource)))
    return found


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    from simulator import create_app

    routed = app_operations(create_app(default_config()))
    documented = operations(load_document())
    undocumented = sorted(routed - documented)
    phantom = sorted(documented - routed)
    assert not undocumented, f"routes missing from simulator/openapi/*.yaml: {undocumented}"
    assert not phantom, f"documented in simulator/openapi/*.yaml but not routed: {phantom}"
    assert ("POST", "/api/v2/campaigns/{campaignId}/messages") in routed  # the walk reaches sub-apps
    assert ("GET", "/v1/transactional/govsg/{messageId}") in routed  # v1's any-case paths are resolved


async def test_served_document_is_a_valid_openapi_31_document(sim: Sim) -> None:
    response = await sim.client.get("/_sim/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    document: dict[str, Any] = await response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any schema violation


async def test_docs_page_lists_every_operation_and_needs_no_network(sim: Sim) -> None:
    response = await sim.client.get("/_sim/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    for method, path in operations(load_document()):
        assert f'{method.lower()}">{method}</span>{path}' in page
    assert "recipient*: string" in page and '<a href="#schema-V2SendRequest">V2SendRequest</a>' in page
    assert 'id="schema-V2SendRequest"' in page  # the link has a target
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "http://" not in page.replace("http://127.0.0.1:8080", "")


def test_fragments_may_not_describe_the_same_operation_twice() -> None:
    base = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}}
    one: dict[str, Any] = {"paths": {"/x": {"get": {"responses": {}}}}}
    with pytest.raises(FragmentError, match="GET /x is already described"):
        merge_fragments(base, [("a.yaml", one), ("b.yaml", one)])
    with pytest.raises(FragmentError, match="components.schemas.S"):
        merge_fragments(base, [("a.yaml", {"components": {"schemas": {"S": {}}}}),
                               ("b.yaml", {"components": {"schemas": {"S": {}}}})])
    merged = merge_fragments(base, [("a.yaml", one), ("b.yaml", {"paths": {"/x": {"post": {"responses": {}}}}})])
    assert operations(merged) == {("GET", "/x"), ("POST", "/x")}
