"""The approvals a change holds now, withdrawing them, and what was edited since the last one."""

from django.utils import timezone

from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.changes.choices import ActivityAction
from apps.changes.models import Change, ChangeActivity


def current_approvals(change: Change):
    return Approval.objects.filter(change=change, decision=Decision.APPROVED, withdrawn_at__isnull=True)


def withdraw_approvals(*, change: Change, reason: str, at=None) -> int:
    return current_approvals(change).update(withdrawn_at=at or timezone.now(), withdrawn_reason=reason)


def changes_since_last_approval(change: Change) -> tuple[Approval | None, dict]:
    """The latest approval given and a merged before/after of every edit made after it."""
    last = Approval.objects.filter(change=change, decision=Decision.APPROVED).order_by("-decided_at", "-id").first()
    if last is None:
        return None, {}
    merged: dict[str, dict] = {}
    edits = ChangeActivity.objects.filter(change=change, action=ActivityAction.EDIT, created__gt=last.decided_at)
    for entry in edits.order_by("created", "id"):
        for field, values in entry.changes.items():
            if field in merged:
                merged[field]["after"] = values.get("after")
            else:
                merged[field] = {"before": values.get("before"), "after": values.get("after")}
    return last, {field: values for field, values in merged.items() if values["before"] != values["after"]}
