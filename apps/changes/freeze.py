"""Freeze windows as concrete occurrences in a time range, recurring ones expanded.

The calendar, the ICS feed, the collision warnings and the pipeline gate all read freezes through here.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.changes.models import FreezeWindow
from apps.changes.models.freeze import parse_recurrence

# A recurring rule without an end could expand forever; no view needs more occurrences than this.
MAX_OCCURRENCES_PER_WINDOW = 1000


@dataclass(frozen=True)
class FreezeOccurrence:
    window: FreezeWindow
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        return self.window.name


def occurrences_of(window: FreezeWindow, start: datetime, end: datetime) -> list[FreezeOccurrence]:
    """Occurrences of ``window`` that overlap [start, end)."""
    duration = window.end - window.start
    if not window.recurrence:
        if window.start < end and window.end > start:
            return [FreezeOccurrence(window, window.start, window.end)]
        return []
    # Expand in the site's zone so "every Saturday 00:00" stays 00:00 local across a DST switch.
    rule = parse_recurrence(window.recurrence, window.start.astimezone(ZoneInfo(settings.TIME_ZONE)))
    found = []
    for count, occurrence_start in enumerate(rule.xafter(start - duration, inc=True)):
        if occurrence_start >= end or count >= MAX_OCCURRENCES_PER_WINDOW:
            break
        if occurrence_start + duration > start:
            found.append(FreezeOccurrence(window, occurrence_start, occurrence_start + duration))
    return found


def freeze_occurrences(*, start: datetime, end: datetime, environment_ids=None) -> list[FreezeOccurrence]:
    """Every freeze occurrence overlapping [start, end), optionally only those covering the given environments."""
    windows = FreezeWindow.objects.candidates(start, end).prefetch_related("environments")
    if environment_ids is not None:
        windows = windows.filter(environments__in=list(environment_ids)).distinct()
    result = []
    for window in windows:
        result.extend(occurrences_of(window, start, end))
    return sorted(result, key=lambda occurrence: (occurrence.start, occurrence.window.pk))
