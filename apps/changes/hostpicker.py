"""Resolving what a requester types or pastes into hosts, without ever dropping a name silently."""

import re
from dataclasses import dataclass

from django.db.models import Q

from apps.inventory.models import Environment, Host, Service, Tag

SEARCH_LIMIT = 20
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class Resolution:
    hosts: list[Host]
    unknown: list[str]

    def without_retired(self) -> tuple["Resolution", list[str]]:
        """For names being added now: retired (inactive) hosts are left out and named, not silently linked.
        Links a change already has keep their retired hosts (history stays as it was)."""
        retired = [host.hostname for host in self.hosts if not host.is_active]
        active = [host for host in self.hosts if host.is_active]
        return Resolution(hosts=active, unknown=self.unknown), retired


def split_names(text: str) -> list[str]:
    """Hostnames from pasted text: one per line, or separated by commas, semicolons or spaces; order kept."""
    seen: dict[str, None] = {}
    for name in _SEPARATORS.split(text or ""):
        name = name.strip().lower()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def resolve(names) -> Resolution:
    # NUL cannot reach PostgreSQL; U+FFFD keeps the pasted name visible as unknown instead of a 500.
    names = [name.replace("\x00", "\ufffd").strip().lower() for name in names if name and name.strip()]
    found = {host.hostname: host for host in Host.objects.filter(hostname__in=names).select_related("environment")}
    unknown = [name for name in dict.fromkeys(names) if name not in found]
    hosts = [found[name] for name in dict.fromkeys(names) if name in found]
    return Resolution(hosts=hosts, unknown=unknown)


def search(query: str, *, exclude=(), limit: int = SEARCH_LIMIT) -> list[Host]:
    """Type-ahead: prefix matches first (index-backed on the lower-case hostname), then substring matches."""
    query = query.replace("\x00", "").strip().lower()
    if not query:
        return []
    base = Host.objects.filter(is_active=True).exclude(hostname__in=list(exclude)).select_related("environment")
    prefix = list(base.filter(hostname__startswith=query).order_by("hostname")[:limit])
    if len(prefix) < limit:
        more = (
            base.filter(Q(hostname__contains=query) | Q(fqdn__icontains=query))
            .exclude(hostname__startswith=query)
            .order_by("hostname")[: limit - len(prefix)]
        )
        prefix.extend(more)
    return prefix


def group_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Groups a requester can add at once, as <optgroup>s: value is 'kind:slug'."""
    return [
        ("Service", [(f"service:{s.slug}", s.name) for s in Service.objects.order_by("name")]),
        ("Environment", [(f"environment:{e.slug}", e.name) for e in Environment.objects.order_by("order", "name")]),
        ("Tag", [(f"tag:{t.slug}", t.name) for t in Tag.objects.order_by("name")]),
    ]


def hosts_of_group(value: str) -> list[Host]:
    kind, _, slug = (value or "").partition(":")
    filters = {
        "service": Q(services__slug=slug),
        "environment": Q(environment__slug=slug),
        "tag": Q(tags__slug=slug),
    }
    if kind not in filters or not slug:
        return []
    return list(Host.objects.active().filter(filters[kind]).distinct().order_by("hostname"))
