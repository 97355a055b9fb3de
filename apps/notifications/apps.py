from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The fan-out above the outbox: one outbox event becomes its emails and webhook deliveries."""

    name = "apps.notifications"
    label = "notifications"
