"""Horizontal swimlanes over a day or a week, one lane group per team, service, environment or host.

A change on three hosts appears in each of the three host lanes. Columns are wall-clock slots (15 minutes
over a day, one hour over a week); overlapping changes in a group stack into sub-rows, at most
``MAX_ROWS`` of them. A busier run (or a run of more than ``DAY_CROWD`` / ``WEEK_CROWD`` changes, which would
be slivers) is folded into stacks, one per hour of a day or per day of a week, in a row of their own
above the bars: "Thu 3 · 40 changes", expanding to the list (apps/schedule/density.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.safestring import SafeString

from apps.changes.freeze import FreezeOccurrence
from apps.schedule.calendar import FreezeBlock
from apps.schedule.density import Stack, fold, mark_frozen
from apps.schedule.slots import MINUTES_PER_DAY, day_bounds, slot_range, wall_minutes
from apps.schedule.visible import Entry, group_by_environment

MAX_ROWS = 6
WEEK_CROWD = 6
DAY_CROWD = 8  # over a day a slot is ~10 px: a run of more than this many short changes is slivers too
MAX_GROUPS = 100
NONE_LABELS = {"team": "No team", "service": "No service", "environment": "No environment", "host": "No host"}


@dataclass
class Bar:
    entry: Entry
    col: int
    cols: int
    starts_before: bool
    ends_after: bool
    row: int = 1

    @property
    def place(self) -> str:
        return (
            f"bar cs-{self.col} cw-{self.cols} rs-{self.row}"
            + (" from-before" if self.starts_before else "")
            + (" to-after" if self.ends_after else "")
        )

    @property
    def html(self) -> SafeString:
        return self.entry.link(self.place)


@dataclass
class Group:
    label: str
    url: str
    order: tuple
    bars: list[Bar] = field(default_factory=list)
    overflow: list[Entry] = field(default_factory=list)
    stacks: list[Stack] = field(default_factory=list)  # in row 1 when there are any
    rows: int = 1

    @property
    def total(self) -> int:
        return len(self.bars) + len(self.overflow) + sum(stack.count for stack in self.stacks)

    @property
    def overflow_groups(self) -> list[tuple[str, list[Entry]]]:
        return group_by_environment(self.overflow)


@dataclass
class Tick:
    col: int
    cols: int
    label: str
    day: date
    is_today: bool
    query: str = ""  # the day view of this day, set by the page


@dataclass
class Timeline:
    slots: int
    ticks: list[Tick]
    groups: list[Group]
    hidden_groups: int
    freezes: list[FreezeBlock]
    now_col: int | None


class _Axis:
    """Maps instants to 1-based wall-clock slot columns across the shown days."""

    def __init__(self, days: list[date], zone: ZoneInfo):
        self.zone = zone
        self.bounds = day_bounds(days, zone)
        self.slot_minutes = 15 if len(days) == 1 else 60
        self.per_day = MINUTES_PER_DAY // self.slot_minutes
        self.total = self.per_day * len(days)

    def _position(self, instant: datetime) -> int:
        """Minutes from the first shown midnight, on the wall clock of the day the instant falls in."""
        if instant <= self.bounds[0].start:
            return 0
        for index, bound in enumerate(self.bounds):
            if instant < bound.end:
                return index * MINUTES_PER_DAY + wall_minutes(instant, bound, self.zone)
        return len(self.bounds) * MINUTES_PER_DAY

    def columns(self, start: datetime, end: datetime, minimum: int = 1) -> tuple[int, int]:
        first = self._position(start)
        last = max(self._position(end), first + 1)
        return slot_range(first, last, self.slot_minutes, minimum, self.total)

    @property
    def start(self) -> datetime:
        return self.bounds[0].start

    @property
    def end(self) -> datetime:
        return self.bounds[-1].end


class _HostUrls(dict):
    """Host page URLs, reversed once per host and page (a host is in many entries; reverse() is slow)."""

    def __missing__(self, hostname: str) -> str:
        url = self[hostname] = reverse("inventory:host_detail", args=[hostname])
        return url


def _group_keys(entry: Entry, group: str, host_urls: _HostUrls) -> list[tuple[tuple, str, str]]:
    """(sort order, label, url) of each lane group the entry belongs to."""
    change = entry.change
    if group == "team":
        if change.team_id:
            return [((0, change.team.name.lower()), change.team.name, change.team.get_absolute_url())]
    elif group == "environment":
        environment = change.environment
        return [((0, environment.order, environment.name), environment.name, "")]
    elif group == "service":
        if entry.services:
            return [((0, name), name, "") for name in entry.services]
    elif entry.hosts:
        return [((0, name), name, host_urls[name]) for name in entry.hosts]
    return [((1,), NONE_LABELS[group], "")]


def build_timeline(
    entries: list[Entry],
    freezes: list[FreezeOccurrence],
    *,
    days: list[date],
    group: str,
    zone: ZoneInfo,
    now: datetime,
) -> Timeline:
    axis = _Axis(days, zone)
    today = now.astimezone(zone).date()
    if len(days) == 1:
        step = 60 // axis.slot_minutes
        ticks = [Tick(hour * step + 1, step, f"{hour:02d}:00", days[0], False) for hour in range(24)]
    else:
        ticks = [
            Tick(index * axis.per_day + 1, axis.per_day, f"{day:%a} {day.day} {day:%b}", day, day == today)
            for index, day in enumerate(days)
        ]

    groups: dict[str, Group] = {}
    members: dict[str, list[Bar]] = defaultdict(list)
    host_urls = _HostUrls()
    for entry in entries:
        col, cols = axis.columns(entry.change.eff_start, entry.change.eff_end)
        for order, label, url in _group_keys(entry, group, host_urls):
            groups.setdefault(label, Group(label=label, url=url, order=order))
            members[label].append(
                Bar(
                    entry=entry,
                    col=col,
                    cols=cols,
                    starts_before=entry.change.eff_start < axis.start,
                    ends_after=entry.change.eff_end > axis.end,
                )
            )
    ordered = sorted(groups.values(), key=lambda item: item.order)
    week = len(days) > 1
    bucket = axis.per_day if week else 60 // axis.slot_minutes  # a stack per day of a week, per hour of a day
    for item in ordered[:MAX_GROUPS]:
        folded = fold(
            members[item.label],
            start=lambda bar: bar.col,
            end=lambda bar: bar.col + bar.cols,
            order=lambda bar: (bar.col, -bar.cols, bar.entry.change.pk),
            lanes=MAX_ROWS,
            bucket=bucket,
            crowd=WEEK_CROWD if week else DAY_CROWD,
        )
        offset = 1 if folded.stacks else 0
        for bar, row in folded.shown:
            bar.row = row + offset
            item.bars.append(bar)
        for stack in folded.stacks:
            stack.label = ticks[(stack.first - 1) // bucket].label
            stack.place = f"rs-1 cs-{stack.first} cw-{stack.size}"
        item.stacks = folded.stacks
        item.rows = (folded.lanes if folded.shown else 0) + offset or 1

    blocks = []
    for occurrence in freezes:
        col, cols = axis.columns(max(occurrence.start, axis.start), min(occurrence.end, axis.end))
        blocks.append(FreezeBlock(occurrence, row=1, span=1, col=col, cols=cols))
    for item in ordered[:MAX_GROUPS]:
        mark_frozen(item.stacks, [(block.col, block.col + block.cols, block.occurrence.name) for block in blocks])
    now_col = axis.columns(now, now)[0] if axis.start <= now < axis.end else None
    return Timeline(
        slots=axis.total,
        ticks=ticks,
        groups=ordered[:MAX_GROUPS],
        hidden_groups=max(len(ordered) - MAX_GROUPS, 0),
        freezes=blocks,
        now_col=now_col,
    )
