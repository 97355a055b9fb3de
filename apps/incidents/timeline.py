"""The incident's merged timeline: changes starting and ending, per-host executions, and the bridge's notes."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.changes.models import Change
from apps.incidents.models import Incident, IncidentNote
from apps.incidents.suspects import SuspectReport

MAX_ENTRIES = 200
ENDED = {
    ChangeStatus.COMPLETED: "completed",
    ChangeStatus.FAILED: "failed",
    ChangeStatus.BACKED_OUT: "ended (since backed out)",
    ChangeStatus.IN_PROGRESS: "ended",
}


@dataclass
class Entry:
    at: datetime
    kind: str  # incident, start, end, execution, or an IncidentNote kind
    text: str
    change: Change | None = None
    hosts: list[str] = field(default_factory=list)
    state: str = ""
    author: str = ""

    @property
    def state_label(self) -> str:
        try:
            return str(HostExecutionState(self.state).label).lower()
        except ValueError:
            return self.state


def _change_entries(report: SuspectReport, start: datetime, end: datetime) -> list[Entry]:
    entries = []
    for suspect in report.suspects + report.after:
        change = suspect.change
        if change.actual_start and start <= change.actual_start <= end:
            entries.append(Entry(change.actual_start, "start", f"{change.title} started", change=change))
        if change.actual_end and start <= change.actual_end <= end:
            verb = ENDED.get(change.status, "ended")
            entries.append(Entry(change.actual_end, "end", f"{change.title} {verb}", change=change))
    return entries


def _execution_entries(report: SuspectReport, start: datetime, end: datetime) -> list[Entry]:
    """Per-host state changes on the affected hosts, one entry per change, state and minute."""
    listed = {s.change.pk: s.change for s in report.suspects + report.after}
    hostnames = {target.host.pk: target.host.hostname for target in report.targets}
    grouped: dict[tuple, list[str]] = defaultdict(list)
    for host_id, links in report.facts.direct.items():
        for link in links.values():
            when = link.state_changed_at
            if link.change_id in listed and when is not None and start <= when <= end:
                grouped[(when.replace(second=0, microsecond=0), link.change_id, link.state)].append(hostnames[host_id])
    return [
        Entry(when, "execution", "", change=listed[change_id], hosts=sorted(names), state=state)
        for (when, change_id, state), names in grouped.items()
    ]


def _note_entries(incident: Incident) -> list[Entry]:
    notes = IncidentNote.objects.filter(incident=incident).select_related("change").order_by("-created", "-id")
    return [
        Entry(note.created, note.kind, note.text, change=note.change, author=note.author_name)
        for note in notes[:MAX_ENTRIES]
    ]


def build_timeline(incident: Incident, report: SuspectReport, *, now: datetime | None = None) -> list[Entry]:
    """Newest first, from the start of the suspects window until now."""
    now = now or timezone.now()
    start = report.window.start
    entries = [Entry(incident.started_at, "incident", "Symptoms began: incident start")]
    entries += _change_entries(report, start, now)
    entries += _execution_entries(report, start, now)
    entries += _note_entries(incident)
    order = {"incident": 0, "end": 1, "execution": 2, "start": 3}
    entries.sort(key=lambda e: (e.at, -order.get(e.kind, 4), e.change.pk if e.change else 0), reverse=True)
    return entries[:MAX_ENTRIES]
