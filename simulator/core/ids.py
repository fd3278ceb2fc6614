"""Identifiers: reproducible under `--seed` (Faker's per-instance seeding, never the global one)."""

from __future__ import annotations

import uuid
from itertools import count

from faker import Faker


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self.faker = Faker()
        if seed is not None:
            self.faker.seed_instance(seed)
        self._counters: dict[str, count[int]] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.faker.random.getrandbits(128), version=4))

    def prefixed(self, prefix: str) -> str:
        """e.g. message_<uuid>, campaign_<uuid>."""
        return f"{prefix}_{self.uuid()}"

    def serial(self, name: str) -> str:
        """Database-style increasing ids (as strings), one sequence per name."""
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = count(1)
        return str(next(counter))
