"""Shared geometry: local day boundaries, wall-clock positions and lane packing.

Positions are wall-clock: 11:00 local is drawn at 11:00 on every day, including the 23- and 25-hour days of
a DST switch (the repeated hour of an autumn switch overlaps itself, as in any desk calendar). Comparisons
are made on UTC instants, never on local datetimes (Python compares datetimes sharing a tzinfo by wall
clock, which is wrong inside the repeated hour).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apps.schedule.state import local_midnight

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class DayBounds:
    day: date
    start: datetime  # UTC instant of the local midnight
    end: datetime  # UTC instant of the next local midnight


def day_bounds(days: list[date], zone: ZoneInfo) -> list[DayBounds]:
    return [DayBounds(day, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)) for day in days]


def covered_days(start: datetime, end: datetime, bounds: list[DayBounds]) -> Iterator[tuple[int, datetime, datetime]]:
    """(day index, clipped start, clipped end) for each shown day the interval [start, end) touches.

    A zero-length interval touches the day it falls in.
    """
    starts = [bound.start for bound in bounds]
    index = max(bisect.bisect_right(starts, start) - 1, 0)
    while index < len(bounds):
        bound = bounds[index]
        if bound.start >= end and not (start == end and bound.start == start):
            break
        if bound.end > start or (start == end and bound.start <= start < bound.end):
            yield index, max(start, bound.start), min(end, bound.end)
        index += 1


def wall_minutes(instant: datetime, bound: DayBounds, zone: ZoneInfo) -> int:
    """Minutes after local midnight of ``bound.day`` on the wall clock; the day's end is 24:00."""
    if instant >= bound.end:
        return MINUTES_PER_DAY
    if instant <= bound.start:
        return 0
    local = instant.astimezone(zone)
    return local.hour * 60 + local.minute


def slot_range(start_minutes: int, end_minutes: int, slot_minutes: int, minimum: int, total: int) -> tuple[int, int]:
    """1-based first slot and span of [start, end) minutes, at least ``minimum`` slots, inside ``total``."""
    first = start_minutes // slot_minutes
    last = max(-(-end_minutes // slot_minutes), first + 1)
    span = max(last - first, minimum)
    span = min(span, total)
    first = min(first, total - span)
    return first + 1, span


def pack_lanes(items: list, key_start, key_end) -> list[int]:
    """1-based lane of each item (items sorted by start): the first lane free at its start."""
    lane_ends: list[int] = []
    lanes = []
    for item in items:
        start, end = key_start(item), key_end(item)
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lane_ends[lane] = end
                lanes.append(lane + 1)
                break
        else:
            lane_ends.append(end)
            lanes.append(len(lane_ends))
    return lanes
