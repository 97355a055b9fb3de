"""Timing: warm-up, then interleaved rounds of every path of a comparison, then percentiles in milliseconds.

Paths of one comparison (raw SQL, service function, HTTP endpoint) alternate in short rounds over the same
parameter list, so a burst of load from elsewhere on the machine hits all of them alike instead of one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Stats:
    samples: list[float] = field(default_factory=list)  # milliseconds

    @property
    def n(self) -> int:
        return len(self.samples)

    def percentile(self, q: float) -> float:
        """Linear interpolation between closest ranks (q in 0..100)."""
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        rank = (len(ordered) - 1) * q / 100
        low, high = math.floor(rank), math.ceil(rank)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def as_dict(self) -> dict:
        return {"n": self.n, "p50": self.p50, "p95": self.p95, "p99": self.p99}


@dataclass(frozen=True)
class Budget:
    """How many timed calls each path gets: ``rounds`` rounds of ``per_round`` calls, after ``warmup`` calls."""

    warmup: int
    rounds: int
    per_round: int

    def scaled(self, factor: float) -> Budget:
        return Budget(
            warmup=max(1, round(self.warmup * factor)),
            rounds=self.rounds,
            per_round=max(1, round(self.per_round * factor)),
        )


def compare(paths: dict[str, Callable[[object], object]], params: Sequence, budget: Budget) -> dict[str, Stats]:
    """Time each path over ``params`` (cycled), interleaving the paths round by round."""
    stats = {name: Stats() for name in paths}
    for call in paths.values():
        for index in range(budget.warmup):
            call(params[index % len(params)])
    position = 0
    for _ in range(budget.rounds):
        for name, call in paths.items():
            samples = stats[name].samples
            for offset in range(budget.per_round):
                argument = params[(position + offset) % len(params)]
                started = time.perf_counter()
                call(argument)
                samples.append((time.perf_counter() - started) * 1000)
        position += budget.per_round
    return stats
