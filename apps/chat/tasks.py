from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from apps.chat import delivery, digest, slack
from apps.events.enqueue import enqueue_safely


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver_chat(delivery_id: int) -> str:
    """One attempt at a chat message; idempotent (sent, failed or not-yet-due messages are skipped). Retries are
    the beat job's, as for webhooks (apps.webhooks.tasks)."""
    return delivery.attempt(delivery_id)


@shared_task(acks_late=True)
def retry_chat_deliveries() -> int:
    """Beat job: send what is due (retries, messages held for quiet hours, lost enqueues, expired leases)."""
    due = delivery.due()
    for delivery_id in due:
        enqueue_safely(deliver_chat, delivery_id)
    return len(due)


@shared_task(acks_late=True)
def post_daily_digests() -> int:
    created = digest.create_digests(timezone.now())
    for delivery_id in created:
        enqueue_safely(deliver_chat, delivery_id)
    return len(created)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def post_slack_response(response_url: str, body: dict) -> int | None:
    """Update the Slack message a button was clicked in (or answer ephemerally) through its response_url."""
    return slack.post_response(response_url, body)
