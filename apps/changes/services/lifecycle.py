"""State changes of a change: every write goes through here and leaves an activity entry."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.changes import environment_wide, permissions, state_machine, windows
from apps.changes.choices import ActivityAction, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.events import EVENT_FOR_STATUS, change_payload
from apps.changes.exceptions import ChangeForbidden, IllegalTransition, StaleChange
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.changes.services import review
from apps.changes.services.audit import audit_value, record_activity
from apps.changes.signals import change_submitted, latest, material_edit_saved
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.inventory.models import Host, Service
from apps.platform.actors import Actor, as_actor

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
    "freeze_justification",
)


def _save_validated(change: Change) -> None:
    change.full_clean(exclude=["eff_start", "eff_end"])
    change.needs_freeze_exception = bool(review.freezes_hit(change))
    change.save()


def _set_hosts(change: Change, hosts: Iterable[Host]) -> tuple[list[str], list[str]]:
    """Make the change's host links exactly ``hosts``; existing links keep their execution state."""
    wanted = {host.pk: host for host in hosts}
    existing = dict(ChangeHost.objects.filter(change=change).values_list("host_id", "host__hostname"))
    removed = [name for pk, name in existing.items() if pk not in wanted]
    added = [host for pk, host in wanted.items() if pk not in existing]
    if removed:
        ChangeHost.objects.filter(change=change).exclude(host_id__in=wanted).delete()
    ChangeHost.objects.bulk_create(windows.host_links(change, added))
    if added:  # bulk_create sends no signal; the deletes above did (apps.changes.signals)
        environment_wide.linked([change])
    return sorted(host.hostname for host in added), sorted(removed)


@transaction.atomic
def create_change(
    *,
    actor,
    hosts: Iterable[Host] = (),
    services: Iterable[Service] = (),
    submit: bool = False,
    note: str = "",
    at: datetime | None = None,
    **fields,
) -> Change:
    """Record a new change as a draft, and submit it for approval at once when ``submit``.

    ``at`` (here and in the other services): when it happens, default now. A replayed history (the demo data)
    passes its own past moments; nothing patches the clock."""
    actor = as_actor(actor)
    change = Change(**fields, **({"created": at} if at else {}))
    hosts, services = list(hosts), list(services)
    environment_wide.for_new(change, hosts=hosts, services=services)
    if change.status not in state_machine.INITIAL:
        raise IllegalTransition(f"A change starts as a draft (or is recorded after the fact), not {change.status}.")
    if change.requester_id is None and actor.user is not None:
        change.requester = actor.user
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
        at=at,
    )
    publish_event(
        event_type=EventType.CHANGE_CREATED,
        payload=change_payload(change) | {"actor": _actor_name(actor), "note": note},
    )
    if submit:
        change = transition_change(change=change, target=ChangeStatus.SUBMITTED, actor=actor, at=at)
    return change


def _actor_name(actor) -> str | None:
    return as_actor(actor).username


def _field_diff(locked: Change, fields: dict, services) -> dict[str, dict]:
    diff: dict[str, dict] = {}
    for name, value in fields.items():
        before = getattr(locked, name)
        if before != value:
            diff[name] = {"before": audit_value(before), "after": audit_value(value)}
            setattr(locked, name, value)
    if services is not None:
        before_names = sorted(locked.services.values_list("name", flat=True))
        after_names = sorted(service.name for service in services)
        if before_names != after_names:
            diff["services"] = {"before": before_names, "after": after_names}
    return diff


def _hosts_diff(locked: Change, hosts) -> dict[str, dict]:
    wanted = sorted({host.hostname for host in hosts})
    current = sorted(locked.host_links.values_list("host__hostname", flat=True))
    return {"hosts": {"before": current, "after": wanted}} if wanted != current else {}


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
    submit: bool = False,
    at: datetime | None = None,
) -> tuple[Change, dict]:
    """Apply an edit; returns the locked, saved change and the recorded diff.

    A material edit (see review.MATERIAL_FIELDS) is announced with material_edit_saved: apps.approvals withdraws
    the approvals it invalidates and sends an approved change back to submitted, so the leads decide again on what
    will really run.
    """
    actor = as_actor(actor)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if not permissions.may_edit(actor, locked):
        raise ChangeForbidden("Only the requester, members of the change's team, or staff can edit this change.")
    if expected_version is not None and expected_version != locked.version:
        raise StaleChange(
            f"{locked.reference} was changed by someone else while you were editing "
            f"(now version {locked.version}, your form had version {expected_version}). "
            "Your input is kept below: reload the change to see their edit, then apply yours again."
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    services = list(services) if services is not None else None
    hosts = list(hosts) if hosts is not None else None

    diff = _field_diff(locked, fields, services)
    if hosts is not None:
        diff |= _hosts_diff(locked, hosts)
    if not diff:
        return (submit_change(change=locked, actor=actor, at=at) if submit else locked), diff
    material = sorted(set(diff) & review.MATERIAL_FIELDS)
    if locked.status in state_machine.TERMINAL or (material and locked.status in state_machine.PLAN_FROZEN):
        raise IllegalTransition(
            f"{locked.reference} is {locked.get_status_display().lower()}: "
            + (f"its {', '.join(material)} can no longer be changed." if material else "it can no longer be edited.")
            + " Record what happened as a comment or per-host notes instead."
        )

    locked.version += 1
    _save_validated(locked)
    if services is not None and "services" in diff:
        locked.services.set(services)
    if "hosts" in diff:
        _set_hosts(locked, hosts or ())  # "hosts" is in the diff only when hosts were given
    record_activity(change=locked, actor=actor, action=ActivityAction.EDIT, changes=diff, note=note, at=at)

    if material:
        # Approvals withdraw what was approved (apps.approvals.receivers) and may send the change back to submitted.
        edited = material_edit_saved.send(sender=Change, change=locked, fields=material, actor=actor, at=at)
        locked = latest(edited, locked)
    if submit:
        locked = submit_change(change=locked, actor=actor, at=at)
    return locked, diff


def submit_change(*, change: Change, actor, at: datetime | None = None) -> Change:
    """Send a draft (or a rejected change, through draft) to the leads; other statuses are left alone."""
    if change.status == ChangeStatus.REJECTED:
        change = transition_change(
            change=change, target=ChangeStatus.DRAFT, actor=actor, note="Reworked after rejection.", at=at
        )
    if change.status == ChangeStatus.DRAFT:
        change = transition_change(change=change, target=ChangeStatus.SUBMITTED, actor=actor, at=at)
    return change


def _unfinished_hosts(change: Change) -> dict[str, list[str]]:
    rows = change.host_links.filter(state__in=[HostExecutionState.PENDING, HostExecutionState.FAILED])
    unfinished: dict[str, list[str]] = {}
    for state, hostname in rows.order_by("host__hostname").values_list("state", "host__hostname"):
        unfinished.setdefault(state, []).append(hostname)
    return unfinished


def _describe_hosts(unfinished: dict[str, list[str]]) -> str:
    return "; ".join(f"{state}: {', '.join(names)}" for state, names in sorted(unfinished.items()))


@transaction.atomic
def transition_change(
    *,
    change: Change,
    target: str,
    actor,
    note: str = "",
    confirm_incomplete: bool = False,
    at: datetime | None = None,
) -> Change:
    """Move a change to ``target`` if the state machine and the actor's rights allow it.

    ``actor`` is a user acting with their own rights, or an apps.platform.actors.Actor: the system (which takes
    every declared move, decisions included) or a person using a right a service granted (a lead backing out).
    Completing a change whose hosts are not all applied needs ``confirm_incomplete`` and a note.
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
    actor = as_actor(actor)
    if not permissions.may_transition(actor, locked, target):
        raise ChangeForbidden(permissions.why_not(actor.user, locked, target))
    refused = state_machine.guard_failure(locked, target)
    if refused:
        raise IllegalTransition(f"{locked.reference}: {refused}")
    step = state_machine.transition(current, target)  # allowed (checked above), so never None
    if step is not None and step.needs_note and not note.strip():
        raise ValidationError(
            {"note": f"Say why: a note is required to move a change to {ChangeStatus(target).label}."}
        )
    if target == ChangeStatus.SUBMITTED:
        review.check_ready_for_submission(locked)
    if target == ChangeStatus.COMPLETED:
        unfinished = _unfinished_hosts(locked)
        if unfinished:
            if not (confirm_incomplete and note.strip()):
                raise ValidationError(
                    {
                        "confirm_incomplete": f"Not applied on every host ({_describe_hosts(unfinished)}). "
                        "Confirm and write a note to complete it anyway, or record the hosts' states first."
                    }
                )
            note = f"{note.strip()}\nCompleted with hosts not applied: {_describe_hosts(unfinished)}."

    at = at or timezone.now()
    state_machine.apply_effects(locked, target, at)
    locked.status = target
    locked.save()
    record_activity(
        change=locked,
        actor=actor,
        action=ActivityAction.TRANSITION,
        from_status=current,
        to_status=target,
        note=note,
        at=at,
    )
    event_type = EVENT_FOR_STATUS.get(target)
    if current == ChangeStatus.APPROVED and target == ChangeStatus.SUBMITTED:
        event_type = EventType.CHANGE_REAPPROVAL
    if event_type:
        publish_event(
            event_type=event_type,
            payload=change_payload(locked) | {"from_status": current, "note": note, "actor": _actor_name(actor)},
        )
    if target == ChangeStatus.SUBMITTED:
        # Approvals open the round of who must decide (and pre-approve a standard change): apps.approvals.receivers.
        locked = latest(change_submitted.send(sender=Change, change=locked, actor=actor, at=at), locked)
    return locked


RETROACTIVE = Actor.automatic("approval rules: retroactive approval of an emergency change")


@transaction.atomic
def record_retroactive_approval(*, change: Change, note: str, at: datetime | None = None) -> Change:
    """An emergency change that ran before its approval gets its last required approval: it stays where it is in
    the lifecycle (it already ran); its approval time is saved through the model (``updated`` and ``version``
    move, so incremental sync, the change feed and ICS SEQUENCE see it) and change.approved is published."""
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if locked.change_type != ChangeType.EMERGENCY or locked.status not in state_machine.PLAN_FROZEN:
        raise IllegalTransition(f"{locked.reference} is not an emergency change that ran before its approval.")
    if locked.approved_at is not None:
        return locked
    locked.approved_at = at or timezone.now()
    locked.version += 1
    locked.save(update_fields=["approved_at", "version", "updated"])
    record_activity(change=locked, actor=RETROACTIVE, action=ActivityAction.APPROVAL, note=note, at=locked.approved_at)
    publish_event(
        event_type=EventType.CHANGE_APPROVED,
        payload=change_payload(locked) | {"retroactive": True, "note": note, "actor": None},
    )
    return locked


@transaction.atomic
def add_comment(*, change: Change, actor, text: str, at: datetime | None = None) -> ChangeActivity:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write a comment before posting."})
    return record_activity(change=change, actor=actor, action=ActivityAction.COMMENT, note=text, at=at)
