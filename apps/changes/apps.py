from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "apps.changes"
    label = "changes"

    def ready(self) -> None:
        from apps.changes import signals  # noqa: F401  (connects the receivers)
