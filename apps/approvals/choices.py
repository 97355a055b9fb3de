from django.db import models


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.APPROVED: "green", cls.REJECTED: "red"}
