"""Per-host execution: which hosts a change was applied on, failed on, skipped or rolled back."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.changes import permissions
from apps.changes.choices import ActivityAction, HostExecutionState
from apps.changes.exceptions import ChangeForbidden
from apps.changes.models import Change, ChangeHost
from apps.changes.services.audit import record_activity
from apps.inventory.models import Host


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
        ChangeHost.objects.select_for_update(of=("self",))
        .filter(change=change, host_id__in=host_ids)
        .select_related("host")
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
