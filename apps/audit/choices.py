from django.db import models


class AuditVia(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "API"
    UI = "ui", "Portal"
    COMMAND = "command", "Command"


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.CREATED: "green", cls.UPDATED: "blue", cls.DELETED: "red"}
