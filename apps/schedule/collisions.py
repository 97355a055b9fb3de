"""Hosts and services of the visible changes, and which of them collide, in a fixed number of queries.

Two changes collide when they share a host or a service and their effective windows overlap. The partner
may be hidden by the filters (a release filtered to "kind: release" still shows that it collides with an OS
patch on the same host), so the second pair of queries looks at every change on those hosts and services in
the window, not only at the visible ones. Cancelled and rejected changes collide with nothing
(``apps.changes.collisions.IGNORED_STATUSES``, shared with the collision warnings on the change form).
Unlike those warnings there is no buffer here: the calendar marks real overlaps only.

The partner queries return each window as integer microseconds (``EpochMicroseconds``): a production week
reads ~8,000 partner rows, and the sweep only compares instants.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings

from apps.changes.collisions import IGNORED_STATUSES
from apps.changes.models import Change, ChangeHost, ChangeService
from apps.schedule.expressions import AnyOf, EpochMicroseconds

HOST, SERVICE = "host", "service"


@dataclass
class Links:
    """Host and service names per change id, plus the ids the collision queries need."""

    hosts: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    services: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    host_ids: dict[int, str] = field(default_factory=dict)
    service_ids: dict[int, str] = field(default_factory=dict)


class Collision(NamedTuple):
    """The other change and the hosts and services the two share (hosts first, each by name)."""

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
        ChangeHost.objects.filter(AnyOf("change_id", change_ids))
        .order_by("host__hostname")
        .values_list("change_id", "host_id", "host__hostname")
    )
    for change_id, host_id, hostname in host_rows:
        links.hosts[change_id].append(hostname)
        links.host_ids[host_id] = hostname
    through = Change.services.through
    service_rows = (
        through.objects.filter(AnyOf("change_id", change_ids))
        .order_by("service__name")
        .values_list("change_id", "service_id", "service__name")
    )
    for change_id, service_id, name in service_rows:
        links.services[change_id].append(name)
        links.service_ids[service_id] = name
    return links


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


def _partner_rows(links: Links, start: datetime, end: datetime) -> dict[tuple[str, int], list[tuple[int, int, int]]]:
    """(start µs, end µs, change id) of every non-ignored change on each of those hosts and services."""
    floor = start - timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
    by_key: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
    if links.host_ids:
        # Link rows carry their change's window, so the cancelled/rejected ones are found by the same time bounds
        # (index change_status_eff_start): no join from every link row to its change, and no ordering by hostname.
        ignored = Change.objects.filter(status__in=IGNORED_STATUSES, eff_start__gt=floor, eff_start__lt=end)
        rows = (
            ChangeHost.objects.filter(
                AnyOf("host_id", links.host_ids), eff_start__gt=floor, eff_start__lt=end, eff_end__gt=start
            )
            .exclude(change_id__in=ignored.values("pk"))
            .order_by()
            .values_list("host_id", "change_id", EpochMicroseconds("eff_start"), EpochMicroseconds("eff_end"))
        )
        for host_id, change_id, eff_start, eff_end in rows:
            by_key[HOST, host_id].append((eff_start, eff_end, change_id))
    if links.service_ids:
        # Service links carry the window too (index changeservice_service_time): the same shape as the hosts.
        ignored = Change.objects.filter(status__in=IGNORED_STATUSES, eff_start__gt=floor, eff_start__lt=end)
        rows = (
            ChangeService.objects.filter(
                AnyOf("service_id", links.service_ids), eff_start__gt=floor, eff_start__lt=end, eff_end__gt=start
            )
            .exclude(change_id__in=ignored.values("pk"))
            .order_by()
            .values_list("service_id", "change_id", EpochMicroseconds("eff_start"), EpochMicroseconds("eff_end"))
        )
        for service_id, change_id, eff_start, eff_end in rows:
            by_key[SERVICE, service_id].append((eff_start, eff_end, change_id))
    return by_key


def find_collisions(
    *, visible_ids: set[int], links: Links, start: datetime, end: datetime
) -> dict[int, list[Collision]]:
    """Collisions of each visible change with any change (visible or not) overlapping it in [start, end)."""
    by_key = _partner_rows(links, start, end)
    names = {HOST: links.host_ids, SERVICE: links.service_ids}
    labels = {key: f"{key[0]} {names[key[0]][key[1]]}" for key in by_key}

    found: dict[int, dict[int, list[str]]] = defaultdict(dict)
    for key in sorted(by_key, key=labels.__getitem__):
        label = labels[key]
        for first, second in _pairs(by_key[key]):
            for one, other in ((first, second), (second, first)):
                if one in visible_ids:
                    others = found[one]
                    if other in others:
                        others[other].append(label)
                    else:
                        others[other] = [label]
    return {
        change_id: [Collision(other_id, tuple(via)) for other_id, via in sorted(others.items())]
        for change_id, others in found.items()
    }
