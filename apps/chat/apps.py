from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Chat channels (Slack, Microsoft Teams, Mattermost): messages through the webhook delivery engine, and
    approve/reject from Slack through the approval service."""

    name = "apps.chat"
    label = "chat"
    verbose_name = "Chat channels"

    def ready(self) -> None:
        from apps.chat import tasks  # noqa: F401 - registers the chat tasks with Celery
