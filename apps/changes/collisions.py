"""Other changes that share a host or a service with a planned window, and the freezes it hits.

Host conflicts use the covering (host_id, eff_start, change_id) INCLUDE (eff_end) index: the scan on
eff_start is bounded below by the longest a change may last (settings.MAX_CHANGE_DURATION_HOURS).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from apps.changes.choices import ChangeStatus
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change, ChangeHost
from apps.inventory.models import Host

IGNORED_STATUSES = (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)


@dataclass
class Conflict:
    change: Change
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
    by_change: dict[int, Conflict] = {}
    host_hits: dict[int, list[str]] = defaultdict(list)
    service_hits: dict[int, list[str]] = defaultdict(list)

    host_ids = list(host_ids)
    if host_ids:
        # Ids only: an index-only scan. Joining the hosts for their names (and sorting by them, the model's default
        # ordering) made the planner hash the whole host table; the few names are looked up by primary key instead.
        rows = (
            ChangeHost.objects.filter(
                host_id__in=host_ids, eff_start__gt=scan_floor, eff_start__lt=window_end, eff_end__gt=window_start
            )
            .exclude(change_id=exclude_change_id)
            .order_by()
            .values_list("change_id", "host_id")
        )
        hits = list(rows)
        names = dict(Host.objects.filter(pk__in={host_id for _, host_id in hits}).values_list("pk", "hostname"))
        for change_id, host_id in hits:
            host_hits[change_id].append(names[host_id])

    service_ids = list(service_ids)
    if service_ids:
        through = Change.services.through
        rows = (
            through.objects.filter(
                service_id__in=service_ids,
                change__eff_start__gt=scan_floor,
                change__eff_start__lt=window_end,
                change__eff_end__gt=window_start,
            )
            .exclude(change_id=exclude_change_id)
            .values_list("change_id", "service__name")
        )
        for change_id, service_name in rows:
            service_hits[change_id].append(service_name)

    candidate_ids = set(host_hits) | set(service_hits)
    changes = (
        Change.objects.filter(pk__in=candidate_ids)
        .exclude(status__in=IGNORED_STATUSES)
        .select_related("environment", "team")
        .order_by("eff_start", "id")
        if candidate_ids
        else []
    )
    for change in changes:
        by_change[change.pk] = Conflict(
            change=change, hosts=sorted(host_hits.get(change.pk, [])), services=sorted(service_hits.get(change.pk, []))
        )

    freezes = []
    if environment_id is not None:
        freezes = freeze_occurrences(start=start, end=end, environment_ids=[environment_id])
    return CollisionReport(conflicts=list(by_change.values()), freezes=freezes, buffer=buffer)


def collisions_for_change(change: Change) -> CollisionReport:
    return find_collisions(
        start=change.eff_start,
        end=change.eff_end,
        host_ids=change.host_links.values_list("host_id", flat=True),
        service_ids=change.services.values_list("pk", flat=True),
        environment_id=change.environment_id,
        exclude_change_id=change.pk,
    )
