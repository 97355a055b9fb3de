"""The hosts and services of the changes a calendar page, feed or export shows, in two queries.

The collisions between them are found by ``apps.changes.collisions.collisions_among``, from the host and service
ids gathered here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from apps.changes.models import Change, ChangeHost
from apps.platform.expressions import AnyOf


@dataclass
class Links:
    """Host and service names per change id, plus the names by id the collision queries need."""

    hosts: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    services: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    host_ids: dict[int, str] = field(default_factory=dict)
    service_ids: dict[int, str] = field(default_factory=dict)


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
