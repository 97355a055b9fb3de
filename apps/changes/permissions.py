"""Who may do what to a change. Services enforce these; views only ask them what to offer."""

from apps.changes import state_machine
from apps.changes.choices import ChangeStatus as S
from apps.changes.models import Change

# Targets reached only as the side effect of another operation (a material edit re-opens approval).
_AUTOMATIC_ONLY = {(S.APPROVED, S.SUBMITTED)}
_DECISIONS = {S.APPROVED, S.REJECTED}


def _is_team_member(user, change: Change) -> bool:
    if change.team_id is None:
        return False
    return any(m.team_id == change.team_id for m in _memberships(user))


def _is_team_lead(user, change: Change) -> bool:
    memberships = _memberships(user)
    if change.team_id is None:
        return any(m.is_lead for m in memberships)
    return any(m.team_id == change.team_id and m.is_lead for m in memberships)


def _memberships(user):
    cached = getattr(user, "_cp_memberships", None)
    if cached is None:
        cached = list(user.team_memberships.all())
        user._cp_memberships = cached
    return cached


def can_view(user, change: Change) -> bool:
    # Coordination is the point: every signed-in user reads every change.
    return bool(user and user.is_authenticated)


def can_create(user) -> bool:
    """Requesters: staff, or anyone in a team (a signed-in user without a team only reads)."""
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or user.is_superuser or bool(_memberships(user))


def can_edit(user, change: Change) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return change.requester_id == user.pk or _is_team_member(user, change)


def can_decide(user, change: Change) -> bool:
    """Approve or reject: a lead of the change's team who did not request it."""
    if not (user and user.is_authenticated):
        return False
    if change.requester_id == user.pk:
        return False
    return user.is_superuser or _is_team_lead(user, change)


def can_transition(user, change: Change, target: str) -> bool:
    if (change.status, target) in _AUTOMATIC_ONLY:
        return False
    if target in _DECISIONS:
        return can_decide(user, change)
    return can_edit(user, change)


def why_not(user, change: Change, target: str) -> str:
    if target in _DECISIONS and change.requester_id == getattr(user, "pk", None):
        return "You cannot approve or reject your own change."
    if target in _DECISIONS:
        return "Only a lead of the change's team can approve or reject it."
    return "Only the requester, members of the change's team, or staff can do that."


def available_actions(user, change: Change) -> list[state_machine.Action]:
    return [
        state_machine.ACTIONS[target]
        for target in state_machine.allowed_targets(change.status)
        if can_transition(user, change, target)
    ]
