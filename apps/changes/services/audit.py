from datetime import UTC, datetime

from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.changes.models import Change, ChangeActivity
from apps.platform.actors import as_actor


def audit_value(value):
    """A JSON-safe, human-readable form of a field value for the audit trail."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, QuerySet | set) or (
        isinstance(value, list | tuple) and value and all(isinstance(item, Model) for item in value)
    ):
        return sorted(str(item) for item in value)
    if isinstance(value, list | tuple):
        return [audit_value(item) for item in value]
    return value


def record_activity(**entry) -> ChangeActivity:
    """Append one entry to a change's activity log (the arguments of activity_entry)."""
    activity = activity_entry(**entry)
    activity.save()
    return activity


def activity_entry(
    *,
    change: Change,
    actor,
    action: str,
    note: str = "",
    changes: dict | None = None,
    from_status: str = "",
    to_status: str = "",
    at: datetime | None = None,
) -> ChangeActivity:
    """An unsaved entry: for a caller that appends several at once with bulk_create (which skips save()).
    ``at``: when it happened (default now; a replayed history passes its own moments)."""
    actor = as_actor(actor)
    return ChangeActivity(
        change=change,
        created=at or timezone.now(),
        actor=actor.user,
        actor_name=actor.username or "",
        acting_as=actor.acting_as[:200],
        action=action,
        note=note,
        changes=changes or {},
        from_status=from_status,
        to_status=to_status,
    )
