"""Per-host execution: which hosts a change was applied on, failed on, skipped or rolled back.

Every per-host state write goes through apply_host_states: the person clicking the matrix, the API, a backout and
a pipeline's change event alike. It writes one activity entry and publishes one ``change.host_states`` event.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.changes import permissions
from apps.changes.choices import ActivityAction, HostExecutionState
from apps.changes.events import host_states_payload
from apps.changes.exceptions import ChangeForbidden
from apps.changes.models import Change, ChangeHost
from apps.changes.services.audit import record_activity
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.inventory.models import Host
from apps.platform.actors import as_actor


@dataclass(frozen=True)
class HostState:
    """What happened on one host, and when (None: now)."""

    state: str
    at: datetime | None = None


def _check_states(states: Iterable[HostState]) -> None:
    unknown = sorted({item.state for item in states} - set(HostExecutionState.values))
    if unknown:
        raise ValidationError(
            {"state": f"Unknown state {unknown[0]!r}. Valid: {', '.join(HostExecutionState.values)}."}
        )


@transaction.atomic
def apply_host_states(
    *, change: Change, states: Mapping[Host, HostState], actor, note: str = "", at: datetime | None = None
) -> list[str]:
    """Record each host's execution state of ``change``; returns the hostnames whose state changed.

    ``at``: when it is recorded (default now), also the state time of a host whose own ``at`` is not given.

    A host already in the reported state keeps its link untouched (a repeated report changes nothing).
    """
    _check_states(states.values())
    actor = as_actor(actor)
    if not permissions.may_edit(actor, change):
        raise ChangeForbidden("Only the requester, members of the change's team, or staff can record execution.")
    wanted = {host.pk: item for host, item in states.items()}
    links = list(
        ChangeHost.objects.select_for_update(of=("self",))
        .filter(change=change, host_id__in=wanted)
        .select_related("host")
    )
    missing = set(wanted) - {link.host_id for link in links}
    if missing:
        names = sorted(Host.objects.filter(pk__in=missing).values_list("hostname", flat=True))
        raise ValidationError({"hosts": f"Not hosts of {change.reference}: {', '.join(names)}."})
    now = at or timezone.now()
    by = actor.user
    transitions = {}
    changed = []
    for link in links:
        item = wanted[link.host_id]
        if link.state == item.state:
            continue
        transitions[link.host.hostname] = {"before": link.state, "after": item.state}
        link.state, link.state_changed_at, link.note, link.state_changed_by = item.state, item.at or now, note[:500], by
        changed.append(link)
    if not changed:
        return []
    ChangeHost.objects.bulk_update(changed, ["state", "state_changed_at", "state_changed_by", "note"])
    record_activity(
        change=change, actor=actor, action=ActivityAction.HOST_STATE, note=note, changes=transitions, at=now
    )
    moments = {link.host.hostname: link.state_changed_at for link in changed}
    publish_event(
        event_type=EventType.CHANGE_HOST_STATES,
        payload=host_states_payload(change, transitions, at=moments, actor=by, note=note),
    )
    return sorted(transitions)


def set_host_states(
    *,
    change: Change,
    hosts: Iterable[Host],
    state: str,
    actor,
    note: str = "",
    at: datetime | None = None,
) -> list[str]:
    """Record one execution state of a change on some of its hosts; returns the hostnames updated."""
    item = HostState(state, at)
    _check_states([item])
    return apply_host_states(change=change, states=dict.fromkeys(hosts, item), actor=actor, note=note, at=at)
