from celery import shared_task
from django.db import OperationalError

from apps.events.tasks import send_email_notification
from apps.notifications import dispatch


# The outbox (apps.events) enqueues this by name: see apps.events.services.DISPATCH_TASK.
@shared_task(
    name="apps.notifications.tasks.dispatch_event",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
)
def dispatch_event(event_id: int) -> bool:
    return dispatch.dispatch_event(event_id, send_email_task=send_email_notification)
