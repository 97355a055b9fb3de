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
EMAIL_LEASE_MARGIN_SECONDS = 30


def drain_grace() -> timedelta:
    """Work younger than this is presumably still on its way through the broker."""
    return timedelta(seconds=settings.OUTBOX_DRAIN_GRACE_SECONDS)


def email_lease() -> timedelta:
    """How long a claimed send keeps other workers off the email: the SMTP timeout and a margin."""
    return timedelta(seconds=(settings.EMAIL_TIMEOUT or 10) + EMAIL_LEASE_MARGIN_SECONDS)


def _claim_email(notification_id: int, now) -> EmailNotification | None:
    """Lease a pending email to this worker, in a transaction of its own; None if it is done or leased."""
    with transaction.atomic():
        notification = EmailNotification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != DeliveryStatus.PENDING:
            return None
        if notification.lease_until is not None and notification.lease_until > now:
            return None  # another worker is sending it right now
        notification.lease_until = now + email_lease()
        notification.save(update_fields=["lease_until"])
    return notification


def _record_email(notification_id: int, error: Exception | None) -> EmailNotification:
    """Count the attempt and release the lease: sent, failed for good, or pending for the next try."""
    with transaction.atomic():
        notification = EmailNotification.objects.select_for_update().get(pk=notification_id)
        notification.attempts += 1
        notification.lease_until = None
        if error is None:
            notification.status, notification.sent_at, notification.last_error = DeliveryStatus.SENT, timezone.now(), ""
        else:
            notification.last_error = f"{error.__class__.__name__}: {error}"[:2000]
            if notification.status == DeliveryStatus.PENDING and notification.attempts >= MAX_EMAIL_ATTEMPTS:
                notification.status = DeliveryStatus.FAILED
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error", "lease_until"])
    return notification


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_EMAIL_ATTEMPTS,
)
def send_email_notification(self, notification_id: int) -> bool:
    """Claim the email (a lease), send it with no transaction open, then record the outcome.

    No row lock is held while SMTP is slow. Two workers given the same email send it once: the second finds the
    lease. A worker killed mid-send leaves its lease; once it expires the outbox drain re-sends (at least once).
    """
    notification = _claim_email(notification_id, timezone.now())
    if notification is None:
        return False
    error = None
    try:
        send_mail(notification.subject, notification.body, None, [notification.recipient])
    except Exception as exc:  # noqa: BLE001 - recorded, then re-raised below for Celery's retry
        error = exc
    notification = _record_email(notification_id, error)
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
