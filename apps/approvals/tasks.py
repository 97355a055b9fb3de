"""Beat jobs for approvals. Each publishes at most one event per change and situation (dedup keys), so a
job that runs twice, or overlaps with itself, notifies nobody twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.changes.choices import ChangeStatus, ChangeType
from apps.changes.events import change_payload
from apps.changes.models import Change
from apps.events.choices import EventType
from apps.events.services import publish_event


@shared_task(acks_late=True)
def remind_approvers() -> int:
    now = timezone.now()
    soon = Change.objects.filter(
        status=ChangeStatus.SUBMITTED,
        planned_start__gt=now,
        planned_start__lte=now + timedelta(hours=settings.APPROVAL_REMINDER_HOURS),
    ).select_related("environment", "team", "requester")
    count = 0
    for change in soon:
        with transaction.atomic():
            publish_event(
                event_type=EventType.APPROVAL_REMINDER,
                payload=change_payload(change),
                dedup_key=f"approval-reminder:{change.pk}:v{change.version}",
            )
        count += 1
    return count


@shared_task(acks_late=True)
def flag_overdue_emergencies() -> int:
    overdue = Change.objects.filter(
        change_type=ChangeType.EMERGENCY, approved_at__isnull=True, approval_due_at__lt=timezone.now()
    ).select_related("environment", "team", "requester")
    count = 0
    for change in overdue:
        with transaction.atomic():
            publish_event(
                event_type=EventType.EMERGENCY_OVERDUE,
                payload=change_payload(change),
                dedup_key=f"emergency-overdue:{change.pk}",
            )
        count += 1
    return count
