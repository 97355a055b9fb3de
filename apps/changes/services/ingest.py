"""Change events from pipelines (POST /api/v1/change-events): changes that already happened, and execution reports.

Without ``change`` an event records an unplanned change (record_unplanned_change). With ``change`` it reports
what really ran, where, when (record_execution): a report never moves the change's status (people decide that);
it records the per-host states and the actual times, and flags what deviates from the plan: not approved,
outside the approved window, hosts not planned. The flags go into the activity entry and back to the caller as
warnings.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.changes import environment_wide, permissions, state_machine, windows
from apps.changes.choices import ActivityAction, HostExecutionState
from apps.changes.events import MAX_HOSTS_IN_PAYLOAD as MAX_HOSTS
from apps.changes.events import change_payload
from apps.changes.exceptions import ChangeForbidden
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService
from apps.changes.services import review
from apps.changes.services.audit import activity_entry, audit_value, record_activity
from apps.changes.services.execution import HostState, apply_host_states
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.inventory.models import Host, Service
from apps.platform.actors import as_actor

# Report statuses that end the execution (its actual end is recorded).
FINISHED = ("completed", "failed")


def _fmt(value: datetime) -> str:
    return value.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def execution_flags(change: Change, *, started_at: datetime, ended_at: datetime | None) -> list[str]:
    """What is wrong with running ``change`` over [started_at, ended_at]: unapproved, or outside its window."""
    flags = []
    if change.status not in state_machine.RUNNABLE:
        flags.append(
            f"Executed while {change.get_status_display().lower()}: {change.reference} was not approved "
            "(or was already finished) when this ran."
        )
    buffer = timedelta(minutes=settings.EXECUTION_WINDOW_BUFFER_MINUTES)
    last = ended_at or started_at
    if started_at < change.planned_start - buffer or last > change.planned_end + buffer:
        flags.append(
            f"Executed outside the approved window: ran {_fmt(started_at)} to {_fmt(last)}, planned "
            f"{_fmt(change.planned_start)} to {_fmt(change.planned_end)} "
            f"(± {settings.EXECUTION_WINDOW_BUFFER_MINUTES} min)."
        )
    return flags


# Related rows the caller passes as instances it has just read: validating them again costs one query each.
_INSTANCE_FIELDS = ["environment", "requester", "team", "template"]


def _describe_outcomes(states: Mapping[str, str]) -> str:
    counts = Counter(states.values())
    parts = [f"{HostExecutionState(state).label.lower()} on {count}" for state, count in sorted(counts.items())]
    return ", ".join(parts)


def new_unplanned_change(*, actor, **fields) -> Change:
    """The unsaved change record_unplanned_change would save, validated (ValidationError when it cannot be)."""
    change = Change(**fields)
    if change.status not in state_machine.RECORDED_STATUSES:
        allowed = ", ".join(sorted(state_machine.RECORDED_STATUSES))
        raise ValidationError({"status": f"A change recorded after the fact is one of {allowed}, not {change.status}."})
    actor = as_actor(actor)
    if change.requester_id is None and actor.user is not None:
        change.requester = actor.user
    change.full_clean(exclude=["eff_start", "eff_end", *_INSTANCE_FIELDS], validate_constraints=False)
    return change


@transaction.atomic(savepoint=False)
def record_unplanned_change(
    *,
    actor,
    hosts: Iterable[Host] = (),
    host_states: Mapping[Host, HostState] | None = None,
    services: Iterable[Service] = (),
    note: str = "",
    **fields,
) -> Change:
    """Record a change that already happened (never submitted): the rows and activity entry of create_change.

    ``host_states`` is what the event said happened on each host (hosts not in it stay pending). The links are
    inserted in that state, with a HOST_STATE activity entry, as if apply_host_states had recorded them.

    The ingest path runs once per pipeline event, so it skips what create_change needs only for edits: a new
    change has no links to diff, no savepoint (the caller's transaction rolls back as a whole), no existence
    query per foreign key, and no query per CHECK constraint (Change.clean checks the same orders in Python).
    Whatever create_change gains on creation (an event, another row) must be added here too, and to
    ``unplanned_rows`` (which the batch path, apps.changes.services.ingest_bulk, shares).
    """
    actor = as_actor(actor)
    change = new_unplanned_change(actor=actor, **fields)
    change.needs_freeze_exception = bool(review.freezes_hit(change))
    hosts, services = list(hosts), list(services)
    environment_wide.for_new(change, hosts=[*hosts, *(host_states or {})], services=services)
    change.save()
    rows = unplanned_rows(change, actor=actor, hosts=hosts, host_states=host_states or {}, services=services, note=note)
    if rows.service_links:
        Change.services.through.objects.bulk_create(rows.service_links)
    ChangeHost.objects.bulk_create(rows.host_links)
    ChangeActivity.objects.bulk_create(rows.entries)
    publish_event(event_type=EventType.CHANGE_RECORDED, payload=rows.payload(change))
    return change


@dataclass
class UnplannedRows:
    """The rows that go with a saved unplanned change: its links, its activity entries, its event's payload."""

    service_links: list[ChangeService]
    host_links: list[ChangeHost]
    entries: list[ChangeActivity]
    payload: Callable[[Change], dict]


def unplanned_rows(
    change: Change,
    *,
    actor,
    hosts: Iterable[Host],
    host_states: Mapping[Host, HostState],
    services: Iterable[Service],
    note: str,
) -> UnplannedRows:
    """The link rows (through apps.changes.windows), entries and event of a change that has its id and window."""
    actor = as_actor(actor)
    unique_services = {service.pk: service for service in services}
    unique_hosts = {host.pk: host for host in [*hosts, *host_states]}
    by = actor.user
    links = windows.host_links(change, unique_hosts.values())
    for link in links:
        reported = host_states.get(link.host)
        if reported is not None and reported.state != HostExecutionState.PENDING:
            link.state, link.state_changed_at, link.state_changed_by = reported.state, reported.at or change.eff_end, by
    added = sorted(host.hostname for host in unique_hosts.values())
    entries = [
        activity_entry(
            change=change,
            actor=actor,
            action=ActivityAction.CREATED,
            to_status=change.status,
            note=note,
            changes={"hosts": {"before": [], "after": added}} if added else {},
        )
    ]
    states = {link.host.hostname: link.state for link in links if link.state != HostExecutionState.PENDING}
    if states:
        entries.append(
            activity_entry(
                change=change,
                actor=actor,
                action=ActivityAction.HOST_STATE,
                note=f"Reported by the change event: {_describe_outcomes(states)}.",
                changes={name: {"before": HostExecutionState.PENDING, "after": s} for name, s in states.items()},
            )
        )
    at = {link.host.hostname: link.state_changed_at for link in links if link.state != HostExecutionState.PENDING}
    service_names = [s.name for s in unique_services.values()]

    def payload(saved: Change) -> dict:
        return change_payload(saved, hostnames=added, services=service_names) | {
            "host_states": {
                name: {"state": states[name], "at": moment.isoformat() if (moment := at[name]) else None}
                for name in sorted(states)[:MAX_HOSTS]
            },
            "actor": by.get_username() if by is not None else None,
            "note": note,
        }

    return UnplannedRows(
        service_links=windows.service_links(change, unique_services.values()),
        host_links=links,
        entries=entries,
        payload=payload,
    )


# The note of the activity entry recording hosts an execution report added to a planned change: the metrics
# (apps.metrics, "executed on hosts not in the plan") find those entries by it, so it is one constant.
UNPLANNED_HOSTS_NOTE = "Reported as executed on hosts that were not planned."


def _add_unplanned_hosts(change: Change, hosts: list[Host], actor) -> list[str]:
    # No ordering: the default one (by hostname) would join the hosts for nothing.
    linked = set(ChangeHost.objects.filter(change=change).order_by().values_list("host_id", flat=True))
    extra = [host for host in hosts if host.pk not in linked]
    if not extra:
        return []
    ChangeHost.objects.bulk_create(windows.host_links(change, extra))
    environment_wide.linked([change], current=True)  # the change is locked: its flag is current
    names = sorted(host.hostname for host in extra)
    current = sorted(ChangeHost.objects.filter(change=change).values_list("host__hostname", flat=True))
    before = sorted(set(current) - set(names))
    record_activity(
        change=change,
        actor=actor,
        action=ActivityAction.HOSTS,
        note=UNPLANNED_HOSTS_NOTE,
        changes={"hosts": {"before": before, "after": current}},
    )
    return names


# No savepoint: the ingest service calls this inside its own transaction and rolls back as a whole on error.
@transaction.atomic(savepoint=False)
def record_execution(
    *,
    change: Change,
    actor,
    hosts: Iterable[Host],
    host_states: Mapping[Host, HostState] | None = None,
    status: str,
    started_at: datetime,
    ended_at: datetime | None,
    source: str = "",
    summary: str = "",
) -> list[str]:
    """Record a pipeline's report that ``change`` ran on ``hosts``; returns the warnings (also logged).

    ``host_states`` is the outcome reported for each host (a host missing from it keeps its state).
    """
    # The team and requester are read with it for the change.host_states event.
    locked = Change.objects.select_for_update(of=("self",)).select_related("environment", "team", "requester")
    locked = locked.get(pk=change.pk)
    actor = as_actor(actor)
    if not permissions.may_edit(actor, locked):
        raise ChangeForbidden("Only the requester, members of the change's team, or staff can report its execution.")
    hosts = list(hosts)
    warnings = execution_flags(locked, started_at=started_at, ended_at=ended_at)
    extra = _add_unplanned_hosts(locked, hosts, actor)
    if extra:
        warnings.append(f"Executed on hosts not in the plan (added to {locked.reference}): {', '.join(extra)}.")
    reported = {host: item for host, item in (host_states or {}).items() if item.state != HostExecutionState.PENDING}
    if reported:
        apply_host_states(change=locked, states=reported, actor=actor, note=summary[:500])

    times = {"actual_start": min(filter(None, [locked.actual_start, started_at]))}
    if status in FINISHED and ended_at is not None:
        times["actual_end"] = max(filter(None, [locked.actual_end, ended_at]))
    diff = {
        name: {"before": audit_value(getattr(locked, name)), "after": audit_value(value)}
        for name, value in times.items()
        if getattr(locked, name) != value
    }
    if diff:
        for name, value in times.items():
            setattr(locked, name, value)
        locked.clean()
        locked.save(update_fields=[*times, "updated"])

    where = f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}" if hosts else "no hosts listed"
    outcome = _describe_outcomes({host.hostname: item.state for host, item in reported.items()})
    lines = [
        f"Execution reported by a change event from {source or 'an unnamed source'}: {status}, {where}"
        + (f" ({outcome})." if outcome else ".")
    ]
    if summary:
        lines.append(summary)
    lines.extend(f"⚠ {warning}" for warning in warnings)
    record_activity(change=locked, actor=actor, action=ActivityAction.COMMENT, note="\n".join(lines), changes=diff)
    return warnings
