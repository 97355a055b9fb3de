"""What other systems hear about a change (webhooks, emails): event names and the payload."""

from django.conf import settings

from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.events.choices import EventType

EVENT_FOR_STATUS = {
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


def change_payload(change: Change) -> dict:
    hostnames = list(change.host_links.order_by("host__hostname").values_list("host__hostname", flat=True))
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
            "hosts": hostnames[:MAX_HOSTS_IN_PAYLOAD],
            "host_count": len(hostnames),
            "services": sorted(change.services.values_list("name", flat=True)),
        }
    }
