"""A cheap marker of everything the live bridge shows, so a poll with nothing new costs one query, not a ranking.

The marker is one SQL statement over small, indexed reads: the incident row (status, ``updated``), the count and
newest id of its notes, marks, findings (and the newest withdrawal), backouts (and the newest completion), its
hosts and services, and two global high-water marks of the change tables: the newest change activity (every
write path of a change records one: created, edited, status, host states, ingest) and the newest
``Change.updated``. Both are a single step down an index. They move with any change anywhere, so a busy
organisation re-renders the bridge more often than strictly needed; never less. The bridge also shows
"what happened until now" (changes that began after the incident start, the timeline up to now), so the
marker includes the current minute: an idle bridge re-renders at most once a minute.
"""

import hashlib
from datetime import datetime
from functools import cache

from django.db import connection
from django.utils import timezone

from apps.changes.models import Change, ChangeActivity
from apps.incidents.models import Backout, Incident, IncidentFinding, IncidentNote, SuspectMark

CLOCK_SECONDS = 60


@cache
def marker_sql() -> str:
    def per_incident(model, *aggregates: str) -> list[str]:
        table = model._meta.db_table
        return [f"(SELECT {aggregate} FROM {table} WHERE incident_id = i.id)" for aggregate in aggregates]

    # Scalar subqueries (no LATERAL, which SQLite lacks): one round trip on both backends.
    columns = [
        "i.status",
        "i.updated",
        *per_incident(IncidentNote, "COUNT(*)", "MAX(id)"),
        *per_incident(SuspectMark, "COUNT(*)", "MAX(id)"),
        *per_incident(IncidentFinding, "COUNT(*)", "MAX(id)", "MAX(withdrawn_at)"),
        *per_incident(Backout, "COUNT(*)", "MAX(id)", "MAX(completed_at)"),
        *per_incident(Incident.hosts.through, "COUNT(*)"),
        *per_incident(Incident.services.through, "COUNT(*)"),
        f"(SELECT MAX(id) FROM {ChangeActivity._meta.db_table})",
        f"(SELECT MAX(updated) FROM {Change._meta.db_table})",
    ]
    return f"SELECT {', '.join(columns)} FROM {Incident._meta.db_table} i WHERE i.id = %s"


def live_marker(incident_id: int, *, now: datetime | None = None) -> str | None:
    """The bridge's marker (16 hex characters), or None when there is no such incident."""
    with connection.cursor() as cursor:
        cursor.execute(marker_sql(), [incident_id])
        row = cursor.fetchone()
    if row is None:
        return None
    minute = int((now or timezone.now()).timestamp() // CLOCK_SECONDS)
    return hashlib.sha256(repr((*row, minute)).encode()).hexdigest()[:16]
