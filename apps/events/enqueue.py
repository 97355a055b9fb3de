import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_safely(task, *args) -> bool:
    """Send a task to the broker, but never let a broker outage fail the caller.

    Work is recorded in the database first (outbox rows, pending deliveries); the periodic drain re-sends
    whatever is still pending, so a lost enqueue only delays it.
    """
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the drain will pick the work up
        logger.warning("Could not enqueue %s%r; the outbox drain will retry it", task.name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    transaction.on_commit(lambda: enqueue_safely(task, *args))


# The fan-out of an event (emails, webhooks) lives above the outbox, in apps.notifications: the outbox names its
# task instead of importing it, so this leaf imports none of the apps that consume its events.
DISPATCH_TASK = "apps.notifications.tasks.dispatch_event"


def dispatch_task():
    return current_app.tasks[DISPATCH_TASK]
