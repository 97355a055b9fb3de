"""Hosts and services of the visible changes, and which of them collide, in a fixed number of queries.

Two changes collide when they share a host or a service and their effective windows overlap. The partner
may be hidden by the filters (a release filtered to "kind: release" still shows that it collides with an OS
patch on the same host), so the second pair of queries looks at every change on those hosts and services in
the window, not only at the visible ones. Cancelled and rejected changes collide with nothing
(``apps.changes.collisions.IGNORED_STATUSES``, shared with the collision warnings on the change form).
Unlike those warnings there is no buffer here: the calendar marks real overlaps only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from apps.changes.collisions import IGNORED_STATUSES
from apps.changes.models import Change, ChangeHost


@dataclass
class Links:
    """Host and service names per change id, plus the ids the collision queries need."""

    hosts: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    services: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    host_ids: dict[int, str] = field(default_factory=dict)
    service_ids: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collision:
    other_id: int
    via: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"CHG-{self.other_id}"

    def __str__(self) -> str:
        return f"{self.reference} on {', '.join(self.via)}"


def load_links(change_ids: list[int]) -> Links:
    """Two queries: the host links and the service links of ``change_ids``."""
    links = Links()
    if not change_ids:
        return links
    host_rows = (
        ChangeHost.objects.filter(change_id__in=change_ids)
        .order_by("host__hostname")
        .values_list("change_id", "host_id", "host__hostname")
    )
    for change_id, host_id, hostname in host_rows:
        links.hosts[change_id].append(hostname)
        links.host_ids[host_id] = hostname
    through = Change.services.through
    service_rows = (
        through.objects.filter(change_id__in=change_ids)
        .order_by("service__name")
        .values_list("change_id", "service_id", "service__name")
    )
    for change_id, service_id, name in service_rows:
        links.services[change_id].append(name)
        links.service_ids[service_id] = name
    return links


def _pairs(intervals: list[tuple[datetime, datetime, int]]):
    """Pairs of distinct change ids whose [start, end) intervals overlap (a sweep over the sorted starts)."""
    intervals.sort()
    active: list[tuple[datetime, datetime, int]] = []
    for start, end, change_id in intervals:
        active = [item for item in active if item[1] > start]
        for other_start, _other_end, other_id in active:
            if other_id != change_id and other_start < end:
                yield other_id, change_id
        active.append((start, end, change_id))


def find_collisions(
    *, visible_ids: set[int], links: Links, start: datetime, end: datetime
) -> dict[int, list[Collision]]:
    """Collisions of each visible change with any change (visible or not) overlapping it in [start, end)."""
    floor = start - timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
    by_key: dict[str, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    if links.host_ids:
        # Link rows carry their change's window, so the cancelled/rejected ones are found by the same time bounds
        # (index change_status_eff_start): no join from every link row to its change, and no ordering by hostname.
        ignored = Change.objects.filter(status__in=IGNORED_STATUSES, eff_start__gt=floor, eff_start__lt=end)
        rows = (
            ChangeHost.objects.filter(
                host_id__in=list(links.host_ids), eff_start__gt=floor, eff_start__lt=end, eff_end__gt=start
            )
            .exclude(change_id__in=ignored.values("pk"))
            .order_by()
            .values_list("host_id", "change_id", "eff_start", "eff_end")
        )
        for host_id, change_id, eff_start, eff_end in rows:
            by_key[f"host {links.host_ids[host_id]}"].append((eff_start, eff_end, change_id))
    if links.service_ids:
        rows = (
            Change.services.through.objects.filter(
                service_id__in=list(links.service_ids),
                change__eff_start__gt=floor,
                change__eff_start__lt=end,
                change__eff_end__gt=start,
            )
            .exclude(change__status__in=IGNORED_STATUSES)
            .values_list("service_id", "change_id", "change__eff_start", "change__eff_end")
        )
        for service_id, change_id, eff_start, eff_end in rows:
            by_key[f"service {links.service_ids[service_id]}"].append((eff_start, eff_end, change_id))

    found: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key in sorted(by_key):
        for first, second in _pairs(by_key[key]):
            if first in visible_ids:
                found[first][second].append(key)
            if second in visible_ids:
                found[second][first].append(key)
    return {
        change_id: [Collision(other_id, tuple(via)) for other_id, via in sorted(others.items())]
        for change_id, others in found.items()
    }
