"""Turn one outbox event into the deliveries it causes: emails, webhooks (apps.webhooks) and chat (apps.chat).

Each fan-out creates its delivery rows idempotently (unique per event and recipient) in one transaction
with marking the event dispatched, then enqueues the deliveries after commit.
"""

from django.db import transaction
from django.utils import timezone

from apps.approvals.notifications import emails_for_event
from apps.chat.fanout import create_deliveries as create_chat_deliveries
from apps.chat.tasks import deliver_chat
from apps.events.enqueue import enqueue_on_commit
from apps.events.models import EmailNotification, OutboxEvent
from apps.notifications import chat_emails
from apps.webhooks.services import create_deliveries
from apps.webhooks.tasks import deliver_webhook


def _fan_out_emails(event: OutboxEvent) -> list[int]:
    created = []
    for recipient, subject, body in emails_for_event(event) + chat_emails.emails_for_event(event):
        notification, is_new = EmailNotification.objects.get_or_create(
            event=event, recipient=recipient, defaults={"subject": subject[:255], "body": body}
        )
        if is_new:
            created.append(notification.pk)
    return created


def dispatch_event(event_id: int, *, send_email_task) -> bool:
    """Returns False when the event was already dispatched (a retried or duplicate task)."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.dispatched_at is not None:
            return False
        for notification_id in _fan_out_emails(event):
            enqueue_on_commit(send_email_task, notification_id)
        for delivery_id in create_deliveries(event):
            enqueue_on_commit(deliver_webhook, delivery_id)
        for delivery_id in create_chat_deliveries(event):
            enqueue_on_commit(deliver_chat, delivery_id)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
    return True
