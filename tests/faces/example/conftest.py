"""The example face registers itself for its tests only: register() before, its undo after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.faces import register
from tests.faces.example.face import EXAMPLE


@pytest.fixture(autouse=True)
def example_face() -> Iterator[None]:
    undo = register(EXAMPLE)
    yield
    undo()
