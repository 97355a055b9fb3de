"""Small, idempotent, retried tasks. Each re-reads its row under a lock and does nothing if already done."""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError, transaction
from django.utils import timezone

from apps.events.choices import DeliveryStatus
from apps.events.enqueue import dispatch_task, enqueue_safely
from apps.events.models import EmailNotification, OutboxEvent

logger = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 8


def drain_grace() -> timedelta:
    """Work younger than this is presumably still on its way through the broker."""
    return timedelta(seconds=settings.OUTBOX_DRAIN_GRACE_SECONDS)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_EMAIL_ATTEMPTS,
)
def send_email_notification(self, notification_id: int) -> bool:
    error = None
    with transaction.atomic():
        notification = EmailNotification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != DeliveryStatus.PENDING:
            return False
        try:
            send_mail(notification.subject, notification.body, None, [notification.recipient])
        except Exception as exc:  # noqa: BLE001 - recorded, then re-raised below for Celery's retry
            error = exc
        notification.attempts += 1
        if error is None:
            notification.status, notification.sent_at, notification.last_error = DeliveryStatus.SENT, timezone.now(), ""
        else:
            notification.last_error = f"{error.__class__.__name__}: {error}"[:2000]
            if notification.attempts >= MAX_EMAIL_ATTEMPTS:
                notification.status = DeliveryStatus.FAILED
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if error is not None and notification.status == DeliveryStatus.PENDING:
        raise error  # the attempt is committed; autoretry_for decides whether Celery tries again
    return error is None


@shared_task(acks_late=True)
def drain_outbox() -> dict:
    """Beat job: re-send whatever is still pending (enqueued while the broker was down, or lost)."""
    cutoff = timezone.now() - drain_grace()
    events = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created__lt=cutoff).values_list("pk", flat=True)[:500]
    )
    for event_id in events:
        enqueue_safely(dispatch_task(), event_id)
    emails = list(
        EmailNotification.objects.filter(status=DeliveryStatus.PENDING, created__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    for notification_id in emails:
        enqueue_safely(send_email_notification, notification_id)
    return {"events": len(events), "emails": len(emails)}
