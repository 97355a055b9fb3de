"""What other systems hear about a change (webhooks, emails): event names and the payload."""

from collections.abc import Mapping
from datetime import datetime

from django.conf import settings

from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.events.choices import EventType

EVENT_FOR_STATUS: dict[str, EventType] = {
    ChangeStatus.SUBMITTED: EventType.CHANGE_SUBMITTED,
    ChangeStatus.APPROVED: EventType.CHANGE_APPROVED,
    ChangeStatus.REJECTED: EventType.CHANGE_REJECTED,
    ChangeStatus.IN_PROGRESS: EventType.CHANGE_STARTED,
    ChangeStatus.COMPLETED: EventType.CHANGE_COMPLETED,
    ChangeStatus.FAILED: EventType.CHANGE_FAILED,
    ChangeStatus.BACKED_OUT: EventType.CHANGE_BACKED_OUT,
    ChangeStatus.CANCELLED: EventType.CHANGE_CANCELLED,
}
MAX_HOSTS_IN_PAYLOAD = 200


def _iso(value):
    return value.isoformat() if value else None


def change_payload(
    change: Change, *, hostnames: list[str] | None = None, services: list[str] | None = None, brief: bool = False
) -> dict:
    """The change as subscribers see it. Callers that have just written the links pass their names (no query);
    ``brief`` leaves out the hosts and services (an event that lists the hosts it is about)."""
    if brief:
        hostnames, services = [], []
    if hostnames is None:
        hostnames = list(change.host_links.order_by("host__hostname").values_list("host__hostname", flat=True))
    if services is None:
        services = list(change.services.values_list("name", flat=True))
    return {
        "change": {
            "id": change.pk,
            "reference": change.reference,
            "title": change.title,
            "kind": change.kind,
            "change_type": change.change_type,
            "status": change.status,
            "risk": change.risk,
            "environment": change.environment.slug,
            "team": change.team.slug if change.team_id else None,
            "requester": change.requester.get_username() if change.requester_id else None,
            "planned_start": _iso(change.planned_start),
            "planned_end": _iso(change.planned_end),
            "actual_start": _iso(change.actual_start),
            "actual_end": _iso(change.actual_end),
            "artifact": change.artifact,
            "is_unplanned": change.is_unplanned,
            "needs_freeze_exception": change.needs_freeze_exception,
            "version": change.version,
            "url": settings.SITE_URL + change.get_absolute_url(),
            **(
                {}
                if brief
                else {
                    "hosts": hostnames[:MAX_HOSTS_IN_PAYLOAD],
                    "host_count": len(hostnames),
                    "services": sorted(services),
                }
            ),
        }
    }


def host_states_payload(
    change: Change, transitions: dict[str, dict], *, at: Mapping[str, datetime | None], actor, note: str
):
    """``change.host_states``: which hosts moved from which state to which, and when (at most 200 of them)."""
    listed = sorted(transitions)[:MAX_HOSTS_IN_PAYLOAD]
    return change_payload(change, brief=True) | {
        "host_states": {name: transitions[name] | {"at": _iso(at[name])} for name in listed},
        "host_states_count": len(transitions),
        "actor": actor.get_username() if actor is not None else None,
        "note": note,
    }
