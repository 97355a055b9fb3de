"""Many unplanned changes recorded at once (POST /api/v1/change-events/batch): the rows of record_unplanned_change,
each kind inserted by one statement for the whole batch.

The caller validates each change first with ``new_unplanned_change`` (so a refused event is reported before
anything is written) and passes the valid ones here. Every row is built by the same code as the single path
(``unplanned_rows``: link rows through apps.changes.windows, activity entries, the ``change.recorded`` payload);
only the inserts and the freeze lookup are shared: one query for the freeze windows of every change, one insert
per table, one for the outbox events.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from apps.changes import environment_wide
from apps.changes.freeze import occurrences_of
from apps.changes.models import Change, ChangeActivity, ChangeHost, FreezeWindow
from apps.changes.models.change import effective_window
from apps.changes.services.execution import HostState
from apps.changes.services.ingest import unplanned_rows
from apps.events.choices import EventType
from apps.events.services import publish_events
from apps.inventory.models import Host, Service
from apps.platform.actors import as_actor


@dataclass
class UnplannedChange:
    """One change to record: ``change`` as new_unplanned_change returned it (unsaved), with its links."""

    change: Change
    hosts: Sequence[Host] = ()
    host_states: Mapping[Host, HostState] = field(default_factory=dict)
    services: Sequence[Service] = ()
    note: str = ""


class FreezeLookup:
    """review.freezes_hit for many changes from one query: the candidate windows over the span of them all.

    A window that is a candidate for a change's window is one for any span containing it, and occurrences_of
    expands each window over the change's own window, so the answer is the one freezes_hit gives change by change.
    """

    def __init__(self, changes: Sequence[Change]):
        timed = [change for change in changes if change.planned_start and change.planned_end and change.environment_id]
        self.windows: list[FreezeWindow] = []
        if timed:
            start = min(change.planned_start for change in timed)
            end = max(change.planned_end for change in timed)
            self.windows = list(FreezeWindow.objects.candidates(start, end).prefetch_related("environments"))

    def hit(self, change: Change) -> bool:
        if not (change.planned_start and change.planned_end and change.environment_id):
            return False
        start: datetime = change.planned_start
        end: datetime = change.planned_end
        return any(
            occurrences_of(window, start, end)
            for window in self.windows
            if any(environment.pk == change.environment_id for environment in window.environments.all())
        )


@transaction.atomic(savepoint=False)
def record_unplanned_changes(*, actor, items: Sequence[UnplannedChange]) -> list[Change]:
    """Save every item's change with its links, activity entries and ``change.recorded`` event; in the caller's
    transaction (it rolls back as a whole). Returns the saved changes in the order of ``items``."""
    actor = as_actor(actor)
    changes = [item.change for item in items]
    freezes = FreezeLookup(changes)
    for item in items:
        environment_wide.for_new(item.change, hosts=[*item.hosts, *item.host_states], services=item.services)
    for change in changes:
        change.needs_freeze_exception = freezes.hit(change)
        # What Change.save() does before an insert (bulk_create does not call it).
        change.eff_start, change.eff_end = effective_window(
            change.planned_start, change.planned_end, change.actual_start, change.actual_end
        )
    Change.objects.bulk_create(changes)
    for change in changes:
        change._loaded_window = (change.eff_start, change.eff_end)
    rows = [
        unplanned_rows(
            item.change,
            actor=actor,
            hosts=item.hosts,
            host_states=item.host_states,
            services=item.services,
            note=item.note,
        )
        for item in items
    ]
    service_links = [link for row in rows for link in row.service_links]
    if service_links:
        Change.services.through.objects.bulk_create(service_links)
    host_links = [link for row in rows for link in row.host_links]
    if host_links:
        ChangeHost.objects.bulk_create(host_links)
    ChangeActivity.objects.bulk_create([entry for row in rows for entry in row.entries])
    publish_events(
        event_type=EventType.CHANGE_RECORDED,
        payloads=[row.payload(change) for row, change in zip(rows, changes, strict=True)],
    )
    return changes
