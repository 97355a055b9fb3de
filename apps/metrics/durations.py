"""Median and 90th percentile of a duration per week and over the period, computed where the data is.

PostgreSQL: ``percentile_cont`` in the GROUP BY (one query for the weeks, one for the period). SQLite has no
percentile aggregate: there the durations of the filtered set only (never the whole table) are read back sorted
and interpolated in Python exactly as ``percentile_cont`` does, so both databases give the same figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Expression, F, FloatField, Func, QuerySet
from django.db.models.aggregates import Aggregate
from django.db.models.functions import Trunc

FRACTIONS = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Spread:
    """How many durations, their median and 90th percentile in seconds (None: no data)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def empty(cls) -> Spread:
        return cls(0, None, None)

    @property
    def median_hours(self) -> float | None:
        return None if self.median is None else round(self.median / 3600, 2)

    @property
    def p90_hours(self) -> float | None:
        return None if self.p90 is None else round(self.p90 / 3600, 2)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated ``fraction`` percentile of the expression."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra):
        # A literal, not a parameter: it is one of FRACTIONS, never user input.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class Seconds(Func):
    """``end - start`` in seconds, never negative (PostgreSQL)."""

    template = "GREATEST(EXTRACT(EPOCH FROM (%(expressions)s)), 0)"
    arg_joiner = " - "
    output_field = FloatField()


def percentile(ordered: list[float], fraction: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks of the sorted values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _week_of(value: datetime, zone: ZoneInfo) -> date:
    return value.astimezone(zone).date()


def spreads(
    rows: QuerySet, *, start: Expression | F, end: Expression | F, week_of: str, zone: ZoneInfo
) -> tuple[dict[date, Spread], Spread]:
    """Per week (by the ``week_of`` field, the week starting Monday in ``zone``) and over all ``rows``: the spread
    of ``end - start``. Rows where either end is unknown are left out."""
    week = Trunc(week_of, "week", tzinfo=zone)
    if connection.vendor == "postgresql":
        rows = rows.alias(_from=start, _to=end).filter(_from__isnull=False, _to__isnull=False)
        # The expressions themselves, not the aliases: Django does not aggregate over an alias.
        aggregates = {name: PercentileCont(Seconds(end, start), fraction=f) for name, f in FRACTIONS.items()}
        weekly = rows.annotate(_week=week).values("_week").annotate(n=Count("pk"), **aggregates).order_by("_week")
        per_week = {_week_of(r["_week"], zone): Spread(r["n"], r["median"], r["p90"]) for r in weekly}
        total = rows.aggregate(n=Count("pk"), **aggregates)
        return per_week, Spread(total["n"], total["median"], total["p90"])
    grouped: dict[date, list[float]] = defaultdict(list)
    everything: list[float] = []
    rows = rows.annotate(_from=start, _to=end, _week=week).filter(_from__isnull=False, _to__isnull=False)
    for week_start, begun, ended in rows.values_list("_week", "_from", "_to"):
        seconds = max((ended - begun).total_seconds(), 0.0)
        grouped[_week_of(week_start, zone)].append(seconds)
        everything.append(seconds)
    per_week = {}
    for key, values in grouped.items():
        values.sort()
        per_week[key] = Spread(len(values), *(percentile(values, f) for f in FRACTIONS.values()))
    everything.sort()
    return per_week, Spread(len(everything), *(percentile(everything, f) for f in FRACTIONS.values()))
