"""Who may do what to a change. Services enforce these; views only ask them what to offer."""

from apps.changes import state_machine
from apps.changes.choices import ChangeStatus as S
from apps.changes.models import Change

# Moves made only by the system: a material edit re-opens approval; decisions are recorded through
# apps.approvals.services.decide, which moves the change once the required approvals are in.
_AUTOMATIC_ONLY = {(S.APPROVED, S.SUBMITTED), (S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.REJECTED)}


def _is_team_member(user, change: Change) -> bool:
    if change.team_id is None:
        return False
    return any(m.team_id == change.team_id for m in memberships_of(user))


def memberships_of(user):
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
    return user.is_staff or user.is_superuser or bool(memberships_of(user))


def can_edit(user, change: Change) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return change.requester_id == user.pk or _is_team_member(user, change)


def can_transition(user, change: Change, target: str) -> bool:
    if (change.status, target) in _AUTOMATIC_ONLY:
        return False
    return can_edit(user, change)


def why_not(user, change: Change, target: str) -> str:
    if (change.status, target) in {(S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.REJECTED)}:
        return "Approvals and rejections are recorded as decisions (approval inbox or the change page), not moves."
    if (change.status, target) in _AUTOMATIC_ONLY:
        return "This move happens on its own (a material edit withdraws the approval)."
    return "Only the requester, members of the change's team, or staff can do that."


def available_actions(user, change: Change) -> list[state_machine.Action]:
    return [
        state_machine.ACTIONS[target]
        for target in state_machine.allowed_targets(change.status)
        if can_transition(user, change, target) and not state_machine.guard_failure(change, target)
    ]
