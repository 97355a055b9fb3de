"""Other changes that share a host or a service with a planned window, and the freezes it hits.

Host conflicts use the covering (host_id, eff_start, change_id) INCLUDE (eff_end) index: the scan on
eff_start is bounded below by the longest a change may last (settings.MAX_CHANGE_DURATION_HOURS).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Q, Subquery

from apps.accounts.models import Team
from apps.changes.choices import ChangeStatus
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change, ChangeHost
from apps.inventory.models import Host

IGNORED_STATUSES = (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)
# What the warnings show of a conflicting change (changes/partials/collision_warnings.html, the approval inbox row),
# read with the links in the same query. The check runs while the change form is filled in; the other fields stay
# deferred (loaded on access).
_SHOWN = {"id", "title", "status", "eff_start", "eff_end", "team_id"}
# In the model's field order, as Model.from_db expects them.
_CHANGE_FIELDS = tuple(field.attname for field in Change._meta.concrete_fields if field.attname in _SHOWN)
_EFF_START = _CHANGE_FIELDS.index("eff_start")
_CHANGE_COLUMNS = (*(f"change__{name}" for name in _CHANGE_FIELDS), "change__team__name")


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


def _conflicting(links, name, *, exclude_change_id: int | None, **window) -> list[tuple]:
    """(change_id, name, *the change's shown fields) of each link in the window to a change that still counts."""
    condition = Q(**window) & ~Q(change__status__in=IGNORED_STATUSES)
    if exclude_change_id is not None:
        condition &= ~Q(change_id=exclude_change_id)
    return list(links.filter(condition).order_by().values_list("change_id", name, *_CHANGE_COLUMNS))


def _hostname() -> Subquery:
    # A correlated subquery stays a primary-key lookup per link row. Joining the hosts instead let the planner
    # misestimate the link rows and hash the whole host table.
    return Subquery(Host.objects.filter(pk=OuterRef("host_id")).order_by().values("hostname"))


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
    host_ids, service_ids = list(host_ids), list(service_ids)
    rows: dict[int, tuple] = {}
    host_hits: dict[int, list[str]] = defaultdict(list)
    service_hits: dict[int, list[str]] = defaultdict(list)
    if host_ids:
        for change_id, hostname, *change in _conflicting(
            ChangeHost.objects.annotate(hostname=_hostname()),
            "hostname",
            exclude_change_id=exclude_change_id,
            host_id__in=host_ids,
            eff_start__gt=scan_floor,
            eff_start__lt=window_end,
            eff_end__gt=window_start,
        ):
            host_hits[change_id].append(hostname)
            rows[change_id] = change
    if service_ids:
        for change_id, service_name, *change in _conflicting(
            Change.services.through.objects,
            "service__name",
            exclude_change_id=exclude_change_id,
            service_id__in=service_ids,
            change__eff_start__gt=scan_floor,
            change__eff_start__lt=window_end,
            change__eff_end__gt=window_start,
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
