"""CSV export of the change list with the list's own filters, streamed in chunks of a fixed query count.

Spreadsheet programs run cells that start with ``=``, ``+``, ``-`` or ``@`` as formulas (CSV injection), so
such cells get a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import islice
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from apps.changes.models import Change
from apps.schedule.feeds import absolute
from apps.schedule.links import load_links

CHUNK = 500
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER = [
    "Reference",
    "Title",
    "Kind",
    "Type",
    "Status",
    "Risk",
    "Environment",
    "Team",
    "Requester",
    "Start",
    "End",
    "Planned start",
    "Planned end",
    "Actual start",
    "Actual end",
    "Hosts",
    "Services",
    "Artifact",
    "Unplanned",
    "URL",
]


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_queryset(filtered: QuerySet[Change]) -> QuerySet[Change]:
    return filtered.select_related("environment", "team", "requester").order_by("-eff_start", "-id")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _row(change: Change, hosts: list[str], services: list[str], zone: ZoneInfo) -> list[str]:
    def when(value):
        return value.astimezone(zone).isoformat(timespec="minutes") if value else ""

    return [
        change.reference,
        change.title,
        change.get_kind_display(),
        change.get_change_type_display(),
        change.get_status_display(),
        change.get_risk_display(),
        str(change.environment),
        str(change.team or ""),
        change.requester.get_username() if change.requester_id else "",
        when(change.eff_start),
        when(change.eff_end),
        when(change.planned_start),
        when(change.planned_end),
        when(change.actual_start),
        when(change.actual_end),
        " ".join(hosts),
        " ".join(services),
        change.artifact,
        "yes" if change.is_unplanned else "no",
        absolute(change.get_absolute_url()),
    ]


def _chunks(changes: Iterable[Change]) -> Iterator[list[Change]]:
    iterator = iter(changes)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def csv_lines(queryset: QuerySet[Change], zone: ZoneInfo) -> Iterator[str]:
    """The header, then one line per change; three queries per chunk of CHUNK changes."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)  # the byte-order mark makes Excel read UTF-8
    for chunk in _chunks(queryset.iterator(chunk_size=CHUNK)):
        links = load_links([change.pk for change in chunk])
        for change in chunk:
            row = _row(change, links.hosts.get(change.pk, []), links.services.get(change.pk, []), zone)
            yield writer.writerow([safe_cell(value) for value in row])
