"""Other changes that share a host or a service with a planned window, and the freezes it hits.

Host conflicts use the covering (host_id, eff_start, change_id) INCLUDE (eff_end) index: the scan on
eff_start is bounded below by the longest a change may last (settings.MAX_CHANGE_DURATION_HOURS).

The check runs on every edit of the change form's window or hosts, so its two queries are written out in SQL:
building them through the ORM cost ~3 ms of Python per call, several times what PostgreSQL needs to answer them
(docs/benchmarks.md). The SQL is portable (PostgreSQL and SQLite) and names its tables from the models' meta.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection

from apps.accounts.models import Team
from apps.changes.choices import ChangeStatus
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change, ChangeHost, ChangeService
from apps.inventory.models import Host, Service

IGNORED_STATUSES = (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)
# What the warnings show of a conflicting change (changes/partials/collision_warnings.html, the approval inbox row),
# read with the links in the same query. The check runs while the change form is filled in; the other fields stay
# deferred (loaded on access).
_SHOWN = {"id", "title", "status", "eff_start", "eff_end", "team_id"}
# In the model's field order, as Model.from_db expects them.
_CHANGE_FIELDS = tuple(field.attname for field in Change._meta.concrete_fields if field.attname in _SHOWN)
_EFF_START = _CHANGE_FIELDS.index("eff_start")
_EFF_END = _CHANGE_FIELDS.index("eff_end")


def _sql(link_table: str, link_column: str, named_table: str, named_column: str) -> str:
    """Links to ``named_table`` rows in ``link_column`` IN (...), in the window, of changes that still count.

    The name comes from a correlated subquery: a primary-key lookup per link row (joining instead let the planner
    misestimate the link rows and hash the whole host table). {ids} and {ignored} are filled per call.
    """
    change = Change._meta.db_table
    team = Team._meta.db_table
    shown = ", ".join(f"c.{name}" for name in _CHANGE_FIELDS)
    return (
        f"SELECT l.change_id, (SELECT n.{named_column} FROM {named_table} n WHERE n.id = l.{link_column}), "
        f"{shown}, t.name FROM {link_table} l "
        f"JOIN {change} c ON c.id = l.change_id LEFT JOIN {team} t ON t.id = c.team_id "
        f"WHERE l.{link_column} IN ({{ids}}) AND l.eff_start > %s AND l.eff_start < %s "
        f"AND l.eff_end > %s AND c.status NOT IN ({{ignored}})"
    )


_HOST_SQL = _sql(ChangeHost._meta.db_table, "host_id", Host._meta.db_table, "hostname")
# Service links carry the change's window too (index changeservice_service_time).
_SERVICE_SQL = _sql(ChangeService._meta.db_table, "service_id", Service._meta.db_table, "name")


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


def _conflicting(sql: str, ids: list[int], *, exclude_change_id: int | None, window: tuple) -> list[tuple]:
    """(change_id, name, *the change's shown fields, team name) of each link in the window to a change that counts."""
    ops = connection.ops
    params = [*ids, *(ops.adapt_datetimefield_value(moment) for moment in window), *IGNORED_STATUSES]
    exclude = ""
    if exclude_change_id is not None:
        exclude = " AND l.change_id <> %s"
        params.append(exclude_change_id)
    query = sql.format(ids=", ".join(["%s"] * len(ids)), ignored=", ".join(["%s"] * len(IGNORED_STATUSES)))
    with connection.cursor() as cursor:
        cursor.execute(query + exclude, params)
        return [_aware(row) for row in cursor.fetchall()]


def _aware(row: tuple) -> tuple:
    # PostgreSQL returns aware datetimes; SQLite's declared-type converter returns naive UTC ones.
    row = list(row)
    for index in (2 + _EFF_START, 2 + _EFF_END):
        if row[index] is not None and row[index].tzinfo is None:
            row[index] = row[index].replace(tzinfo=UTC)
    return tuple(row)


def _change(row: tuple) -> Change:
    *values, team_name = row
    change = Change.from_db(DEFAULT_DB_ALIAS, _CHANGE_FIELDS, values)
    if change.team_id is not None:
        change.team = Team.from_db(DEFAULT_DB_ALIAS, ("id", "name"), (change.team_id, team_name))
    return change


def _bounds(start: datetime, end: datetime, buffer: timedelta) -> tuple[datetime, datetime, datetime]:
    longest = timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
    return start - buffer, end + buffer, start - buffer - longest


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
    if buffer is None:
        buffer = timedelta(minutes=settings.COLLISION_BUFFER_MINUTES)
    window_start, window_end, scan_floor = _bounds(start, end, buffer)
    window = (scan_floor, window_end, window_start)  # in the order of the SQL's conditions
    host_ids, service_ids = list(host_ids), list(service_ids)
    rows: dict[int, tuple] = {}
    host_hits: dict[int, list[str]] = defaultdict(list)
    service_hits: dict[int, list[str]] = defaultdict(list)
    if host_ids:
        for change_id, hostname, *change in _conflicting(
            _HOST_SQL, host_ids, exclude_change_id=exclude_change_id, window=window
        ):
            host_hits[change_id].append(hostname)
            rows[change_id] = change
    if service_ids:
        for change_id, service_name, *change in _conflicting(
            _SERVICE_SQL, service_ids, exclude_change_id=exclude_change_id, window=window
        ):
            service_hits[change_id].append(service_name)
            rows[change_id] = change
    conflicts = [
        Conflict(change=_change(row), hosts=sorted(host_hits[change_id]), services=sorted(service_hits[change_id]))
        for change_id, row in sorted(rows.items(), key=lambda item: (item[1][_EFF_START], item[0]))
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
