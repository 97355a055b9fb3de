"""Every write of the incident bridge: each runs in a transaction and leaves a timeline entry.

Backouts also write to the change itself through apps.changes.services (activity entry, per-host
rolled_back states, the backed_out status), so the change's own history tells the same story.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.changes import permissions as change_permissions
from apps.changes import services as change_services
from apps.changes import state_machine
from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeHost
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.incidents import permissions
from apps.incidents.choices import INCIDENT_TRANSITIONS, IncidentStatus, NoteKind, Verdict
from apps.incidents.models import Backout, Incident, IncidentNote, SuspectMark
from apps.inventory.models import Host, Service
from apps.platform.actors import Actor
from apps.platform.errors import DomainError

FUTURE_TOLERANCE = timedelta(minutes=5)
UNDONE_STATES = (HostExecutionState.APPLIED, HostExecutionState.FAILED, HostExecutionState.ROLLED_BACK)


class IncidentError(DomainError):
    """A refused bridge operation, with a message meant for the user (``http_status`` for the API)."""


class IncidentForbidden(IncidentError):
    http_status = 403


class IncidentConflict(IncidentError):
    """Refused because of the record's state (a duplicate, the incident still open): the API answers 409."""

    http_status = 409


def _name(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "system"


def _note(*, incident: Incident, actor, kind: str, text: str, change: Change | None = None) -> IncidentNote:
    author = actor if actor is not None and actor.is_authenticated else None
    return IncidentNote.objects.create(incident=incident, author=author, kind=kind, text=text, change=change)


def _touch(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(updated=timezone.now())


@transaction.atomic
def open_incident(
    *,
    actor,
    title: str,
    started_at: datetime,
    severity: str,
    hosts: Iterable[Host] = (),
    services: Iterable[Service] = (),
    bridge_url: str = "",
    window_hours: int | None = None,
) -> Incident:
    hosts, services = list(hosts), list(services)
    if not hosts and not services:
        raise ValidationError({"hosts": "Name at least one affected host or service: suspects are found through them."})
    if started_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"started_at": "The start is in the future: when did the symptoms begin?"})
    incident = Incident(
        title=title.strip(),
        severity=severity,
        started_at=started_at,
        bridge_url=bridge_url,
        opened_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if window_hours is not None:
        incident.window_hours = window_hours
    incident.full_clean()
    incident.save()
    incident.hosts.set(hosts)
    incident.services.set(services)
    where = ", ".join([h.hostname for h in hosts[:5]] + [s.name for s in services[:5]])
    _note(incident=incident, actor=actor, kind=NoteKind.OPENED, text=f"Incident opened by {_name(actor)} ({where}).")
    publish_event(event_type=EventType.INCIDENT_OPENED, payload=incident_payload(incident))
    return incident


@transaction.atomic
def set_incident_status(*, incident: Incident, status: str, actor, note: str = "") -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    allowed = INCIDENT_TRANSITIONS.get(locked.status, ())
    if status not in allowed:
        names = ", ".join(IncidentStatus(s).label for s in allowed) or "none"
        raise IncidentError(f"{locked.reference} is {locked.get_status_display().lower()}; it can move to: {names}.")
    now = timezone.now()
    previous = locked.status
    locked.status = status
    if status == IncidentStatus.MITIGATED:
        locked.mitigated_at = now
    if status == IncidentStatus.RESOLVED:
        locked.resolved_at = now
        locked.mitigated_at = locked.mitigated_at or now
    if status == IncidentStatus.OPEN:
        locked.resolved_at = None
        locked.mitigated_at = None
    locked.save()
    text = f"{IncidentStatus(previous).label} → {IncidentStatus(status).label} by {_name(actor)}"
    _note(incident=locked, actor=actor, kind=NoteKind.STATUS, text=f"{text}: {note.strip()}" if note.strip() else text)
    if status == IncidentStatus.RESOLVED:
        publish_event(event_type=EventType.INCIDENT_RESOLVED, payload=incident_payload(locked))
    return locked


def incident_payload(incident: Incident) -> dict:
    """What webhooks receive about an incident."""
    return {
        "incident": {
            "id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "started_at": incident.started_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "hosts": sorted(incident.hosts.values_list("hostname", flat=True)),
            "services": sorted(incident.services.values_list("name", flat=True)),
            "url": settings.SITE_URL + incident.get_absolute_url(),
        }
    }


@transaction.atomic
def add_note(*, incident: Incident, actor, text: str) -> IncidentNote:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something before adding a note."})
    note = _note(incident=incident, actor=actor, kind=NoteKind.NOTE, text=text)
    _touch(incident)
    return note


@transaction.atomic
def mark_suspect(*, incident: Incident, change: Change, verdict: str, actor, note: str) -> SuspectMark:
    """Record the bridge's verdict on a suspect; it also lands in the change's own activity log."""
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": f"Unknown verdict {verdict!r}. Valid: {', '.join(Verdict.values)}."})
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why, so the rest of the bridge knows what was checked."})
    mark = SuspectMark.objects.create(
        incident=incident,
        change=change,
        verdict=verdict,
        note=note,
        marked_by=actor if actor is not None and actor.is_authenticated else None,
    )
    label = Verdict(verdict).label.lower()
    _note(
        incident=incident,
        actor=actor,
        kind=NoteKind.MARK,
        change=change,
        text=f"{change.reference} marked {label} by {_name(actor)}: {note}",
    )
    change_services.record_activity(
        change=change, actor=actor, action=ActivityAction.COMMENT, note=f"Marked {label} on {incident}: {note}"
    )
    _touch(incident)
    return mark


def _change_actor(user, change: Change) -> Actor:
    """Who the change services record: the user, with their own edit right, or else with the right to back out
    that a team lead has on any change (checked by _check_backout_rights)."""
    if change_permissions.can_edit(user, change):
        return Actor.person(user)
    return Actor.person(user, authority="team lead: backout")


def _by(user, change: Change, incident: Incident) -> str:
    if change_permissions.can_edit(user, change):
        return f"via {incident.reference}"
    return f"by {_name(user)} (team lead) via {incident.reference}"


def _check_backout_rights(user, change: Change) -> None:
    if not permissions.can_back_out(user, change):
        raise IncidentForbidden(
            "Only the change's requester or team, staff, or a team lead can back out a change. "
            "Ask one of them on the bridge."
        )


@transaction.atomic
def start_backout(*, incident: Incident, change: Change, actor, note: str) -> Backout:
    _check_backout_rights(actor, change)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why and how it is backed out (the backout plan step you follow)."})
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if incident.status == IncidentStatus.RESOLVED:
        raise IncidentError(f"{incident.reference} is resolved: reopen it before starting a backout.")
    if not state_machine.is_allowed(locked.status, ChangeStatus.BACKED_OUT):
        raise IncidentError(
            f"{locked.reference} is {locked.get_status_display().lower()}: only a change in progress, completed or "
            "failed can be backed out."
        )
    try:
        with transaction.atomic():
            backout = Backout.objects.create(
                incident=incident, change=locked, note=note, started_by=actor, started_at=timezone.now()
            )
    except IntegrityError as exc:
        existing = Backout.objects.select_related("incident").get(change=locked)
        raise IncidentError(f"A backout of {locked.reference} was already started on {existing.incident}.") from exc
    change_services.record_activity(
        change=locked,
        actor=_change_actor(actor, locked),
        action=ActivityAction.COMMENT,
        note=f"Backout started {_by(actor, locked, incident)}: {note}",
    )
    _note(
        incident=incident,
        actor=actor,
        kind=NoteKind.BACKOUT,
        change=locked,
        text=f"Backout of {locked.reference} started by {_name(actor)}: {note}",
    )
    _touch(incident)
    return backout


@dataclass(frozen=True)
class Progress:
    rolled_back: int
    total: int  # hosts it had reached (applied, failed or already rolled back)
    remaining: list[str]

    @property
    def label(self) -> str:
        if not self.total:
            return "no host recorded as applied: nothing to roll back per host"
        return f"rolled back on {self.rolled_back} of {self.total}"

    @property
    def percent(self) -> int:
        return round(100 * self.rolled_back / self.total) if self.total else 100


def backout_progress(change: Change) -> Progress:
    rows = sorted(
        ChangeHost.objects.filter(change=change, state__in=UNDONE_STATES).values_list("host__hostname", "state")
    )
    done = sum(1 for _name_, state in rows if state == HostExecutionState.ROLLED_BACK)
    remaining = [name for name, state in rows if state != HostExecutionState.ROLLED_BACK]
    return Progress(rolled_back=done, total=len(rows), remaining=remaining)


@transaction.atomic
def record_rollback(*, backout: Backout, hosts: Iterable[Host], actor, note: str = "") -> list[str]:
    """Mark hosts rolled back, exactly like a forward execution is recorded; returns the hostnames updated."""
    change = backout.change
    _check_backout_rights(actor, change)
    if backout.is_done:
        raise IncidentError(f"The backout of {change.reference} is already complete.")
    hosts = list(hosts)
    if not hosts:
        raise ValidationError({"hosts": "Pick the hosts that are rolled back."})
    by = _by(actor, change, backout.incident)
    updated = change_services.set_host_states(
        change=change,
        hosts=hosts,
        state=HostExecutionState.ROLLED_BACK,
        actor=_change_actor(actor, change),
        note=f"{note.strip()} ({by})" if note.strip() else f"Rolled back {by}",
    )
    if updated:
        progress = backout_progress(change)
        _note(
            incident=backout.incident,
            actor=actor,
            kind=NoteKind.BACKOUT,
            change=change,
            text=f"{change.reference} rolled back on {', '.join(updated)} ({progress.label}).",
        )
        _touch(backout.incident)
    return updated


@transaction.atomic
def complete_backout(*, backout: Backout, actor, note: str) -> Backout:
    """The change is backed out: it moves to backed_out through the state machine (a note is required)."""
    locked = Backout.objects.select_for_update().select_related("change", "incident").get(pk=backout.pk)
    change = locked.change
    _check_backout_rights(actor, change)
    if locked.is_done:
        raise IncidentError(f"The backout of {change.reference} is already complete.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say how it ended (for example: old version running, smoke tests pass)."})
    progress = backout_progress(change)
    text = f"{note} ({progress.label}; {_by(actor, change, locked.incident)})"
    if progress.remaining:
        text += f" Not rolled back: {', '.join(progress.remaining)}."
    change_services.transition_change(
        change=change, target=ChangeStatus.BACKED_OUT, actor=_change_actor(actor, change), note=text
    )
    locked.completed_at = timezone.now()
    locked.completed_by = actor if actor is not None and actor.is_authenticated else None
    locked.completion_note = note
    locked.save(update_fields=["completed_at", "completed_by", "completion_note"])
    _note(
        incident=locked.incident,
        actor=actor,
        kind=NoteKind.BACKOUT,
        change=change,
        text=f"{change.reference} backed out ({progress.label}) by {_name(actor)}: {note}",
    )
    _touch(locked.incident)
    return locked
