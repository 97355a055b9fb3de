"""State changes of a change: every write goes through here and leaves an activity entry."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.changes import permissions, state_machine
from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.exceptions import ChangeForbidden, IllegalTransition, StaleChange
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.inventory.models import Host, Service

# Fields a requester edits; the activity log records their before/after values.
EDITABLE_FIELDS = (
    "kind",
    "change_type",
    "title",
    "summary",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "risk",
    "team",
    "environment",
    "planned_start",
    "planned_end",
    "artifact",
    "links",
)


def audit_value(value):
    """A JSON-safe, human-readable form of a field value for the audit trail."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return value


def record_activity(
    *,
    change: Change,
    actor,
    action: str,
    note: str = "",
    changes: dict | None = None,
    from_status: str = "",
    to_status: str = "",
) -> ChangeActivity:
    return ChangeActivity.objects.create(
        change=change,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        note=note,
        changes=changes or {},
        from_status=from_status,
        to_status=to_status,
    )


def _save_validated(change: Change) -> None:
    change.full_clean(exclude=["eff_start", "eff_end"])
    change.save()


def _set_hosts(change: Change, hosts: Iterable[Host]) -> tuple[list[str], list[str]]:
    """Make the change's host links exactly ``hosts``; existing links keep their execution state."""
    wanted = {host.pk: host for host in hosts}
    existing = dict(ChangeHost.objects.filter(change=change).values_list("host_id", "host__hostname"))
    removed = [name for pk, name in existing.items() if pk not in wanted]
    added = [host for pk, host in wanted.items() if pk not in existing]
    if removed:
        ChangeHost.objects.filter(change=change).exclude(host_id__in=wanted).delete()
    ChangeHost.objects.bulk_create(
        ChangeHost(change=change, host=host, eff_start=change.eff_start, eff_end=change.eff_end) for host in added
    )
    return sorted(host.hostname for host in added), sorted(removed)


@transaction.atomic
def create_change(
    *,
    actor,
    hosts: Iterable[Host] = (),
    services: Iterable[Service] = (),
    note: str = "",
    **fields,
) -> Change:
    change = Change(**fields)
    if change.requester_id is None and actor is not None and actor.is_authenticated:
        change.requester = actor
    _save_validated(change)
    change.services.set(services)
    added, _ = _set_hosts(change, hosts)
    record_activity(
        change=change,
        actor=actor,
        action=ActivityAction.CREATED,
        to_status=change.status,
        note=note,
        changes={"hosts": {"before": [], "after": added}} if added else {},
    )
    return change


@transaction.atomic
def update_change(
    *,
    change: Change,
    actor,
    fields: dict,
    hosts: Iterable[Host] | None = None,
    services: Iterable[Service] | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> tuple[Change, dict]:
    """Apply an edit; returns the locked, saved change and the recorded diff."""
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if actor is not None and not permissions.can_edit(actor, locked):
        raise ChangeForbidden("Only the requester, members of the change's team, or staff can edit this change.")
    if expected_version is not None and expected_version != locked.version:
        raise StaleChange(
            f"{locked.reference} was changed by someone else while you were editing "
            f"(version {locked.version}, your form had {expected_version}). Reload to see their edit."
        )
    if locked.status in state_machine.TERMINAL:
        raise IllegalTransition(
            f"{locked.reference} is {locked.get_status_display().lower()} and can no longer be edited."
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")

    diff: dict[str, dict] = {}
    for name, value in fields.items():
        before = getattr(locked, name)
        if before != value:
            diff[name] = {"before": audit_value(before), "after": audit_value(value)}
            setattr(locked, name, value)
    if services is not None:
        services = list(services)
        before_names = sorted(locked.services.values_list("name", flat=True))
        after_names = sorted(service.name for service in services)
        if before_names != after_names:
            diff["services"] = {"before": before_names, "after": after_names}
    if diff:
        locked.version += 1
        _save_validated(locked)
    if services is not None and "services" in diff:
        locked.services.set(services)
    if hosts is not None:
        before_hosts = sorted(locked.host_links.values_list("host__hostname", flat=True))
        added, removed = _set_hosts(locked, hosts)
        if added or removed:
            after_hosts = sorted(set(before_hosts) - set(removed) | set(added))
            diff["hosts"] = {"before": before_hosts, "after": after_hosts}
            if len(diff) == 1:
                locked.version += 1
                locked.save(update_fields=["version", "updated"])
    if diff:
        record_activity(change=locked, actor=actor, action=ActivityAction.EDIT, changes=diff, note=note)
    return locked, diff


@transaction.atomic
def transition_change(*, change: Change, target: str, actor, note: str = "") -> Change:
    """Move a change to ``target`` if the state machine and the actor's rights allow it.

    ``actor=None`` means the system (a task or an ingest), which the permission check does not apply to.
    """
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if target not in ChangeStatus.values:
        raise IllegalTransition(f"{target!r} is not a status. Valid: {', '.join(ChangeStatus.values)}.")
    current = locked.status
    if not state_machine.is_allowed(current, target):
        allowed = ", ".join(state_machine.allowed_targets(current)) or "none (final status)"
        raise IllegalTransition(
            f"{locked.reference} cannot go from {ChangeStatus(current).label} to {ChangeStatus(target).label}. "
            f"Allowed from {ChangeStatus(current).label}: {allowed}."
        )
    if actor is not None and not permissions.can_transition(actor, locked, target):
        raise ChangeForbidden(permissions.why_not(actor, locked, target))
    action = state_machine.ACTIONS.get(target)
    if action is not None and action.needs_note and not note.strip():
        raise ValidationError(
            {"note": f"Say why: a note is required to move a change to {ChangeStatus(target).label}."}
        )

    now = timezone.now()
    if target == ChangeStatus.IN_PROGRESS and locked.actual_start is None:
        locked.actual_start = now
    if target in (ChangeStatus.COMPLETED, ChangeStatus.FAILED) and locked.actual_end is None:
        locked.actual_end = max(now, locked.actual_start or now)
    locked.status = target
    locked.save()
    record_activity(
        change=locked,
        actor=actor,
        action=ActivityAction.TRANSITION,
        from_status=current,
        to_status=target,
        note=note,
    )
    return locked


@transaction.atomic
def add_comment(*, change: Change, actor, text: str) -> ChangeActivity:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write a comment before posting."})
    return record_activity(change=change, actor=actor, action=ActivityAction.COMMENT, note=text)


@transaction.atomic
def set_host_states(
    *,
    change: Change,
    hosts: Iterable[Host],
    state: str,
    actor,
    note: str = "",
    at: datetime | None = None,
) -> list[str]:
    """Record the execution state of a change on some of its hosts; returns the hostnames updated."""
    if state not in HostExecutionState.values:
        raise ValidationError({"state": f"Unknown state {state!r}. Valid: {', '.join(HostExecutionState.values)}."})
    if actor is not None and not permissions.can_edit(actor, change):
        raise ChangeForbidden("Only the requester, members of the change's team, or staff can record execution.")
    host_ids = [host.pk for host in hosts]
    links = list(
        ChangeHost.objects.select_for_update().filter(change=change, host_id__in=host_ids).select_related("host")
    )
    missing = set(host_ids) - {link.host_id for link in links}
    if missing:
        names = sorted(Host.objects.filter(pk__in=missing).values_list("hostname", flat=True))
        raise ValidationError({"hosts": f"Not hosts of {change.reference}: {', '.join(names)}."})
    at = at or timezone.now()
    changed = [link for link in links if link.state != state]
    for link in changed:
        before = link.state
        link.state, link.state_changed_at, link.note = state, at, note[:500]
        link.state_changed_by = actor if actor is not None and actor.is_authenticated else None
        link._before = before
    ChangeHost.objects.bulk_update(changed, ["state", "state_changed_at", "state_changed_by", "note"])
    if changed:
        record_activity(
            change=change,
            actor=actor,
            action=ActivityAction.HOST_STATE,
            note=note,
            changes={link.host.hostname: {"before": link._before, "after": state} for link in changed},
        )
    return sorted(link.host.hostname for link in changed)
