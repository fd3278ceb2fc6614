"""Identifiers: reproducible under `--seed` (Faker's per-instance seeding, never the global one)."""

from __future__ import annotations

from itertools import count

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
        self._counters: dict[str, count[int]] = {}

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
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = count(1)
        return str(next(counter))
