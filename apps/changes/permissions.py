"""Who may do what to a change. Services enforce these; views only ask them what to offer."""

from apps.changes import state_machine
from apps.changes.models import Change


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
    """Moves people take (state_machine.PEOPLE) are open to whoever may edit the change; decisions and the
    system's own moves are not."""
    return state_machine.taken_by_people(change.status, target) and can_edit(user, change)


def why_not(user, change: Change, target: str) -> str:
    declared = state_machine.transition(change.status, target)
    if declared is not None and declared.by == state_machine.DECISION:
        return "Approvals and rejections are recorded as decisions (approval inbox or the change page), not moves."
    if declared is not None and declared.by == state_machine.SYSTEM:
        return "This move happens on its own (a material edit withdraws the approval)."
    return "Only the requester, members of the change's team, or staff can do that."


def available_actions(user, change: Change) -> list[state_machine.Action]:
    return [
        state_machine.ACTIONS[target]
        for target in state_machine.allowed_targets(change.status)
        if can_transition(user, change, target) and not state_machine.guard_failure(change, target)
    ]
