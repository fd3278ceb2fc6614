"""Time on a replica: only the stream's entries move it.

While an entry is applied, `EntryTime` is the wall time written in that entry (never this machine's clock,
and never going back when two replicas' clocks disagree a little), so every replica computes the same
simulated time for the same entry. The real clock follows real time in steps: at each entry, and at the
lease holder's ticks (TICK seconds apart while something is due). The scheduler never wakes on its own.
"""

from __future__ import annotations

from simulator.clock import LAST_EPOCH, ManualClock, SystemClock, check_speed

NEVER = float("inf")


class EntryTime:
    """The wall time of the entry being applied (seconds since the epoch)."""

    def __init__(self, start: float) -> None:
        self._wall = start

    def __call__(self) -> float:
        return self._wall

    def enter(self, wall: float) -> None:
        """Entries are appended by replicas whose clocks may differ a little: time never goes back."""
        if wall > self._wall:
            self._wall = wall


class ReplicatedManualClock(ManualClock):
    """The manual clock, started where the stream's first replica started it."""

    def real_seconds_until(self, when: float) -> float:
        return NEVER  # due work runs when an entry (a tick) is applied, never between two

    def now_at(self, wall: float) -> float:
        return self.now()


class ReplicatedSystemClock(SystemClock):
    """Real time (scaled by speed) at the entry being applied: base + (entry wall - base wall) * speed."""

    def __init__(self, entry: EntryTime, speed: float, start: float) -> None:
        super().__init__(speed=speed, start=start)
        self._entry = entry
        self._base_real = start  # wall seconds here, not monotonic ones

    def now(self) -> float:
        return self.now_at(self._entry())

    def now_at(self, wall: float) -> float:
        """The simulated time an entry written at `wall` would see."""
        return min(LAST_EPOCH, self._base_sim + (wall - self._base_real) * self._speed)

    def set_speed(self, speed: float) -> None:
        check_speed(speed)
        self._base_sim = self.now()
        self._base_real = self._entry()
        self._speed = speed

    def real_seconds_until(self, when: float) -> float:
        return NEVER

    def bases(self) -> dict[str, float]:
        """Where the clock stands, as a checkpoint keeps it."""
        return {"sim": self._base_sim, "real": self._base_real, "speed": self._speed}

    def set_bases(self, data: dict[str, float]) -> None:
        check_speed(float(data["speed"]))
        self._base_sim, self._base_real, self._speed = float(data["sim"]), float(data["real"]), float(data["speed"])
