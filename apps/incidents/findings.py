"""Post-incident findings: which change caused the incident, and which change restored service.

The bridge's marks (likely cause, ruled out) are working verdicts taken while the incident is open; a finding is
the conclusion once service is back, and it feeds the change metrics (change fail rate, recovery time) and the
ranking-accuracy report (apps.incidents.accuracy). Rules, decided here once:

- A finding is recorded once the incident is mitigated or resolved: before then the bridge marks a suspect as a
  likely cause instead (an open incident answers 409 with that hint). Reopening an incident keeps its findings.
- Any change can be named, not only a listed suspect, but not one that never ran (a draft, rejected or cancelled
  change touched no host): it can neither cause an incident nor restore service.
- One standing finding per incident, change and role (a duplicate answers 409); one change may be both the cause
  and the fix (it was backed out), and an incident may have several of each.
- Withdrawing keeps the row, with who, when and why; the same finding can then be recorded again.

Like marks, each write leaves a line on the incident's timeline and an entry in the change's activity log. Marks
publish no outbox event and neither do findings: nothing outside the portal reacts to them yet.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.changes import services as change_services
from apps.changes import state_machine
from apps.changes.choices import ActivityAction
from apps.changes.models import Change
from apps.incidents import permissions
from apps.incidents.choices import FindingRole, IncidentStatus, NoteKind
from apps.incidents.models import Incident, IncidentFinding, IncidentNote
from apps.incidents.services import IncidentConflict, IncidentForbidden

__all__ = ["finding_phrase", "record_finding", "standing_findings", "withdraw_finding"]

MAX_NOTE = 4000


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _name(actor) -> str:
    return actor.get_username() if _user(actor) is not None else "system"


def finding_phrase(role: str, incident: Incident) -> str:
    """'confirmed cause of INC-3' / 'fix of INC-3': how a finding reads from the change's side."""
    if role == FindingRole.CONFIRMED_CAUSE:
        return f"confirmed cause of {incident.reference}"
    return f"fix of {incident.reference}"


def _clean_note(note: str, *, why: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": why})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE} characters (link the review instead)."})
    return note


def _log(*, incident: Incident, change: Change, actor, text: str, activity: str, at: datetime | None) -> None:
    note = IncidentNote.objects.create(
        incident=incident, author=_user(actor), kind=NoteKind.FINDING, text=text, change=change
    )
    if at is not None:  # a replayed history (the demo): the note's stamp is set on save, so move it afterwards
        IncidentNote.objects.filter(pk=note.pk).update(created=at)
    change_services.record_activity(change=change, actor=actor, action=ActivityAction.COMMENT, note=activity, at=at)
    Incident.objects.filter(pk=incident.pk).update(updated=timezone.now())


@transaction.atomic
def record_finding(
    *, incident: Incident, change: Change, role: str, actor, note: str, at: datetime | None = None
) -> IncidentFinding:
    """Record that ``change`` caused ``incident`` (confirmed_cause) or restored service (fixed_by)."""
    if role not in FindingRole.values:
        raise ValidationError({"role": f"Unknown role {role!r}. Valid: {', '.join(FindingRole.values)}."})
    if not permissions.can_record_finding(actor):
        raise IncidentForbidden("Sign in to record a finding.")
    note = _clean_note(note, why="Say how it was confirmed (the review, the evidence), so the finding can be trusted.")
    # Row-lock the incident: two people recording the same finding at once get one row and one clear 409.
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == IncidentStatus.OPEN:
        raise IncidentConflict(
            f"{locked.reference} is still open: mark the suspect as the likely cause on the bridge for now; "
            "confirmed causes and fixes are recorded once the incident is mitigated or resolved."
        )
    if change.status in state_machine.NEVER_RAN:
        raise ValidationError(
            {
                "change": f"{change.reference} is {change.get_status_display().lower()}: it never ran, so it can "
                f"neither cause an incident nor restore service."
            }
        )
    label = FindingRole(role).label.lower()
    existing = IncidentFinding.objects.filter(
        incident=locked, change=change, role=role, withdrawn_at__isnull=True
    ).first()
    if existing is not None:
        raise IncidentConflict(
            f"{change.reference} is already recorded as {label} of {locked.reference} "
            f"(by {existing.recorded_by_name or 'system'}, {timezone.localtime(existing.recorded_at):%d %b %H:%M})."
        )
    try:
        with transaction.atomic():
            finding = IncidentFinding.objects.create(
                incident=locked,
                change=change,
                role=role,
                note=note,
                recorded_by=_user(actor),
                recorded_by_name=_name(actor) if _user(actor) else "",
                recorded_at=at or timezone.now(),
            )
    except IntegrityError as exc:  # the partial unique constraint, if a writer bypassed the lock
        raise IncidentConflict(f"{change.reference} is already recorded as {label} of {locked.reference}.") from exc
    _log(
        incident=locked,
        change=change,
        actor=actor,
        at=at,
        text=f"{change.reference} recorded as {label} by {_name(actor)}: {note}",
        activity=f"Recorded as the {finding_phrase(role, locked)} ({locked.title}): {note}",
    )
    return finding


@transaction.atomic
def withdraw_finding(*, finding: IncidentFinding, actor, note: str, at: datetime | None = None) -> IncidentFinding:
    """The finding no longer stands; the row stays, with who withdrew it, when and why."""
    locked = IncidentFinding.objects.select_for_update().select_related("incident", "change").get(pk=finding.pk)
    if not permissions.can_withdraw_finding(actor, locked):
        raise IncidentForbidden(
            "Only the person who recorded this finding, staff or a team lead can withdraw it: findings count in "
            "the team's change metrics."
        )
    if not locked.is_standing:
        raise IncidentConflict(
            f"This finding was already withdrawn by {locked.withdrawn_by_name or 'system'} "
            f"({timezone.localtime(locked.withdrawn_at):%d %b %H:%M})."
        )
    note = _clean_note(note, why="Say why it no longer stands (what the review found instead).")
    locked.withdrawn_at = at or timezone.now()
    locked.withdrawn_by = _user(actor)
    locked.withdrawn_by_name = _name(actor) if _user(actor) else ""
    locked.withdrawn_note = note
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_by_name", "withdrawn_note"])
    label = FindingRole(locked.role).label.lower()
    _log(
        incident=locked.incident,
        change=locked.change,
        actor=actor,
        at=at,
        text=f"{locked.change.reference} no longer {label}: withdrawn by {_name(actor)}: {note}",
        activity=f"No longer the {finding_phrase(locked.role, locked.incident)}: withdrawn: {note}",
    )
    return locked


def standing_findings(incident: Incident) -> list[IncidentFinding]:
    """The incident's standing findings, causes first, each with its change (one query)."""
    rows = IncidentFinding.objects.filter(incident=incident, withdrawn_at__isnull=True).select_related(
        "change", "change__environment"
    )
    order: dict[str, int] = {FindingRole.CONFIRMED_CAUSE: 0, FindingRole.FIXED_BY: 1}
    return sorted(rows, key=lambda f: (order.get(f.role, 2), f.recorded_at, f.pk))
