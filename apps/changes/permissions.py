"""Who may do what to a change. Services enforce these; views and templates only ask them what to offer."""

from dataclasses import dataclass

from apps.changes import state_machine
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.platform.actors import Actor


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


def may_edit(actor: Actor, change: Change) -> bool:
    """Whether the services let ``actor`` edit the change: the system, a person using a right a service granted
    (apps.platform.actors), or a person with their own edit right."""
    return actor.is_system or actor.uses_authority or can_edit(actor.user, change)


def may_transition(actor: Actor, change: Change, target: str) -> bool:
    """The system takes every declared move; people only theirs (not decisions, not the system's own)."""
    if actor.is_system:
        return True
    return state_machine.taken_by_people(change.status, target) and may_edit(actor, change)


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


@dataclass(frozen=True)
class Capabilities:
    """What one user may do to one change, for templates: the markup asks these, it never compares statuses."""

    can_edit: bool  # the edit form is open to them (never for a closed change)
    actions: list[state_machine.Action]  # the status moves they may ask for now
    is_closed: bool  # backed out or cancelled: nothing more happens to it
    may_submit: bool  # the form offers "Submit for approval" (a draft, or a rejected change reworked)
    edit_withdraws_approval: bool  # approved: a material edit sends it back to the leads
    completes_with_confirmation: bool  # completing it is open, and needs a confirmation when hosts are unfinished


def capabilities(user, change: Change | None) -> Capabilities:
    if change is None:  # a new change, on the request form
        return Capabilities(True, [], False, True, False, False)
    actions = available_actions(user, change)
    return Capabilities(
        can_edit=can_edit(user, change) and change.status not in state_machine.TERMINAL,
        actions=actions,
        is_closed=change.status in state_machine.TERMINAL,
        may_submit=change.status in state_machine.SUBMITTABLE,
        edit_withdraws_approval=change.status == ChangeStatus.APPROVED,
        completes_with_confirmation=any(action.target == ChangeStatus.COMPLETED for action in actions),
    )
