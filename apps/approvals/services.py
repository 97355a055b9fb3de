"""Leads' decisions. The rules live here, not in templates: no self-approval, only members of a required
group decide for it, each slot is decided once, and concurrent decisions serialize on the change's row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from apps.approvals import eligibility, rounds
from apps.approvals.choices import Decision
from apps.approvals.models import Approval, RequiredApproval
from apps.changes import services as change_services
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.events import change_payload
from apps.changes.exceptions import ChangeForbidden, IllegalTransition
from apps.changes.models import Change
from apps.changes.permissions import memberships_of
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.platform.actors import Actor

# The change moves because the leads decided (each decision is recorded with its lead).
DECISIONS = Actor.automatic("approval rules: the required decisions are in")


def _pick_slot(change: Change, actor, team) -> rounds.Slot:
    memberships = memberships_of(actor)
    slots = rounds.slots(change)
    mine = [slot for slot in slots if rounds.can_fill(actor, slot.required, memberships)]
    if team is not None:
        mine = [slot for slot in mine if slot.required.team_id == getattr(team, "pk", team)]
    open_slots = [slot for slot in mine if slot.open]
    if open_slots:
        return open_slots[0]
    if mine:
        filled = mine[0]
        by = ", ".join(approval.decided_by.get_username() for approval in filled.given)
        raise IllegalTransition(f"The approval for {filled.label} on {change.reference} is already given (by {by}).")
    wanted = "; ".join(slot.label for slot in slots if slot.open) or "nobody (all approvals are in)"
    raise ChangeForbidden(f"You are not in a group whose approval {change.reference} needs. It needs: {wanted}.")


@transaction.atomic
def decide(*, change: Change, actor, decision: str, comment: str = "", team=None, at=None) -> Approval:
    """Record ``actor``'s decision; the last required approval approves the change, a rejection rejects it.
    ``at``: when it was decided (default now; a replayed history passes its own moments)."""
    at = at or timezone.now()
    locked = Change.objects.select_for_update(of=("self",)).select_related("environment", "team").get(pk=change.pk)
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Decide {' or '.join(Decision.values)}."})
    if decision == Decision.REJECTED and not comment.strip():
        raise ValidationError({"comment": "Say why: a rejection needs a comment the requester can act on."})
    if not rounds.awaiting_decision(locked):
        raise IllegalTransition(f"{locked.reference} is {locked.get_status_display().lower()}, not awaiting approval.")
    refusal = eligibility.own_change(actor, locked)  # which slot, if any, _pick_slot says (naming what is needed)
    if refusal:
        raise ChangeForbidden(refusal)
    if rounds.current_decisions(locked).filter(decided_by=actor).exists():
        raise IllegalTransition(f"You already decided on {locked.reference}.")
    slot = _pick_slot(locked, actor, team)

    approval = Approval.objects.create(
        change=locked,
        team=slot.required.team,
        decided_by=actor,
        decision=decision,
        comment=comment.strip(),
        change_version=locked.version,
        decided_at=at,
    )
    change_services.record_activity(
        change=locked,
        actor=actor,
        action=ActivityAction.APPROVAL,
        note=comment.strip(),
        changes={"decision": {"before": None, "after": decision}, "for": {"before": None, "after": slot.label}},
        at=at,
    )
    publish_event(
        event_type=EventType.CHANGE_DECISION,
        payload=change_payload(locked)
        | {"decision": decision, "decided_by": actor.get_username(), "comment": comment.strip(), "for": slot.label},
    )
    _conclude(locked, actor, decision, comment, at)
    return approval


def _conclude(change: Change, actor, decision: str, comment: str, at) -> None:
    running = change.status != ChangeStatus.SUBMITTED
    if decision == Decision.REJECTED:
        if running:
            change_services.record_activity(
                change=change,
                actor=actor,
                action=ActivityAction.APPROVAL,
                note=f"Retroactive approval refused: {comment.strip()}",
                at=at,
            )
        else:
            change_services.transition_change(
                change=change,
                target=ChangeStatus.REJECTED,
                actor=DECISIONS,
                note=f"Rejected by {actor.get_username()}: {comment.strip()}",
                at=at,
            )
        return
    if any(slot.open for slot in rounds.slots(change)):
        return
    if running:
        change_services.record_retroactive_approval(
            change=change, note="Retroactively approved: every required approval is in.", at=at
        )
    else:
        change_services.transition_change(
            change=change, target=ChangeStatus.APPROVED, actor=DECISIONS, note="Every required approval is in.", at=at
        )


def inbox_for(user):
    """Changes awaiting a decision this user may give, soonest first, with what the page shows prefetched."""
    candidates = (
        eligibility.decidable_changes(user)
        .select_related("environment", "team", "requester")
        .prefetch_related(
            Prefetch("required_approvals", queryset=RequiredApproval.objects.select_related("team")),
            Prefetch(
                "approvals",
                queryset=Approval.objects.filter(withdrawn_at__isnull=True).select_related("decided_by"),
                to_attr="current_decisions",
            ),
        )
        .order_by("planned_start", "id")
    )
    result = []
    for change in candidates:
        slots = rounds.slots(change, required=list(change.required_approvals.all()), decisions=change.current_decisions)
        if eligibility.fillable(user, slots):
            result.append(change)
    return result
