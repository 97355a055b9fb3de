"""The changes and freezes a calendar page shows, loaded in a fixed number of queries.

One query for the changes overlapping the window (only the fields the calendar shows), two for their
environments and teams (none for the environments when the filters name them: the filter form has read them), two
for their hosts and services, one for the collisions, two for the freeze windows: the count does not grow with the
number of changes on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString

from apps.changes import state_machine
from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus
from apps.changes.collisions import Collision, collisions_among
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change
from apps.inventory.models import Environment
from apps.platform.reversing import url_maker
from apps.platform.sharing import attach_shared
from apps.schedule import markup
from apps.schedule.links import load_links

# A page never renders more changes than this; the banner asks for a filter instead.
MAX_VISIBLE = 2000
MAX_LISTED_HOSTS = 8
INACTIVE = state_machine.WILL_NOT_RUN
# What the calendar reads of a change: not the long texts, nor the other eight timestamps (Django decodes each
# timestamp in Python, and a page holds up to MAX_VISIBLE changes).
SHOWN_FIELDS = ("title", "kind", "status", "risk", "eff_start", "eff_end", "environment", "team")
# Labels and colours by value, looked up directly: get_FOO_display() rebuilds its choices dict on every call.
KIND_LABELS, STATUS_LABELS, RISK_LABELS = (dict(choices.choices) for choices in (ChangeKind, ChangeStatus, ChangeRisk))
KIND_COLORS = ChangeKind.colors()


def changes_in_window(start: datetime, end: datetime) -> QuerySet[Change]:
    """Changes whose effective window overlaps [start, end).

    The lower bound on ``eff_start`` (no change lasts longer than MAX_CHANGE_DURATION_HOURS) lets the
    ``(eff_start, eff_end)`` index bound the scan on both sides.
    """
    floor = start - timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
    return (
        Change.objects.overlapping(start, end)
        .filter(eff_start__gt=floor)
        .select_related("environment", "team")
        .order_by("eff_start", "id")
    )


def _span_text(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%a %d %b %H:%M} – {end:%H:%M}"
    return f"{start:%a %d %b %H:%M} – {end:%a %d %b %H:%M}"


@dataclass
class Entry:
    """A change as the calendar draws it: local times, hosts, services and collisions attached."""

    change: Change
    start: datetime
    end: datetime
    hosts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    url: str = ""

    # Computed once per entry: a change may be drawn on several days or lanes.
    @cached_property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.change.status, self.change.status)

    @property
    def is_inactive(self) -> bool:
        return self.change.status in INACTIVE

    @cached_property
    def css(self) -> str:
        change = self.change
        css = f"k-{KIND_COLORS.get(change.kind, 'gray')} st-{change.status}"
        if self.is_inactive:
            css += " is-inactive"
        if self.collisions:
            css += " collides"
        return css

    @cached_property
    def time_text(self) -> str:
        return _span_text(self.start, self.end)

    @cached_property
    def collision_text(self) -> str:
        return "; ".join(str(collision) for collision in self.collisions)

    @cached_property
    def meta(self) -> str:
        """Status, environment and team: the third line of the entry."""
        change = self.change
        team = f" · {change.team.name}" if change.team_id else ""
        return f"{self.status_label} · {change.environment.name}{team}"

    @cached_property
    def tooltip(self) -> str:
        change = self.change
        facts = [KIND_LABELS.get(change.kind, change.kind), self.status_label]
        facts.append(f"{RISK_LABELS.get(change.risk, change.risk)} risk")
        facts.append(change.environment.name)
        if change.team_id:
            facts.append(change.team.name)
        lines = [f"{change.reference} · {change.title}", " · ".join(facts), self.time_text]
        if self.hosts:
            more = len(self.hosts) - MAX_LISTED_HOSTS
            listed = ", ".join(self.hosts[:MAX_LISTED_HOSTS]) + (f" (+{more} more)" if more > 0 else "")
            lines.append(f"Hosts: {listed}")
        if self.services:
            lines.append(f"Services: {', '.join(self.services)}")
        if self.collisions:
            lines.append(f"Collides with {self.collision_text}")
        return "\n".join(lines)

    @cached_property
    def tooltip_attr(self) -> str:
        """The tooltip escaped for a ``title`` attribute (long with many collisions: escaped once)."""
        return escape(self.tooltip)

    @cached_property
    def link_parts(self) -> tuple[str, str]:
        return markup.link_parts(self)

    def link(self, place: str, time: str = "") -> SafeString:
        """The entry as a link placed by the ``place`` classes, its start ``time`` before the reference."""
        return markup.place_link(self.link_parts, place, time)

    @cached_property
    def line(self) -> SafeString:
        """The entry as one line of a "+N more" list."""
        return markup.entry_line(self)


def group_by_environment(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries grouped under their environment, environments in their configured order (dev, qa, prod)."""
    groups: dict[int, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.change.environment_id, []).append(entry)
    ordered = sorted(
        groups.values(), key=lambda group: (group[0].change.environment.order, group[0].change.environment.name)
    )
    return [(str(group[0].change.environment), group) for group in ordered]


@dataclass
class Visible:
    entries: list[Entry]
    freezes: list[FreezeOccurrence]
    truncated: bool = False

    @property
    def collision_count(self) -> int:
        return sum(1 for entry in self.entries if entry.collisions)


def chosen_environments(filterset: ChangeFilterSet) -> list[Environment] | None:
    """The environments a valid filterset narrows to (None: all of them)."""
    if not filterset.is_bound or not filterset.is_valid():
        return None
    return list(filterset.form.cleaned_data.get("environment") or ()) or None


def environment_ids(filterset: ChangeFilterSet) -> list[int] | None:
    """The environments a valid filterset narrows to, for the freeze windows (None: all of them)."""
    chosen = chosen_environments(filterset)
    return None if chosen is None else [environment.pk for environment in chosen]


def load_visible(
    *,
    queryset: QuerySet[Change],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    environments: list[Environment] | None,
) -> Visible:
    """``environments``: those the filters narrow to (None: all of them), already read by the filter form."""
    changes = list(queryset.select_related(None).only(*SHOWN_FIELDS)[: MAX_VISIBLE + 1])
    truncated = len(changes) > MAX_VISIBLE
    changes = changes[:MAX_VISIBLE]
    # One instance per environment and team for the whole page (a join would build two per change).
    attach_shared(changes, "environment", known=environments or ())
    attach_shared(changes, "team")
    ids = [change.pk for change in changes]
    links = load_links(ids)
    collisions = collisions_among(
        change_ids=set(ids), hosts=links.host_ids, services=links.service_ids, start=start, end=end
    )
    url_of = url_maker("changes:change_detail")
    entries = [
        Entry(
            change=change,
            start=change.eff_start.astimezone(zone),
            end=change.eff_end.astimezone(zone),
            hosts=links.hosts.get(change.pk, []),
            services=links.services.get(change.pk, []),
            collisions=collisions.get(change.pk, []),
            url=url_of(change.pk),
        )
        for change in changes
    ]
    environment_pks = None if environments is None else [environment.pk for environment in environments]
    freezes = freeze_occurrences(start=start, end=end, environment_ids=environment_pks)
    return Visible(entries=entries, freezes=freezes, truncated=truncated)
