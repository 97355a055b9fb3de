"""Pipeline gates: is an environment frozen right now, and may this change proceed right now?

Read-only answers for CI/CD pipelines (GET /api/v1/freeze-state, GET /api/v1/changes/{id}/gate). Freezes are
read through apps.changes.freeze, so recurring windows count exactly as on the calendar.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from apps.changes import state_machine
from apps.changes.choices import ChangeType
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change

# An instant is asked about as this tiny range, since freeze_occurrences takes [start, end).
INSTANT = timedelta(microseconds=1)
READY = state_machine.RUNNABLE
# Emergency changes may start before approval (the state machine's guard) and are approved afterwards.
READY_EMERGENCY = state_machine.RUNNABLE | state_machine.AWAITING_DECISION
# What stops a change, one machine-readable code per reason (a pipeline branches on these, e.g. the CLI's exit codes).
NOT_APPROVED = "not_approved"
OUTSIDE_WINDOW = "outside_window"
FROZEN = "frozen"
GATE_CODES = (NOT_APPROVED, OUTSIDE_WINDOW, FROZEN)


@dataclass
class FreezeState:
    at: datetime
    windows: list[FreezeOccurrence]

    @property
    def state(self) -> str:
        return "closed" if self.windows else "open"


@dataclass
class GateDecision:
    change: Change
    at: datetime
    reasons: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # one of GATE_CODES per reason, in the same order
    freezes: list[FreezeOccurrence] = field(default_factory=list)

    @property
    def proceed(self) -> bool:
        return not self.reasons

    def refuse(self, code: str, reason: str) -> None:
        self.codes.append(code)
        self.reasons.append(reason)


def freeze_state(*, at: datetime | None = None, environment_ids=None) -> FreezeState:
    at = at or timezone.now()
    return FreezeState(at=at, windows=freeze_occurrences(start=at, end=at + INSTANT, environment_ids=environment_ids))


def _fmt(value: datetime) -> str:
    return value.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def gate_decision(change: Change, *, at: datetime | None = None) -> GateDecision:
    """Whether ``change`` may run at ``at`` (default now), with every reason it may not."""
    at = at or timezone.now()
    decision = GateDecision(change=change, at=at)
    emergency = change.change_type == ChangeType.EMERGENCY
    if change.status not in (READY_EMERGENCY if emergency else READY):
        status = change.get_status_display().lower()
        needed = "submitted (emergency changes are approved afterwards)" if emergency else "approved"
        decision.refuse(NOT_APPROVED, f"{change.reference} is {status}: it must be {needed} before it runs.")
    if not change.planned_start <= at < change.planned_end:
        when = "has not started yet" if at < change.planned_start else "is over"
        decision.refuse(
            OUTSIDE_WINDOW,
            f"Its window ({_fmt(change.planned_start)} to {_fmt(change.planned_end)}) {when}: "
            "reschedule it (a material edit needs a new approval).",
        )
    decision.freezes = freeze_state(at=at, environment_ids=[change.environment_id]).windows
    if decision.freezes and not change.freeze_justification.strip():
        names = ", ".join(f"{occurrence.name} (until {_fmt(occurrence.end)})" for occurrence in decision.freezes)
        decision.refuse(
            FROZEN,
            f"{change.environment.name} is frozen: {names}, and the change has no freeze exception "
            "(a written justification approved with it).",
        )
    return decision
