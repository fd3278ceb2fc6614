"""What the `faults:` block decides per request: which faults hit, latency, and the one error/drop/timeout.

Each fault counts the requests it matches per tenant (for `nth`/`first`/`every` schedules); `probability`
draws from a stream seeded by `--seed`. Applying the decision over HTTP is runtime.faults' job, so this
module knows no face and no HTTP.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass
from typing import Any

from simulator.core.ids import random_state, set_random_state
from simulator.scenarios.model import FaultSpec, PlanState


@dataclass(slots=True)
class Decision:
    latency: float = 0.0
    fault: FaultSpec | None = None     # the error, drop or timeout to apply, if any
    names: tuple[str, ...] = ()


class FaultState:
    """Per-fault request counts and the seeded random stream; restarted on reload and full reset."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.restart()

    def restart(self) -> None:
        self.rng = random.Random(self.seed)
        self.counts: dict[tuple[int, str], int] = {}

    def forget(self, tenant: str) -> None:
        self.counts = {k: v for k, v in self.counts.items() if k[1] != tenant}

    def export_state(self) -> dict[str, Any]:
        """The stream's position and the per-fault counts, as plain data (snapshots)."""
        return {"random": random_state(self.rng), "counts": [[i, t, n] for (i, t), n in self.counts.items()]}

    def import_state(self, data: dict[str, Any]) -> None:
        set_random_state(self.rng, data["random"])
        self.counts = {(int(i), str(t)): int(n) for i, t, n in data["counts"]}

    def decide(self, faults: tuple[FaultSpec, ...], plans: PlanState, method: str, face: str | None, path: str,
               tenant: str, any_case: bool = False) -> Decision:
        """`face`: the id of the face whose API the path is on (None: none); `plans`: the scenario state
        whose start `active:` windows count from; `any_case`: that face's routes match in any letter case
        (v1), so a `path:` glob does too: a fault written for one spelling hits every request the route serves."""
        decision = Decision()
        names = []
        for index, fault in enumerate(faults):
            if ((fault.face is not None and fault.face != face)
                    or (fault.methods is not None and method not in fault.methods)
                    or (fault.path is not None and not _path_matches(path, fault.path, any_case))
                    or (fault.tenant is not None and fault.tenant != tenant)
                    or (fault.active is not None and not plans.active(fault.active))):
                continue
            slot = (index, tenant)
            k = self.counts.get(slot, 0) + 1
            self.counts[slot] = k
            if not fault.due(k, self.rng):
                continue
            terminal = fault.status is not None or fault.drop or fault.timeout is not None
            if terminal and decision.fault is not None:
                continue
            names.append(fault.name)
            if fault.latency is not None:
                decision.latency += fault.latency.sample(self.rng)
            if terminal:
                decision.fault = fault
        decision.names = tuple(names)
        return decision


def _path_matches(path: str, glob: str, any_case: bool) -> bool:
    return fnmatch.fnmatchcase(path.lower(), glob.lower()) if any_case else fnmatch.fnmatchcase(path, glob)
