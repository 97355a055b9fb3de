"""What the decision part of a change's page (and an inbox row) shows to one user."""

from apps.approvals import rounds
from apps.approvals.history import changes_since_last_approval
from apps.changes.collisions import collisions_for_change
from apps.changes.models import Change
from apps.changes.permissions import memberships_of


def decision_context(user, change: Change, *, with_collisions: bool = True) -> dict:
    slots = rounds.slots(change) if change.required_approvals.exists() else []
    awaiting = rounds.awaiting_decision(change)
    decided = any(approval.decided_by_id == user.pk for slot in slots for approval in slot.given)
    memberships = memberships_of(user)
    fillable = [slot for slot in slots if slot.open and rounds.can_fill(user, slot.required, memberships)]
    last_approval, since_approval = changes_since_last_approval(change)
    return {
        "change": change,
        "slots": slots,
        "awaiting": awaiting,
        "can_decide": awaiting and bool(fillable) and not decided and change.requester_id != user.pk,
        "fillable_slots": fillable,
        "last_approval": last_approval,
        "since_approval": since_approval,
        "collisions": collisions_for_change(change) if with_collisions else None,
    }
