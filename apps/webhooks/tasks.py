from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from apps.events.enqueue import enqueue_safely
from apps.webhooks import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at a delivery; idempotent (a sent, failed or not-yet-due delivery is skipped).

    Retries are not Celery countdowns: a failed attempt sets ``next_attempt_at`` (exponential backoff) and
    the beat job below sends it again when due, so nothing waits in the broker for an hour.
    """
    return services.attempt_delivery(delivery_id)


@shared_task(acks_late=True)
def retry_webhook_deliveries() -> int:
    """Beat job: enqueue every pending delivery that is due."""
    due = services.due_deliveries(timezone.now())
    for delivery_id in due:
        enqueue_safely(deliver_webhook, delivery_id)
    return len(due)
