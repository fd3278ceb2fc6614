"""Identifiers: reproducible under `--seed` (Faker's per-instance seeding, never the global one)."""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

# RFC 4122 version 4: variant bits 10 (bits 62-63 of the low half), version 0100 (bits 76-79)
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (4 << 76)


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self.faker = Faker()
        if seed is not None:
            self.faker.seed_instance(seed)
        self._bits = self.faker.random.getrandbits  # the instance's own Random: fixed once seeded
        self._counters: dict[str, int] = {}  # name -> the last serial given

    def uuid(self) -> str:
        """A version-4 UUID from 128 seeded bits: str(uuid.UUID(int=bits, version=4)) without building a UUID
        object (the same text; one per send, so the object's cost showed in profiles)."""
        bits = (self._bits(128) & _CLEAR) | _SET
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def prefixed(self, prefix: str) -> str:
        """e.g. message_<uuid>, campaign_<uuid>."""
        return f"{prefix}_{self.uuid()}"

    def serial(self, name: str) -> str:
        """Database-style increasing ids (as strings), one sequence per name."""
        serial = self._counters[name] = self._counters.get(name, 0) + 1
        return str(serial)

    def export_state(self) -> dict[str, Any]:
        """Where the streams stand, as plain data (a snapshot: the next ids after a restart continue)."""
        return {"random": random_state(self.faker.random), "serials": dict(self._counters)}

    def import_state(self, data: dict[str, Any]) -> None:
        set_random_state(self.faker.random, data["random"])
        self._counters = {str(name): int(last) for name, last in data["serials"].items()}


def random_state(rng: random.Random) -> list[Any]:
    """A Random's state as JSON-able data: [version, [625 ints], gauss_next]."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_random_state(rng: random.Random, state: list[Any]) -> None:
    """The inverse of `random_state`; ValueError/TypeError on a state of the wrong shape."""
    version, internal, gauss = state
    rng.setstate((int(version), tuple(int(n) for n in internal), None if gauss is None else float(gauss)))
