from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The bottom layer: security middlewares, the fail-soft cache, htmx helpers, the API base. It imports no app."""

    name = "apps.platform"
    label = "platform"
