"""Rules a change must meet before leads look at it, and which edits are material (apps.approvals decides what
a material edit does to an approval)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.changes.choices import ChangeRisk
from apps.changes.freeze import freeze_occurrences
from apps.changes.models import Change

# An edit to any of these after approval invalidates the approval: they change what runs, where, when or
# how it is undone. Title and summary are wording; fixing a typo does not need a new decision.
MATERIAL_FIELDS = frozenset(
    {
        "planned_start",
        "planned_end",
        "hosts",
        "services",
        "implementation_plan",
        "backout_plan",
        "test_plan",
        "artifact",
        "links",
        "kind",
        "change_type",
        "risk",
        "environment",
        "team",
    }
)
RISKS_NEEDING_BACKOUT = (ChangeRisk.HIGH, ChangeRisk.CRITICAL)


def backout_plan_reason(*, environment, risk: str) -> str:
    """Why this change must carry a backout plan, or '' when it need not."""
    if environment is not None and environment.is_production:
        return f"a backout plan is required for changes to {environment.name} (production)"
    if risk in RISKS_NEEDING_BACKOUT:
        return f"a backout plan is required for {ChangeRisk(risk).label.lower()}-risk changes"
    return ""


def freezes_hit(change: Change):
    if not (change.planned_start and change.planned_end and change.environment_id):
        return []
    return freeze_occurrences(
        start=change.planned_start, end=change.planned_end, environment_ids=[change.environment_id]
    )


def submission_errors(change: Change) -> dict[str, str]:
    """Field errors that stop a change from being submitted for approval."""
    errors = {}
    reason = backout_plan_reason(environment=change.environment, risk=change.risk)
    if reason and not change.backout_plan.strip():
        errors["backout_plan"] = reason[0].upper() + reason[1:] + ". Say how you would undo it."
    freezes = freezes_hit(change)
    if freezes and not change.freeze_justification.strip():
        names = "; ".join(
            f"{f.name} ({timezone.localtime(f.start):%a %d %b %H:%M} – {timezone.localtime(f.end):%a %d %b %H:%M})"
            for f in freezes
        )
        errors["freeze_justification"] = (
            f"The planned window hits a freeze: {names}. Explain why it cannot wait to request a freeze exception."
        )
    return errors


def check_ready_for_submission(change: Change) -> None:
    errors = submission_errors(change)
    if errors:
        raise ValidationError(errors)
