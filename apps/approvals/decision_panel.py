"""What the decision part of a change's page (and an inbox row) shows to one user."""

from apps.approvals import eligibility, rounds
from apps.approvals.history import changes_since_last_approval
from apps.changes.collisions import collisions_for_change
from apps.changes.models import Change


def decision_facts(user, change: Change, *, slots, last_approval, since_approval, collisions) -> dict:
    """The panel's context from facts already read (one change here, a page of them in apps.approvals.inbox)."""
    return {
        "change": change,
        "slots": slots,
        "awaiting": rounds.awaiting_decision(change),
        "can_decide": eligibility.can_decide(user, change, slots),
        "fillable_slots": eligibility.fillable(user, slots),
        "last_approval": last_approval,
        "since_approval": since_approval,
        "collisions": collisions,
    }


def decision_context(user, change: Change, *, with_collisions: bool = True) -> dict:
    last_approval, since_approval = changes_since_last_approval(change)
    return decision_facts(
        user,
        change,
        slots=rounds.slots(change) if change.required_approvals.exists() else [],
        last_approval=last_approval,
        since_approval=since_approval,
        collisions=collisions_for_change(change) if with_collisions else None,
    )
