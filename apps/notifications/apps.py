from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The fan-out above the outbox: one outbox event becomes its emails and webhook deliveries."""

    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Registers dispatch_event with Celery at start-up: the outbox enqueues it by name (apps.events.enqueue).
        from apps.notifications import tasks  # noqa: F401
