from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The top layer: the dashboard, the demo data (seed_demo) and the bench command. It may use every app."""

    name = "apps.dashboard"
    label = "dashboard"
