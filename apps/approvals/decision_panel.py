"""What the decision part of a change's page (and an inbox row) shows to one user."""

from apps.approvals import eligibility, rounds
from apps.approvals.history import changes_since_last_approval
from apps.changes.collisions import collisions_for_change
from apps.changes.models import Change


def decision_context(user, change: Change, *, with_collisions: bool = True) -> dict:
    slots = rounds.slots(change) if change.required_approvals.exists() else []
    awaiting = rounds.awaiting_decision(change)
    last_approval, since_approval = changes_since_last_approval(change)
    return {
        "change": change,
        "slots": slots,
        "awaiting": awaiting,
        "can_decide": eligibility.can_decide(user, change, slots),
        "fillable_slots": eligibility.fillable(user, slots),
        "last_approval": last_approval,
        "since_approval": since_approval,
        "collisions": collisions_for_change(change) if with_collisions else None,
    }
