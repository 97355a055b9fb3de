"""Month grid and week/day time grids built from the visible entries.

The templates place everything with CSS grid classes (``rs-N``/``rw-N`` rows, ``cs-N``/``cw-N`` columns,
see static/css/calendar.css), so no inline style is needed. Busy days stay legible: a day column shows at
most ``lanes`` side-by-side lanes, and a run of changes that needs more is folded into hourly stacks with a count
that expand to their list (apps/schedule/density.py); a month cell lists a few entries and the rest go behind a
"+N more" disclosure, grouped by environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString

from apps.changes.freeze import FreezeOccurrence
from apps.schedule.density import Stack, fold, mark_frozen
from apps.schedule.slots import DayBounds, covered_days, day_bounds, pack_lanes, slot_range, wall_minutes
from apps.schedule.visible import Entry, group_by_environment

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES  # 96 rows of 15 minutes
MIN_EVENT_SLOTS = 3  # a short change still gets room for its time and title
WEEK_LANES = 3  # a seventh of 1400 px holds three readable lanes; a busier run is stacked
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
DAY_LANES = 10
MONTH_VISIBLE = 3
STRIP_ROWS = 3
LONG_CHANGE = timedelta(hours=24)  # changes this long run in the strip above the day columns


def _continues(before: bool, after: bool) -> str:
    return (" from-before" if before else "") + (" to-after" if after else "")


@dataclass
class Segment:
    """The part of one entry inside one day column."""

    entry: Entry
    row: int
    span: int
    starts_before: bool
    ends_after: bool
    lane: int = 1
    start_text: str = ""

    @property
    def place(self) -> str:
        """Grid position classes: first row, row span and lane."""
        return f"rs-{self.row} rw-{self.span} cs-{self.lane}" + _continues(self.starts_before, self.ends_after)

    @property
    def html(self) -> SafeString:
        """The entry in its lane of a day column."""
        return self.entry.link(self.place, self.start_text)

    @property
    def month_html(self) -> SafeString:
        """The entry in the list of a month cell."""
        return self.entry.link("month-ev", self.start_text)


@dataclass
class FreezeBlock:
    occurrence: FreezeOccurrence
    row: int
    span: int
    col: int = 1
    cols: int = 1

    @property
    def title(self) -> str:
        environments = ", ".join(str(environment) for environment in self.occurrence.window.environments.all())
        return f"Change freeze: {self.occurrence.name} ({environments})"


@dataclass
class Day:
    day: date
    is_today: bool
    in_period: bool
    segments: list = field(default_factory=list)  # shown in lanes (time grid) or in the list (month)
    overflow: list[Entry] = field(default_factory=list)
    stacks: list[Stack] = field(default_factory=list)  # the time grid's dense runs, an hour each
    freezes: list[FreezeBlock] = field(default_factory=list)
    lanes: int = 1
    now_row: int | None = None
    total: int = 0
    query: str = ""  # the day view of this day, set by the page

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def overflow_groups(self) -> list[tuple[str, list[Entry]]]:
        return group_by_environment(self.overflow)

    @property
    def freeze_names(self) -> list[str]:
        return sorted({block.occurrence.name for block in self.freezes})


@dataclass
class StripBar:
    entry: Entry
    col: int
    cols: int
    row: int
    starts_before: bool
    ends_after: bool

    @property
    def place(self) -> str:
        return f"bar cs-{self.col} cw-{self.cols} rs-{self.row}" + _continues(self.starts_before, self.ends_after)

    @property
    def html(self) -> SafeString:
        return self.entry.link(self.place)


@dataclass
class TimeGrid:
    days: list[Day]
    strip: list[StripBar]
    strip_rows: int
    strip_overflow: list[Entry]

    @property
    def strip_overflow_groups(self) -> list[tuple[str, list[Entry]]]:
        return group_by_environment(self.strip_overflow)

    hours: list[tuple[int, str]] = field(
        default_factory=lambda: [(hour * 60 // SLOT_MINUTES + 1, f"{hour:02d}:00") for hour in range(24)]
    )


def _freeze_blocks(freezes, bounds: list[DayBounds], zone: ZoneInfo, days: list[Day]) -> None:
    for occurrence in freezes:
        for index, start, end in covered_days(occurrence.start, occurrence.end, bounds):
            bound = bounds[index]
            row, span = slot_range(
                wall_minutes(start, bound, zone), wall_minutes(end, bound, zone), SLOT_MINUTES, 1, SLOTS_PER_DAY
            )
            days[index].freezes.append(FreezeBlock(occurrence, row, span))


def _now_row(now: datetime, bound: DayBounds, zone: ZoneInfo) -> int | None:
    if bound.start <= now < bound.end:
        return wall_minutes(now, bound, zone) // SLOT_MINUTES + 1
    return None


def _segment(entry: Entry, start: datetime, end: datetime, bound: DayBounds, zone: ZoneInfo) -> Segment:
    start_minutes = wall_minutes(start, bound, zone)
    end_minutes = max(wall_minutes(end, bound, zone), start_minutes + 1)
    row, span = slot_range(start_minutes, end_minutes, SLOT_MINUTES, MIN_EVENT_SLOTS, SLOTS_PER_DAY)
    starts_before = entry.change.eff_start < bound.start
    return Segment(
        entry=entry,
        row=row,
        span=span,
        starts_before=starts_before,
        ends_after=entry.change.eff_end > bound.end,
        start_text="00:00" if starts_before else f"{start.astimezone(zone):%H:%M}",
    )


def build_time_grid(
    entries: list[Entry], freezes: list[FreezeOccurrence], *, days: list[date], zone: ZoneInfo, now: datetime
) -> TimeGrid:
    """Week (7 columns) or day (1 column) grid: short changes in lanes, long ones in the strip above."""
    bounds = day_bounds(days, zone)
    today = now.astimezone(zone).date()
    columns = [
        Day(day=bound.day, is_today=bound.day == today, in_period=True, now_row=_now_row(now, bound, zone))
        for bound in bounds
    ]
    max_lanes = WEEK_LANES if len(days) > 1 else DAY_LANES
    per_day: list[list[Segment]] = [[] for _ in days]
    long_entries = []
    for entry in entries:
        change = entry.change
        if change.eff_end - change.eff_start >= LONG_CHANGE:
            long_entries.append(entry)
            for index, _start, _end in covered_days(change.eff_start, change.eff_end, bounds):
                columns[index].total += 1
            continue
        for index, start, end in covered_days(change.eff_start, change.eff_end, bounds):
            per_day[index].append(_segment(entry, start, end, bounds[index], zone))
    for column, segments in zip(columns, per_day, strict=True):
        folded = fold(
            segments,
            start=lambda segment: segment.row,
            end=lambda segment: segment.row + segment.span,
            order=lambda segment: (segment.row, -segment.span, segment.entry.change.pk),
            lanes=max_lanes,
            bucket=SLOTS_PER_HOUR,
        )
        for segment, lane in folded.shown:
            segment.lane = lane
            column.segments.append(segment)
        column.segments.sort(key=lambda segment: (segment.row, segment.lane))
        for stack in folded.stacks:
            stack.label = f"{(stack.first - 1) // SLOTS_PER_HOUR:02d}:00"
            stack.place = f"rs-{stack.first} rw-{stack.size}"
        column.stacks = folded.stacks
        column.total += len(segments)
        column.lanes = folded.lanes
    _freeze_blocks(freezes, bounds, zone, columns)
    for column in columns:
        mark_frozen(column.stacks, [(b.row, b.row + b.span, b.occurrence.name) for b in column.freezes])

    strip: list[StripBar] = []
    strip_overflow: list[Entry] = []
    bars = []
    for entry in long_entries:
        covered = list(covered_days(entry.change.eff_start, entry.change.eff_end, bounds))
        first, last = covered[0][0], covered[-1][0]
        bars.append(
            StripBar(
                entry=entry,
                col=first + 1,
                cols=last - first + 1,
                row=1,
                starts_before=entry.change.eff_start < bounds[first].start,
                ends_after=entry.change.eff_end > bounds[last].end,
            )
        )
    rows = pack_lanes(bars, lambda bar: bar.col, lambda bar: bar.col + bar.cols)
    for bar, row in zip(bars, rows, strict=True):
        bar.row = row
        if row <= STRIP_ROWS:
            strip.append(bar)
        else:
            strip_overflow.append(bar.entry)
    return TimeGrid(
        days=columns,
        strip=strip,
        strip_rows=max((bar.row for bar in strip), default=0),
        strip_overflow=strip_overflow,
    )


def build_month(
    entries: list[Entry],
    freezes: list[FreezeOccurrence],
    *,
    days: list[date],
    month: int,
    zone: ZoneInfo,
    now: datetime,
) -> list[list[Day]]:
    """Weeks of day cells; each cell lists its first entries by start and hides the rest behind "+N more"."""
    bounds = day_bounds(days, zone)
    today = now.astimezone(zone).date()
    cells = [Day(day=bound.day, is_today=bound.day == today, in_period=bound.day.month == month) for bound in bounds]
    listed: list[list[Segment]] = [[] for _ in days]
    for entry in entries:
        change = entry.change
        for index, start, end in covered_days(change.eff_start, change.eff_end, bounds):
            listed[index].append(_segment(entry, start, end, bounds[index], zone))
    for cell, segments in zip(cells, listed, strict=True):
        segments.sort(key=lambda segment: (segment.starts_before is False, segment.row, segment.entry.change.pk))
        cell.segments = segments[:MONTH_VISIBLE]
        cell.overflow = [segment.entry for segment in segments[MONTH_VISIBLE:]]
        cell.total = len(segments)
    _freeze_blocks(freezes, bounds, zone, cells)
    return [cells[offset : offset + 7] for offset in range(0, len(cells), 7)]
