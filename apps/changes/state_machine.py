"""The one table of allowed status transitions for a change.

Everything that moves a change's status asks this module; services.transition_change applies it.
Extensions to the basic lifecycle, and why:
- approved -> submitted: a material edit after approval withdraws the approval (re-approval).
- rejected -> draft: the requester reworks a rejected change instead of cloning it.
- completed/failed -> backed_out: a change found guilty after the fact is backed out (the story's 09:30).
- submitted -> in_progress only for emergency changes (see GUARDS): they start at once and are
  approved retroactively within settings.EMERGENCY_APPROVAL_HOURS.
"""

from dataclasses import dataclass

from apps.changes.choices import ChangeStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED, S.DRAFT, S.IN_PROGRESS}),
    S.APPROVED: frozenset({S.IN_PROGRESS, S.CANCELLED, S.SUBMITTED}),
    S.REJECTED: frozenset({S.DRAFT}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.BACKED_OUT}),
    S.COMPLETED: frozenset({S.BACKED_OUT}),
    S.FAILED: frozenset({S.BACKED_OUT}),
    S.BACKED_OUT: frozenset(),
    S.CANCELLED: frozenset(),
}

# Transitions allowed only for some changes: (from, to) -> (predicate on the change, why not).
GUARDS: dict[tuple[str, str], tuple] = {
    (S.SUBMITTED, S.IN_PROGRESS): (
        lambda change: change.change_type == "emergency",
        "Only emergency changes may start before approval.",
    ),
}

TERMINAL: frozenset[str] = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


@dataclass(frozen=True)
class Action:
    """A button the UI may offer: the target status and how to present it."""

    target: str
    label: str
    style: str = "secondary"
    needs_note: bool = False


ACTIONS: dict[str, Action] = {
    S.SUBMITTED: Action(S.SUBMITTED, "Submit for approval", "primary"),
    S.APPROVED: Action(S.APPROVED, "Approve", "primary"),
    S.REJECTED: Action(S.REJECTED, "Reject", "danger", needs_note=True),
    S.DRAFT: Action(S.DRAFT, "Back to draft"),
    S.IN_PROGRESS: Action(S.IN_PROGRESS, "Start", "primary"),
    S.COMPLETED: Action(S.COMPLETED, "Mark completed", "primary"),
    S.FAILED: Action(S.FAILED, "Mark failed", "danger", needs_note=True),
    S.BACKED_OUT: Action(S.BACKED_OUT, "Backed out", "warning", needs_note=True),
    S.CANCELLED: Action(S.CANCELLED, "Cancel change", "danger", needs_note=True),
}


def is_allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def guard_failure(change, target: str) -> str:
    """Why ``change`` may not take this otherwise allowed move, or '' when it may."""
    guard = GUARDS.get((change.status, target))
    if guard is None:
        return ""
    predicate, reason = guard
    return "" if predicate(change) else reason


def allowed_targets(current: str) -> list[str]:
    """Targets in a stable, presentation-friendly order."""
    order = list(ACTIONS)
    return sorted(TRANSITIONS.get(current, frozenset()), key=order.index)
