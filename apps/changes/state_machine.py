"""The lifecycle of a change, in one place: its transitions (who may take each, its guard, whether it needs a
note, what it does to the change's times), the statuses a change may start in, and the named groups of statuses
every other module uses. services.transition_change is the one function that applies it.

Extensions to the basic lifecycle, and why:
- approved -> submitted: a material edit after approval withdraws the approval (re-approval), taken by the system.
- rejected -> draft: the requester reworks a rejected change instead of cloning it.
- completed/failed -> backed_out: a change found guilty after the fact is backed out (the story's 09:30).
- submitted -> in_progress only for emergency changes: they start at once and are approved retroactively within
  settings.EMERGENCY_APPROVAL_HOURS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from apps.changes.choices import ChangeStatus as S

# Who may take a transition.
PEOPLE = "people"  # whoever may edit the change (apps.changes.permissions), or the system
DECISION = "decision"  # only a lead's decision through apps.approvals.services.decide
SYSTEM = "system"  # only the lifecycle itself (a material edit withdrawing the approval)


def _start(change, now: datetime) -> None:
    if change.actual_start is None:
        change.actual_start = now
    if change.approved_at is None:
        # An emergency change started before its approval: the approval is due within the set time.
        change.approval_due_at = now + timedelta(hours=settings.EMERGENCY_APPROVAL_HOURS)


def _finish(change, now: datetime) -> None:
    if change.actual_end is None:
        change.actual_end = max(now, change.actual_start or now)


def _approve(change, now: datetime) -> None:
    change.approved_at = now


def _reopen_approval(change, now: datetime) -> None:
    change.approved_at = None


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    by: str = PEOPLE
    guard: Callable | None = None  # predicate on the change
    guard_reason: str = ""  # why not, when the guard refuses
    effects: tuple[Callable, ...] = ()  # applied to the locked change before it is saved: (change, now) -> None

    @property
    def needs_note(self) -> bool:
        return self.target in NOTE_REQUIRED


NOTE_REQUIRED = frozenset({S.REJECTED, S.FAILED, S.BACKED_OUT, S.CANCELLED})


def _is_emergency(change) -> bool:
    return change.change_type == "emergency"


_DECLARED = [
    Transition(S.DRAFT, S.SUBMITTED, effects=(_reopen_approval,)),
    Transition(S.DRAFT, S.CANCELLED),
    Transition(S.SUBMITTED, S.APPROVED, by=DECISION, effects=(_approve,)),
    Transition(S.SUBMITTED, S.REJECTED, by=DECISION),
    Transition(S.SUBMITTED, S.CANCELLED),
    Transition(S.SUBMITTED, S.DRAFT),
    Transition(
        S.SUBMITTED,
        S.IN_PROGRESS,
        guard=_is_emergency,
        guard_reason="Only emergency changes may start before approval.",
        effects=(_start,),
    ),
    Transition(S.APPROVED, S.IN_PROGRESS, effects=(_start,)),
    Transition(S.APPROVED, S.CANCELLED),
    Transition(S.APPROVED, S.SUBMITTED, by=SYSTEM, effects=(_reopen_approval,)),
    Transition(S.REJECTED, S.DRAFT),
    Transition(S.IN_PROGRESS, S.COMPLETED, effects=(_finish,)),
    Transition(S.IN_PROGRESS, S.FAILED, effects=(_finish,)),
    Transition(S.IN_PROGRESS, S.BACKED_OUT),
    Transition(S.COMPLETED, S.BACKED_OUT),
    Transition(S.FAILED, S.BACKED_OUT),
]
TRANSITION: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in _DECLARED}
TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(t.target for t in _DECLARED if t.source == status) for status in S.values
}

# --- Named groups of statuses: every module asks for these by name, none lists statuses of its own. -----------
TERMINAL: frozenset[str] = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# Will not happen: left out of collisions and greyed on the calendar.
WILL_NOT_RUN: frozenset[str] = frozenset({S.REJECTED, S.CANCELLED})
# Never touched a host and will not as it stands: never a suspect, not on the dashboard's lists.
NEVER_RAN: frozenset[str] = WILL_NOT_RUN | {S.DRAFT}
# May be executed now (an execution report on any other status is flagged).
RUNNABLE: frozenset[str] = frozenset({S.APPROVED, S.IN_PROGRESS})
# Started: what ran is recorded, so its plan (material fields) can no longer change.
STARTED: frozenset[str] = frozenset({S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.BACKED_OUT})
PLAN_FROZEN: frozenset[str] = frozenset({S.IN_PROGRESS, S.COMPLETED, S.FAILED})
# Awaiting a lead's decision, before (submitted) or after it started (an emergency change).
AWAITING_DECISION: frozenset[str] = frozenset({S.SUBMITTED})
# Planned but not started: the bridge notes "never recorded as started" for these.
PLANNED: frozenset[str] = frozenset({S.SUBMITTED, S.APPROVED})
# A change may be submitted from these (submit_change passes a rejected one through draft first).
SUBMITTABLE: frozenset[str] = frozenset({S.DRAFT, S.REJECTED})
# The statuses a change may be born in: drafts (form, API), and changes recorded after the fact (ingest).
RECORDED_STATUSES: frozenset[str] = frozenset({S.IN_PROGRESS, S.COMPLETED, S.FAILED})
INITIAL: frozenset[str] = frozenset({S.DRAFT}) | RECORDED_STATUSES


@dataclass(frozen=True)
class Action:
    """A button the UI may offer: the target status and how to present it."""

    target: str
    label: str
    style: str = "secondary"

    @property
    def needs_note(self) -> bool:
        return self.target in NOTE_REQUIRED


ACTIONS: dict[str, Action] = {
    S.SUBMITTED: Action(S.SUBMITTED, "Submit for approval", "primary"),
    S.APPROVED: Action(S.APPROVED, "Approve", "primary"),
    S.REJECTED: Action(S.REJECTED, "Reject", "danger"),
    S.DRAFT: Action(S.DRAFT, "Back to draft"),
    S.IN_PROGRESS: Action(S.IN_PROGRESS, "Start", "primary"),
    S.COMPLETED: Action(S.COMPLETED, "Mark completed", "primary"),
    S.FAILED: Action(S.FAILED, "Mark failed", "danger"),
    S.BACKED_OUT: Action(S.BACKED_OUT, "Backed out", "warning"),
    S.CANCELLED: Action(S.CANCELLED, "Cancel change", "danger"),
}


def transition(current: str, target: str) -> Transition | None:
    return TRANSITION.get((current, target))


def is_allowed(current: str, target: str) -> bool:
    return (current, target) in TRANSITION


def guard_failure(change, target: str) -> str:
    """Why ``change`` may not take this otherwise allowed move, or '' when it may."""
    declared = TRANSITION.get((change.status, target))
    if declared is None or declared.guard is None:
        return ""
    return "" if declared.guard(change) else declared.guard_reason


def taken_by_people(current: str, target: str) -> bool:
    """Whether a person (with the right to edit the change) may ask for this move directly."""
    declared = TRANSITION.get((current, target))
    return declared is not None and declared.by == PEOPLE


def apply_effects(change, target: str, now: datetime) -> None:
    for effect in TRANSITION[(change.status, target)].effects:
        effect(change, now)


def allowed_targets(current: str) -> list[str]:
    """Targets in a stable, presentation-friendly order."""
    order = list(ACTIONS)
    return sorted(TRANSITIONS.get(current, frozenset()), key=order.index)
