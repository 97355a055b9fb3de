"""Who may decide on a change: the one rule, in Python for one change and in SQL for the inbox.

The API's permission (apps.approvals.api.decide), the decision panel and inbox rows (can_decide), the inbox query
and its badge count (decidable_changes) and decide() itself all ask here, so they cannot drift apart.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.approvals import rounds
from apps.approvals.models import Approval, RequiredApproval
from apps.changes import state_machine
from apps.changes.choices import ChangeType
from apps.changes.models import Change
from apps.changes.permissions import memberships_of

OWN_CHANGE = "You cannot approve or reject your own change."
NO_TEAM = "You are in no team, so no approval a change needs is yours to give."


def own_change(user, change: Change) -> str:
    return OWN_CHANGE if change.requester_id == user.pk else ""


def never_decides(user, change: Change) -> str:
    """Why ``user`` can never decide on ``change`` whatever its slots ('' when they might): the cheap check made
    before a request body is read."""
    if own_change(user, change):
        return OWN_CHANGE
    if not memberships_of(user):
        return NO_TEAM
    return ""


def fillable(user, slots: list[rounds.Slot]) -> list[rounds.Slot]:
    """The open slots ``user`` may fill (rounds.can_fill: a lead of the team, a member when any member may)."""
    memberships = memberships_of(user)
    return [slot for slot in slots if slot.open and rounds.can_fill(user, slot.required, memberships)]


def can_decide(user, change: Change, slots: list[rounds.Slot]) -> bool:
    """Awaiting a decision, not their own, an open slot for them, and no decision of theirs in this round."""
    decided = any(approval.decided_by_id == user.pk for slot in slots for approval in slot.given)
    return (
        rounds.awaiting_decision(change)
        and not never_decides(user, change)
        and not decided
        and bool(fillable(user, slots))
    )


def _slot_filter(memberships) -> Q:
    """rounds.can_fill in SQL, over RequiredApproval rows."""
    team_ids = [m.team_id for m in memberships]
    lead_team_ids = [m.team_id for m in memberships if m.is_lead]
    any_team = Q(team__isnull=True) if lead_team_ids else Q(team__isnull=True, leads_only=False)
    return Q(team_id__in=lead_team_ids) | Q(team_id__in=team_ids, leads_only=False) | any_team


def awaiting_decision_q() -> Q:
    """rounds.awaiting_decision in SQL."""
    return Q(status__in=state_machine.AWAITING_DECISION) | Q(
        change_type=ChangeType.EMERGENCY, status__in=rounds.RUNNING, approved_at__isnull=True
    )


def decidable_changes(user) -> QuerySet[Change]:
    """The changes awaiting a decision that ``user`` may give: a slot they may fill, not their own, not decided
    by them in this round. (Whether a slot is still open is counted by the caller: see inbox.inbox_count.)"""
    memberships = memberships_of(user)
    if not memberships:
        return Change.objects.none()
    slots = RequiredApproval.objects.filter(_slot_filter(memberships), change_id=OuterRef("pk"))
    mine = Approval.objects.filter(change_id=OuterRef("pk"), decided_by=user, withdrawn_at__isnull=True)
    return (
        Change.objects.filter(awaiting_decision_q()).filter(Exists(slots)).exclude(Exists(mine)).exclude(requester=user)
    )


def slot_filter_for(user) -> Q:
    return _slot_filter(memberships_of(user))
