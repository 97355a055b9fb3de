"""Changes that collide: one engine for the change form and the calendar.

Two changes collide when they share a host or a service and their effective windows overlap (strictly: windows
that only touch do not). Cancelled and rejected changes collide with nothing. Two questions are asked:

- ``find_collisions``: one window, widened by COLLISION_BUFFER_MINUTES, against every other change. The change
  form's live Conflicts panel and the approval inbox show the result: each conflicting change with the hosts and
  services it shares, and the freeze windows the window hits.
- ``collisions_among``: each change of a calendar page against every change overlapping it, shown or filtered out
  (a release filtered to "kind: release" still shows that it collides with an OS patch on the same host), with no
  buffer: the ⚠ flags mark real overlaps only.

Both ask the same question of the database (``_links`` for the form, ``_window_links`` for the calendar): the
link rows on the given hosts or services whose window overlaps [start, end), of changes that count. Link rows carry
their change's window, so the covering indexes (host_id, eff_start, change_id) INCLUDE (eff_end) and (service_id,
eff_start) INCLUDE (eff_end, change_id) answer it; the scan on eff_start is bounded below by the longest a change
may last (settings.MAX_CHANGE_DURATION_HOURS).
The form's query also carries what its warning shows (the change's title, status, window and team, the host or
service name), so its check is one query per kind of link; the calendar's reads both kinds in one statement, gets
each window as integer microseconds for the sweep that pairs them, and finds the cancelled and rejected changes once
by the same time bounds (index change_status_eff_start) rather than joining each of its thousands of rows to its
change.

The query is written in SQL: building it through the ORM cost ~3 ms of Python per call, several times what
PostgreSQL needs to answer the form's check (docs/benchmarks.md). The SQL is portable (PostgreSQL and SQLite) and
names its tables from the models' meta.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection

from apps.accounts.models import Team
from apps.changes import state_machine
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change, ChangeHost, ChangeService
from apps.inventory.models import Host, Service
from apps.platform.expressions import AnyOf, EpochMicroseconds

IGNORED_STATUSES = tuple(sorted(state_machine.WILL_NOT_RUN))
# What the warnings show of a conflicting change (changes/partials/collision_warnings.html, the approval inbox row),
# read with the links in the same query. The check runs while the change form is filled in; the other fields stay
# deferred (loaded on access).
_SHOWN = {"id", "title", "status", "eff_start", "eff_end", "team_id"}
# In the model's field order, as Model.from_db expects them.
_CHANGE_FIELDS = tuple(field.attname for field in Change._meta.concrete_fields if field.attname in _SHOWN)
_EFF_START = _CHANGE_FIELDS.index("eff_start")
_EFF_END = _CHANGE_FIELDS.index("eff_end")


class _LinkKind(NamedTuple):
    label: str
    table: str
    column: str  # the host or service id on the link row
    named_table: str
    name_column: str


HOSTS = _LinkKind("host", ChangeHost._meta.db_table, "host_id", Host._meta.db_table, "hostname")
SERVICES = _LinkKind("service", ChangeService._meta.db_table, "service_id", Service._meta.db_table, "name")


def _bounds(start: datetime, end: datetime) -> tuple:
    """(floor, start, end) as query parameters: a link overlapping [start, end) starts after the floor, since no
    change lasts longer than MAX_CHANGE_DURATION_HOURS."""
    adapt = connection.ops.adapt_datetimefield_value
    return adapt(start - timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)), adapt(start), adapt(end)


def _links(
    kind: _LinkKind,
    ids: list[int],
    *,
    start: datetime,
    end: datetime,
    exclude_change_id: int | None = None,
) -> list[tuple]:
    """The link rows to ``ids`` whose window overlaps [start, end), of changes that are not cancelled or rejected:
    (change_id, host or service name, *the change's _CHANGE_FIELDS, team name) per row.

    The name comes from a correlated subquery, a primary-key lookup per link row (joining instead let the planner
    misestimate the link rows and hash the whole host table). A few rows, joined to their change anyway for what the
    warning shows: its status is at hand.
    """
    change = Change._meta.db_table
    floor, start_at, end_at = _bounds(start, end)
    on_ids, params = AnyOf.raw(f"l.{kind.column}", ids, connection.vendor)
    params += [floor, end_at, start_at, *IGNORED_STATUSES]
    ignored = ", ".join(["%s"] * len(IGNORED_STATUSES))
    shown = ", ".join(f"c.{name}" for name in _CHANGE_FIELDS)
    sql = (
        f"SELECT l.change_id, "
        f"(SELECT n.{kind.name_column} FROM {kind.named_table} n WHERE n.id = l.{kind.column}), "
        f"{shown}, t.name FROM {kind.table} l JOIN {change} c ON c.id = l.change_id "
        f"LEFT JOIN {Team._meta.db_table} t ON t.id = c.team_id "
        f"WHERE {on_ids} AND l.eff_start > %s AND l.eff_start < %s AND l.eff_end > %s AND c.status NOT IN ({ignored})"
    )
    if exclude_change_id is not None:
        sql += " AND l.change_id <> %s"
        params.append(exclude_change_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _window_links(ids: Mapping[_LinkKind, list[int]], *, start: datetime, end: datetime) -> list[tuple]:
    """The calendar's reading of the same rule, every kind in one statement: (kind's index in ``ids``, host or
    service id, change_id, start µs, end µs) per link row to ``ids`` overlapping [start, end), of changes that are
    not cancelled or rejected.

    Thousands of rows: the cancelled and rejected changes in the same time bounds are read once (a CTE, hashed by
    each part) instead of a primary-key lookup per row (5× the SQL time on a production week).
    """
    vendor = connection.vendor
    floor, start_at, end_at = _bounds(start, end)
    ignored = ", ".join(["%s"] * len(IGNORED_STATUSES))
    params: list = [*IGNORED_STATUSES, floor, end_at]
    parts = []
    start_us, end_us = EpochMicroseconds.raw("l.eff_start", vendor), EpochMicroseconds.raw("l.eff_end", vendor)
    for index, (kind, key_ids) in enumerate(ids.items()):
        if not key_ids:
            continue
        on_ids, on_params = AnyOf.raw(f"l.{kind.column}", key_ids, vendor)
        parts.append(
            f"SELECT {index}, l.{kind.column}, l.change_id, {start_us}, {end_us} FROM {kind.table} l "
            f"WHERE {on_ids} AND l.eff_start > %s AND l.eff_start < %s AND l.eff_end > %s "
            f"AND l.change_id NOT IN (SELECT id FROM ignored)"
        )
        params += [*on_params, floor, end_at, start_at]
    if not parts:
        return []
    sql = (
        f"WITH ignored AS (SELECT x.id FROM {Change._meta.db_table} x "
        f"WHERE x.status IN ({ignored}) AND x.eff_start > %s AND x.eff_start < %s) " + " UNION ALL ".join(parts)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The change form and the approval inbox: one window against everything.


@dataclass
class Conflict:
    change: Change  # loaded with _CHANGE_FIELDS only
    hosts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


@dataclass
class CollisionReport:
    conflicts: list[Conflict]
    freezes: list[FreezeOccurrence]
    buffer: timedelta

    def __bool__(self) -> bool:
        return bool(self.conflicts or self.freezes)

    @property
    def buffer_label(self) -> str:
        minutes = int(self.buffer.total_seconds() // 60)
        if minutes and minutes % 60 == 0:
            return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
        return f"{minutes} minutes"


def _aware(values: list) -> list:
    # PostgreSQL returns aware datetimes; SQLite's declared-type converter returns naive UTC ones.
    for index in (_EFF_START, _EFF_END):
        if values[index] is not None and values[index].tzinfo is None:
            values[index] = values[index].replace(tzinfo=UTC)
    return values


def _change(values: list, team_name: str | None) -> Change:
    change = Change.from_db(DEFAULT_DB_ALIAS, _CHANGE_FIELDS, _aware(values))
    if change.team_id is not None:
        change.team = Team.from_db(DEFAULT_DB_ALIAS, ("id", "name"), (change.team_id, team_name))
    return change


def find_collisions(
    *,
    start: datetime,
    end: datetime,
    host_ids=(),
    service_ids=(),
    environment_id: int | None = None,
    exclude_change_id: int | None = None,
    buffer: timedelta | None = None,
) -> CollisionReport:
    """Changes sharing a host or a service with [start, end) widened by ``buffer``, and the freezes it hits.

    ``buffer`` defaults to settings.COLLISION_BUFFER_MINUTES; conflicts come soonest first (then by id).
    """
    if buffer is None:
        buffer = timedelta(minutes=settings.COLLISION_BUFFER_MINUTES)
    window = {"start": start - buffer, "end": end + buffer, "exclude_change_id": exclude_change_id}
    rows: dict[int, tuple[list, str | None]] = {}  # the change's shown fields and team name
    shared: dict[_LinkKind, dict[int, list[str]]] = {HOSTS: defaultdict(list), SERVICES: defaultdict(list)}
    for kind, ids in ((HOSTS, list(host_ids)), (SERVICES, list(service_ids))):
        if ids:
            for change_id, name, *values, team_name in _links(kind, ids, **window):
                shared[kind][change_id].append(name)
                rows[change_id] = (values, team_name)
    conflicts = [
        Conflict(
            change=_change(*row), hosts=sorted(shared[HOSTS][change_id]), services=sorted(shared[SERVICES][change_id])
        )
        for change_id, row in sorted(rows.items(), key=lambda item: (item[1][0][_EFF_START], item[0]))
    ]

    freezes = []
    if environment_id is not None:
        freezes = freeze_occurrences(start=start, end=end, environment_ids=[environment_id])
    return CollisionReport(conflicts=conflicts, freezes=freezes, buffer=buffer)


def collisions_for_change(change: Change) -> CollisionReport:
    return find_collisions(
        start=change.eff_start,
        end=change.eff_end,
        host_ids=change.host_links.order_by().values_list("host_id", flat=True),
        service_ids=change.services.values_list("pk", flat=True),
        environment_id=change.environment_id,
        exclude_change_id=change.pk,
    )


# The calendar: every shown change against everything, no buffer.


class Collision(NamedTuple):
    """The other change and the hosts and services the two share (hosts first, each by name)."""

    other_id: int
    via: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"CHG-{self.other_id}"

    def __str__(self) -> str:
        return f"{self.reference} on {', '.join(self.via)}"


def _pairs(intervals: list[tuple[int, int, int]]) -> Iterator[tuple[int, int]]:
    """Pairs of distinct change ids whose [start, end) intervals overlap.

    After sorting by start, the partners of an interval that start at or after it are the next ones starting
    before its end; the only one among them not overlapping it is an empty interval at its very start.
    """
    intervals.sort()
    starts = [start for start, _end, _id in intervals]
    for index, (start, end, change_id) in enumerate(intervals):
        for _other_start, other_end, other_id in intervals[index + 1 : bisect_left(starts, end, index + 1)]:
            if other_end > start and other_id != change_id:
                yield change_id, other_id


def collisions_among(
    *,
    change_ids: Collection[int],
    hosts: Mapping[int, str],
    services: Mapping[int, str],
    start: datetime,
    end: datetime,
) -> dict[int, list[Collision]]:
    """Collisions of each of ``change_ids`` with any change (listed or not) overlapping it within [start, end).

    ``hosts`` and ``services``: the names, by id, of the hosts and services those changes are linked to.
    """
    kinds = ((HOSTS, hosts), (SERVICES, services))
    by_key: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (start µs, end µs, change id)
    rows = _window_links({kind: list(names) for kind, names in kinds}, start=start, end=end)
    for index, key_id, change_id, eff_start, eff_end in rows:
        by_key[index, key_id].append((eff_start, eff_end, change_id))
    # A host or service with one change on it pairs nothing; the others are labelled once ("host web01").
    labelled = [
        (f"{kinds[index][0].label} {kinds[index][1][key_id]}", intervals)
        for (index, key_id), intervals in by_key.items()
        if len(intervals) > 1
    ]
    labelled.sort(key=itemgetter(0))  # what two changes share is listed hosts first, each by name

    found: dict[int, dict[int, list[str]]] = defaultdict(dict)
    for label, intervals in labelled:
        for first, second in _pairs(intervals):
            if first in change_ids:
                found[first].setdefault(second, []).append(label)
            if second in change_ids:
                found[second].setdefault(first, []).append(label)
    return {
        change_id: [Collision(other_id, tuple(via)) for other_id, via in sorted(others.items())]
        for change_id, others in found.items()
    }
