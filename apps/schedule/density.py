"""Busy stretches of a day column or a timeline lane, folded into stacks with a count.

A run of overlapping items (a *cluster*: each overlaps the run so far) that needs more side-by-side lanes than
fit readably, or holds more items than a lane shows legibly, is not drawn as a fence of 20-pixel slivers: its
items go into *stacks*, one per fixed bucket of the axis (an hour of a day column, a day of a week timeline) by
start. A stack is one full-width block at its bucket, "08:00 · 16 changes", that expands to the list of its
changes, and carries what must stay visible: how many collide, and whether a freeze covers it.

Positions are grid units (1-based rows or columns, ``end`` exclusive) so the same function serves the week/day
grid and the timeline. Quiet clusters keep their lanes, packed as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.utils.safestring import SafeString

from apps.schedule import markup
from apps.schedule.slots import pack_lanes

T = TypeVar("T")


@dataclass
class Stack(Generic[T]):
    """The items of one dense cluster that start in one bucket, drawn over ``[first, first + size)`` of the axis."""

    first: int
    size: int
    items: list[T] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)  # names of the freezes that overlap the bucket
    label: str = ""  # e.g. the bucket's start time, set by the caller
    place: str = ""  # its grid classes, set by the caller

    @property
    def entries(self) -> list:
        """The calendar entries (a grid segment or a timeline bar holds one), by start time."""
        entries = [getattr(item, "entry", item) for item in self.items]
        return sorted(entries, key=lambda entry: (entry.start, entry.change.pk))

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def collisions(self) -> int:
        return sum(1 for item in self.items if getattr(item, "entry", item).collisions)

    @property
    def html(self) -> SafeString:
        """The stack as a ``<details>`` that expands to its list (built in Python, see apps/schedule/markup.py)."""
        return markup.stack_html(self)


@dataclass
class Folded(Generic[T]):
    shown: list[tuple[T, int]]  # (item, 1-based lane) of the quiet clusters
    stacks: list[Stack[T]]

    @property
    def lanes(self) -> int:
        return max((lane for _item, lane in self.shown), default=1)


def clusters(items: Sequence[T], start: Callable[[T], int], end: Callable[[T], int]) -> list[list[T]]:
    """Runs of overlapping items, in start order (items touching end to start do not overlap)."""
    runs: list[list[T]] = []
    run_end = None
    for item in sorted(items, key=start):
        if run_end is not None and start(item) < run_end:
            runs[-1].append(item)
            run_end = max(run_end, end(item))
        else:
            runs.append([item])
            run_end = end(item)
    return runs


def fold(
    items: Sequence[T],
    *,
    start: Callable[[T], int],
    end: Callable[[T], int],
    order: Callable[[T], tuple],  # by start first: lanes are packed in this order
    lanes: int,
    bucket: int,
    crowd: int | None = None,
    origin: int = 1,
) -> Folded[T]:
    """Lanes for the quiet clusters, stacks for the dense ones.

    A cluster is dense when packing it takes more than ``lanes`` lanes, or (with ``crowd``) when it holds more
    than ``crowd`` items. Its items are stacked by the bucket their start falls in: buckets are ``bucket`` units
    wide, counted from ``origin`` (row 1 = midnight, so bucket 4 of 15-minute rows is an hour).
    """
    runs = [sorted(run, key=order) for run in clusters(items, start, end)]
    packed = [pack_lanes(run, start, end) for run in runs]
    dense = [
        max(lanes_of) > lanes or (crowd is not None and len(run) > crowd)
        for run, lanes_of in zip(runs, packed, strict=True)
    ]

    def bucket_of(position: int) -> int:
        return origin + (position - origin) // bucket * bucket

    # A quiet run under a stack's bucket would hide beneath it: it joins the stacks too, until none is left.
    changed = True
    while changed:
        covered = {
            bucket_of(start(item)) for run, is_dense in zip(runs, dense, strict=True) if is_dense for item in run
        }
        changed = False
        for index, run in enumerate(runs):
            if dense[index]:
                continue
            low, high = min(start(item) for item in run), max(end(item) for item in run)
            if any(first < high and low < first + bucket for first in covered):
                dense[index] = changed = True

    shown: list[tuple[T, int]] = []
    stacks: dict[int, Stack[T]] = {}
    for run, lanes_of, is_dense in zip(runs, packed, dense, strict=True):
        if not is_dense:
            shown.extend(zip(run, lanes_of, strict=True))
            continue
        for item in run:
            first = bucket_of(start(item))
            stacks.setdefault(first, Stack(first=first, size=bucket)).items.append(item)
    ordered = [stacks[key] for key in sorted(stacks)]
    # A stack reaches as far as its changes run, up to the next stack: a 09:00 run of two-hour changes covers 09–11.
    for stack, following in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True):
        reach = max(end(item) for item in stack.items)
        if following is not None:
            reach = min(reach, following.first)
        stack.size = max(bucket, reach - stack.first)
    return Folded(shown=shown, stacks=ordered)


def mark_frozen(stacks: Sequence[Stack], freezes: Sequence[tuple[int, int, str]]) -> None:
    """Name on each stack the freezes ``(first, end, name)`` that overlap its bucket."""
    for stack in stacks:
        names = {name for first, last, name in freezes if first < stack.first + stack.size and stack.first < last}
        stack.frozen = sorted(names)
