from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only audit log of configuration edits (hosts, services, freezes, policies, templates, teams).

    A leaf: it imports only Django and apps.platform, so every app may record into it."""

    name = "apps.audit"
    label = "audit"
