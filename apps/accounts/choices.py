from django.db import models


class TeamKind(models.TextChoices):
    DEV = "dev", "Development"
    OPS = "ops", "Operations"
    RELEASE = "release", "Release management"
    OTHER = "other", "Other"
